#pragma once
// tg::nn::Module: the base class of every layer and model, as libtorch 1.13's
// torch::nn::Module. A module owns named parameters, buffers and child modules
// (shared_ptr ownership, as libtorch); parameters()/named_parameters() walk the
// tree in registration order with dotted names ("features.0.weight").
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "tensorgrad/nn/ordered_dict.h"
#include "tensorgrad/nn/pimpl.h"
#include "tensorgrad/tensor.h"

namespace tg::nn {

namespace detail {
// The demangled name of a type ("tg::nn::LinearImpl"), for names and error messages.
std::string demangled_name(const std::type_info& type);
}  // namespace detail

class Module : public std::enable_shared_from_this<Module> {
 public:
  using ModuleApplyFunction = std::function<void(Module&)>;
  using ConstModuleApplyFunction = std::function<void(const Module&)>;
  using NamedModuleApplyFunction = std::function<void(const std::string&, Module&)>;
  using ConstNamedModuleApplyFunction = std::function<void(const std::string&, const Module&)>;
  using ModulePointerApplyFunction = std::function<void(const std::shared_ptr<Module>&)>;
  using NamedModulePointerApplyFunction = std::function<void(const std::string&, const std::shared_ptr<Module>&)>;

  explicit Module(std::string name);
  Module();
  virtual ~Module() = default;

  // The name given to the constructor, or else the demangled class name
  // ("tg::nn::LinearImpl", "NetImpl").
  const std::string& name() const noexcept;

  // Calls `function` on this module and then on every descendant, depth first in
  // registration order; the named forms pass the dotted path from this module.
  void apply(const ModuleApplyFunction& function);
  void apply(const ConstModuleApplyFunction& function) const;
  void apply(const NamedModuleApplyFunction& function, const std::string& name_prefix = std::string());
  void apply(const ConstNamedModuleApplyFunction& function, const std::string& name_prefix = std::string()) const;
  void apply(const ModulePointerApplyFunction& function) const;
  void apply(const NamedModulePointerApplyFunction& function, const std::string& name_prefix = std::string()) const;

  // Defined parameters (and buffers) of this module and, with recurse, of all
  // descendants; registered-but-undefined ones (a Linear's bias with bias=false) are skipped.
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;

  // This module (when include_self; it must then be owned by a shared_ptr) and all descendants.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = std::string(),
                                                                   bool include_self = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;

  // Sets training mode here and in every descendant (Dropout is the identity in eval mode).
  virtual void train(bool on = true);
  void eval();
  virtual bool is_training() const noexcept;

  // Converts every parameter and buffer in place: tensors keep their identity, so
  // handles such as LinearImpl::weight see the new dtype (libtorch's set_data).
  virtual void to(Dtype dtype, bool non_blocking = false);

  // Zeroes every parameter's gradient, or with set_to_none drops it (libtorch 1.13's default is false).
  virtual void zero_grad(bool set_to_none = false);

  // This module as the given type (a Module subclass or a holder), or null.
  template <class ModuleType>
    requires detail::is_module_holder_v<ModuleType>
  typename ModuleType::ContainedType* as() noexcept {
    return as<typename ModuleType::ContainedType>();
  }
  template <class ModuleType>
    requires detail::is_module_holder_v<ModuleType>
  const typename ModuleType::ContainedType* as() const noexcept {
    return as<typename ModuleType::ContainedType>();
  }
  template <class ModuleType>
    requires(!detail::is_module_holder_v<ModuleType>)
  ModuleType* as() noexcept {
    return dynamic_cast<ModuleType*>(this);
  }
  template <class ModuleType>
    requires(!detail::is_module_holder_v<ModuleType>)
  const ModuleType* as() const noexcept {
    return dynamic_cast<const ModuleType*>(this);
  }

  // One line describing this module alone; operator<< adds the children indented below.
  virtual void pretty_print(std::ostream& stream) const;

  // Registers `tensor` as parameter `name` (no dots) and sets its requires_grad.
  // An undefined tensor may be registered (an absent bias); it is then skipped by parameters().
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  // Registers a tensor that is part of the module's state but not trained.
  Tensor& register_buffer(std::string name, Tensor tensor);

  template <class ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, std::shared_ptr<ModuleType> module) {
    check_submodule_name(name);
    TG_CHECK(module != nullptr, "Submodule '", name, "' is null");
    children_.insert(std::move(name), std::shared_ptr<Module>(module));
    return module;
  }
  template <class ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name, ModuleHolder<ModuleType> module_holder) {
    return register_module(std::move(name), module_holder.ptr());
  }
  template <class ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    TG_CHECK(module != nullptr, "Submodule '", name, "' is null");
    children_[name] = module;
    return module;
  }
  template <class ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, ModuleHolder<ModuleType> module_holder) {
    return replace_module(name, module_holder.ptr());
  }
  void unregister_module(const std::string& name);

 protected:
  OrderedDict<std::string, Tensor> parameters_{"Parameter"};

 private:
  friend std::ostream& operator<<(std::ostream& stream, const Module& module);

  static void check_submodule_name(const std::string& name);
  void pretty_print_recursive(std::ostream& stream, const std::string& indentation) const;
  void apply_to_submodules(const NamedModulePointerApplyFunction& function, const std::string& name_prefix) const;
  std::shared_ptr<Module> shared_from_this_checked() const;

  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};
  mutable std::string name_;
  bool is_training_ = true;
};

// Prints the module and its children, one per line, as libtorch's pretty printer:
//   NetImpl(
//     (fc1): tg::nn::Linear(in_features=4, out_features=8, bias=true)
//   )
std::ostream& operator<<(std::ostream& stream, const Module& module);

}  // namespace tg::nn
