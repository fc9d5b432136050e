#pragma once
// AnyModule: holds any module with a `Tensor forward(Tensor)` (by value or const
// reference) behind one type, as libtorch's AnyModule does for Sequential.
// libtorch's also erases other forward signatures; tensorgrad's needs only this one.
#include <concepts>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

namespace detail {
template <class M>
concept is_module = std::derived_from<std::decay_t<M>, Module>;
template <class M>
concept has_tensor_forward = requires(M& m, const Tensor& x) {
  { m.forward(x) } -> std::convertible_to<Tensor>;
};
}  // namespace detail

class AnyModule {
 public:
  AnyModule() = default;
  template <class ModuleType>
  explicit AnyModule(std::shared_ptr<ModuleType> module);
  template <class ModuleType>
    requires detail::is_module<ModuleType>
  explicit AnyModule(ModuleType&& module)
      : AnyModule(std::make_shared<std::decay_t<ModuleType>>(std::forward<ModuleType>(module))) {}
  template <class ModuleType>
  explicit AnyModule(const ModuleHolder<ModuleType>& module_holder) : AnyModule(module_holder.ptr()) {}

  template <class ReturnType = Tensor>
  ReturnType forward(const Tensor& input) {
    static_assert(std::is_same_v<ReturnType, Tensor>, "tensorgrad's AnyModule::forward returns a Tensor");
    TG_CHECK(!is_empty(), "Cannot call forward() on an empty AnyModule");
    return forward_(*module_, input);
  }

  // The module as its concrete type; raises if it is another type.
  template <class T>
    requires detail::is_module<T>
  T& get() const {
    return *ptr<T>();
  }
  // A holder of the module (`any.get<Linear>()`).
  template <class T>
    requires detail::is_module_holder_v<T>
  T get() const {
    return T(ptr<typename T::ContainedType>());
  }
  std::shared_ptr<Module> ptr() const {
    TG_CHECK(!is_empty(), "Cannot call ptr() on an empty AnyModule");
    return module_;
  }
  template <class T>
    requires detail::is_module<T>
  std::shared_ptr<T> ptr() const {
    TG_CHECK(!is_empty(), "Cannot call ptr() on an empty AnyModule");
    TG_CHECK(*type_ == typeid(T), "Attempted to cast module of type ", detail::demangled_name(*type_),
             " to type ", detail::demangled_name(typeid(T)));
    return std::static_pointer_cast<T>(module_);
  }
  const std::type_info& type_info() const {
    TG_CHECK(!is_empty(), "Cannot call type_info() on an empty AnyModule");
    return *type_;
  }
  bool is_empty() const noexcept { return module_ == nullptr; }

 private:
  template <class ModuleType>
  static Tensor call_forward(Module& module, const Tensor& input) {
    return static_cast<ModuleType&>(module).forward(input);
  }

  std::shared_ptr<Module> module_;
  Tensor (*forward_)(Module&, const Tensor&) = nullptr;
  const std::type_info* type_ = nullptr;
};

template <class ModuleType>
AnyModule::AnyModule(std::shared_ptr<ModuleType> module)
    : module_(module), forward_(&call_forward<ModuleType>), type_(&typeid(ModuleType)) {
  static_assert(detail::is_module<ModuleType>, "Can only store object derived from nn::Module into AnyModule");
  static_assert(detail::has_tensor_forward<ModuleType>,
                "Can only store a module whose forward() takes one Tensor and returns a Tensor into AnyModule");
  TG_CHECK(module_ != nullptr, "Cannot store a null module into AnyModule");
}

// A module with the name it is registered under, for Sequential({{"fc", Linear(2, 3)}, ...}).
class NamedAnyModule {
 public:
  template <class ModuleType>
  NamedAnyModule(std::string name, std::shared_ptr<ModuleType> module_ptr)
      : NamedAnyModule(std::move(name), AnyModule(std::move(module_ptr))) {}
  template <class ModuleType>
    requires detail::is_module<ModuleType>
  NamedAnyModule(std::string name, ModuleType&& module)
      : NamedAnyModule(std::move(name), AnyModule(std::forward<ModuleType>(module))) {}
  template <class ModuleType>
  NamedAnyModule(std::string name, const ModuleHolder<ModuleType>& module_holder)
      : NamedAnyModule(std::move(name), AnyModule(module_holder)) {}
  NamedAnyModule(std::string name, AnyModule any_module) : name_(std::move(name)), module_(std::move(any_module)) {}

  const std::string& name() const noexcept { return name_; }
  AnyModule& module() noexcept { return module_; }
  const AnyModule& module() const noexcept { return module_; }

 private:
  std::string name_;
  AnyModule module_;
};

}  // namespace tg::nn
