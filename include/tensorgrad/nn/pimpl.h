#pragma once
// Module holders, as libtorch's ModuleHolder / TORCH_MODULE: `TG_MODULE(Linear)`
// makes `Linear` a shared handle to a `LinearImpl`, so `Linear fc(2, 3); fc(x);
// fc->weight` reads as in libtorch and copies share one module.
#include <cstddef>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

#include "tensorgrad/error.h"

namespace tg::nn {

namespace detail {
// Lets templates recognise any ModuleHolder<T> without naming T.
struct ModuleHolderIndicator {};
template <class T>
inline constexpr bool is_module_holder_v = std::is_base_of_v<ModuleHolderIndicator, std::decay_t<T>>;
}  // namespace detail

template <class Contained>
class ModuleHolder : detail::ModuleHolderIndicator {
 protected:
  std::shared_ptr<Contained> impl_;

 public:
  using ContainedType = Contained;

  // Default-constructs the module; `Linear l = nullptr;` gives the empty state instead.
  ModuleHolder() : impl_(default_construct()) {}
  ModuleHolder(std::nullptr_t) : impl_(nullptr) {}  // NOLINT: implicit, as in libtorch

  // Forwards the arguments to Contained's constructor (a single holder argument
  // is a copy, not a constructor argument).
  template <class Head, class... Tail>
    requires(!(sizeof...(Tail) == 0 && std::is_base_of_v<ModuleHolder, std::decay_t<Head>>))
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}

  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}  // NOLINT: implicit

  explicit operator bool() const noexcept { return !is_empty(); }
  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }

  const std::shared_ptr<Contained>& ptr() const {
    TG_CHECK(!is_empty(), "Accessing empty ModuleHolder");
    return impl_;
  }
  Contained* get() {
    TG_CHECK(!is_empty(), "Accessing empty ModuleHolder");
    return impl_.get();
  }
  const Contained* get() const {
    TG_CHECK(!is_empty(), "Accessing empty ModuleHolder");
    return impl_.get();
  }

  // `module(x)` is `module->forward(x)`. C makes the return type dependent, so that
  // a module without forward() (a container, an encoder with encode()) still has a
  // holder, as in libtorch.
  template <class... Args, class C = Contained>
  auto operator()(Args&&... args) -> decltype(std::declval<C&>().forward(std::forward<Args>(args)...)) {
    return get()->forward(std::forward<Args>(args)...);
  }
  template <class Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

  bool is_empty() const noexcept { return impl_ == nullptr; }

 private:
  static std::shared_ptr<Contained> default_construct() {
    static_assert(std::is_default_constructible_v<Contained>,
                  "You are trying to default construct a module which has no default constructor. Use = nullptr "
                  "to give it the empty state (e.g. `Linear linear = nullptr;` instead of `Linear linear;`).");
    return std::make_shared<Contained>();
  }
};

template <class M>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<M>& module) {
  return stream << *module;
}

}  // namespace tg::nn

// Defines `Name` as a ModuleHolder of `ImplType`.
#define TG_MODULE_IMPL(Name, ImplType)                        \
  class Name : public ::tg::nn::ModuleHolder<ImplType> {      \
   public:                                                    \
    using ::tg::nn::ModuleHolder<ImplType>::ModuleHolder;     \
    using Impl [[maybe_unused]] = ImplType;                   \
  }

// Defines `Name` as a ModuleHolder of `NameImpl`.
#define TG_MODULE(Name) TG_MODULE_IMPL(Name, Name##Impl)

// libtorch's spelling, so that ported code compiles unchanged; define
// TG_NO_TORCH_MACROS when libtorch's own headers are included too.
#ifndef TG_NO_TORCH_MACROS
#define TORCH_MODULE_IMPL(Name, ImplType) TG_MODULE_IMPL(Name, ImplType)
#define TORCH_MODULE(Name) TG_MODULE(Name)
#endif
