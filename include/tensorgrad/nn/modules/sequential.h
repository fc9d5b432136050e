#pragma once
// Sequential: modules of different types applied one after another, as libtorch's.
//   Sequential seq(Linear(4, 8), ReLU(), Linear(8, 2));
//   Sequential named({{"fc", Linear(4, 8)}, {"act", ReLU()}});
// Children are named "0", "1", ... unless given names. Each module must have a
// `Tensor forward(Tensor)` (see AnyModule).
#include <cstddef>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/modules/any.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

class SequentialImpl : public Module {
 public:
  using Iterator = std::vector<AnyModule>::iterator;
  using ConstIterator = std::vector<AnyModule>::const_iterator;

  SequentialImpl() = default;
  template <class... Modules>
    requires(!(sizeof...(Modules) == 1 && (std::is_same_v<std::decay_t<Modules>, SequentialImpl> && ...)))
  explicit SequentialImpl(Modules&&... modules) {
    modules_.reserve(sizeof...(Modules));
    (push_back(std::forward<Modules>(modules)), ...);
  }
  explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules);

  void pretty_print(std::ostream& stream) const override;

  // Feeds `input` through every module in order.
  template <class ReturnType = Tensor>
  ReturnType forward(const Tensor& input) {
    static_assert(std::is_same_v<ReturnType, Tensor>, "tensorgrad's Sequential::forward returns a Tensor");
    return run(input);
  }

  template <class ModuleType>
  void push_back(std::shared_ptr<ModuleType> module_ptr) {
    push_back(std::to_string(modules_.size()), std::move(module_ptr));
  }
  template <class ModuleType>
  void push_back(std::string name, std::shared_ptr<ModuleType> module_ptr) {
    push_back(std::move(name), AnyModule(std::move(module_ptr)));
  }
  template <class M>
    requires detail::is_module<M>
  void push_back(M&& module) {
    push_back(std::to_string(modules_.size()), std::forward<M>(module));
  }
  template <class M>
    requires detail::is_module<M>
  void push_back(std::string name, M&& module) {
    push_back(std::move(name), std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }
  template <class M>
  void push_back(const ModuleHolder<M>& module_holder) {
    push_back(std::to_string(modules_.size()), module_holder);
  }
  template <class M>
  void push_back(std::string name, const ModuleHolder<M>& module_holder) {
    push_back(std::move(name), module_holder.ptr());
  }
  void push_back(AnyModule any_module);
  void push_back(std::string name, AnyModule any_module);

  // Appends every module of a container (another Sequential's modules, a vector of holders, ...).
  template <class Container>
  void extend(const Container& container) {
    for (const auto& module : container) push_back(module);
  }

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  // The module at `index` as its concrete type; raises if it is another type.
  template <class T>
    requires detail::is_module<T>
  T& at(size_t index) {
    return *ptr<T>(index);
  }
  template <class T>
    requires detail::is_module<T>
  const T& at(size_t index) const {
    return *ptr<T>(index);
  }
  std::shared_ptr<Module> ptr(size_t index) const { return checked(index).ptr(); }
  template <class T>
    requires detail::is_module<T>
  std::shared_ptr<T> ptr(size_t index) const {
    return checked(index).template ptr<T>();
  }
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }

  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }

 private:
  Tensor run(const Tensor& input);
  const AnyModule& checked(size_t index) const;

  std::vector<AnyModule> modules_;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  Sequential() : ModuleHolder() {}
  Sequential(std::initializer_list<NamedAnyModule> named_modules)
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
};

}  // namespace tg::nn
