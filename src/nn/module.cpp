#include "tensorgrad/nn/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <ostream>
#include <typeinfo>

#include "tensorgrad/autograd.h"

namespace tg::nn {

namespace {

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// libtorch's Variable::set_data: `t` keeps its identity (and autograd state) while
// taking over `data`'s storage, shape and dtype.
void set_data(const Tensor& t, const Tensor& data) {
  TensorImpl* dst = t.unsafeGetTensorImpl();
  const TensorImpl* src = data.unsafeGetTensorImpl();
  dst->storage = src->storage;
  dst->storage_offset = src->storage_offset;
  dst->sizes = src->sizes;
  dst->strides = src->strides;
  dst->dtype = src->dtype;
  dst->refresh();
}

void check_tensor_name(const std::string& name, const char* kind) {
  TG_CHECK(!name.empty(), kind, " name must not be empty");
  TG_CHECK(name.find('.') == std::string::npos, kind, " name must not contain a dot (got '", name, "')");
}

}  // namespace

std::string detail::demangled_name(const std::type_info& type) {
  int status = 0;
  char* out = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return type.name();
  std::string result(out);
  std::free(out);
  return result;
}

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

const std::string& Module::name() const noexcept {
  if (name_.empty()) name_ = detail::demangled_name(typeid(*this));
  return name_;
}

// ---- traversal -------------------------------------------------------------------------------
void Module::apply(const ModuleApplyFunction& function) {
  function(*this);
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { function(*m); }, "");
}

void Module::apply(const ConstModuleApplyFunction& function) const {
  function(*this);
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { function(*m); }, "");
}

void Module::apply(const NamedModuleApplyFunction& function, const std::string& name_prefix) {
  function(name_prefix, *this);
  apply_to_submodules([&](const std::string& name, const std::shared_ptr<Module>& m) { function(name, *m); },
                      name_prefix);
}

void Module::apply(const ConstNamedModuleApplyFunction& function, const std::string& name_prefix) const {
  function(name_prefix, *this);
  apply_to_submodules([&](const std::string& name, const std::shared_ptr<Module>& m) { function(name, *m); },
                      name_prefix);
}

void Module::apply(const ModulePointerApplyFunction& function) const {
  function(shared_from_this_checked());
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { function(m); }, "");
}

void Module::apply(const NamedModulePointerApplyFunction& function, const std::string& name_prefix) const {
  function(name_prefix, shared_from_this_checked());
  apply_to_submodules(function, name_prefix);
}

void Module::apply_to_submodules(const NamedModulePointerApplyFunction& function,
                                 const std::string& name_prefix) const {
  for (const auto& child : children_) {
    const std::string qualified = join_name(name_prefix, child.key());
    function(qualified, child.value());
    child.value()->apply_to_submodules(function, qualified);
  }
}

std::shared_ptr<Module> Module::shared_from_this_checked() const {
  std::shared_ptr<const Module> self = weak_from_this().lock();
  TG_CHECK(self != nullptr,
           "It looks like you attempted to retrieve your top-level module as a shared_ptr, but it is not stored in "
           "a shared_ptr. Use std::make_shared<",
           name(),
           "> instead of creating your module on the stack, or alternatively do not try to access your top-level "
           "module at all by passing /*include_self=*/false to modules() or named_modules()");
  return std::const_pointer_cast<Module>(self);
}

// ---- parameters and buffers ----------------------------------------------------------------------
OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  OrderedDict<std::string, Tensor> result;
  if (!recurse) {
    for (const auto& p : parameters_)
      if (p.value().defined()) result.insert(p.key(), p.value());
    return result;
  }
  apply([&](const std::string& prefix, const Module& m) {
    for (const auto& p : m.named_parameters(/*recurse=*/false)) result.insert(join_name(prefix, p.key()), p.value());
  });
  return result;
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  OrderedDict<std::string, Tensor> result;
  if (!recurse) {
    for (const auto& b : buffers_)
      if (b.value().defined()) result.insert(b.key(), b.value());
    return result;
  }
  apply([&](const std::string& prefix, const Module& m) {
    for (const auto& b : m.named_buffers(/*recurse=*/false)) result.insert(join_name(prefix, b.key()), b.value());
  });
  return result;
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_tensor_name(name, "Parameter");
  // An undefined tensor cannot require grad; libtorch warns and ignores the flag.
  if (tensor.defined()) tensor.set_requires_grad(requires_grad);
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_tensor_name(name, "Buffer");
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::check_submodule_name(const std::string& name) { check_tensor_name(name, "Submodule"); }

void Module::unregister_module(const std::string& name) {
  TG_CHECK(children_.contains(name), "No Module with name `", name, "` is registered");
  children_.erase(name);
}

// ---- modules ---------------------------------------------------------------------------------------
std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  std::vector<std::shared_ptr<Module>> result;
  if (include_self) result.push_back(shared_from_this_checked());
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { result.push_back(m); }, "");
  return result;
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                         bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> result;
  if (include_self) result.insert(name_prefix, shared_from_this_checked());
  apply_to_submodules([&](const std::string& name, const std::shared_ptr<Module>& m) { result.insert(name, m); },
                      name_prefix);
  return result;
}

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const { return children_; }

// ---- state -----------------------------------------------------------------------------------------
void Module::train(bool on) {
  for (auto& child : children_) child.value()->train(on);
  is_training_ = on;
}

void Module::eval() { train(false); }

bool Module::is_training() const noexcept { return is_training_; }

void Module::to(Dtype dtype, bool non_blocking) {
  for (auto& child : children_) child.value()->to(dtype, non_blocking);
  autograd::NoGradGuard no_grad;
  for (auto& p : parameters_)
    if (p.value().defined()) set_data(p.value(), p.value().to(dtype, non_blocking));
  for (auto& b : buffers_)
    if (b.value().defined()) set_data(b.value(), b.value().to(dtype, non_blocking));
}

void Module::zero_grad(bool set_to_none) {
  for (auto& child : children_) child.value()->zero_grad(set_to_none);
  for (auto& p : parameters_) {
    if (!p.value().defined() || !p.value().grad().defined()) continue;
    Tensor& grad = p.value().mutable_grad();
    if (set_to_none) {
      grad = Tensor();
    } else {
      grad = grad.detach();
      grad.zero_();
    }
  }
}

// ---- printing ----------------------------------------------------------------------------------------
void Module::pretty_print(std::ostream& stream) const { stream << name(); }

void Module::pretty_print_recursive(std::ostream& stream, const std::string& indentation) const {
  pretty_print(stream);
  if (children_.is_empty()) return;
  stream << "(\n";
  const std::string next_indentation = indentation + "  ";
  for (const auto& child : children_) {
    stream << next_indentation << "(" << child.key() << "): ";
    child.value()->pretty_print_recursive(stream, next_indentation);
    stream << '\n';
  }
  stream << indentation << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print_recursive(stream, "");
  return stream;
}

}  // namespace tg::nn
