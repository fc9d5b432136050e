#include "tensorgrad/nn/modules/sequential.h"

#include <ostream>

namespace tg::nn {

SequentialImpl::SequentialImpl(std::initializer_list<NamedAnyModule> named_modules) {
  modules_.reserve(named_modules.size());
  for (const NamedAnyModule& named : named_modules) push_back(named.name(), named.module());
}

void SequentialImpl::pretty_print(std::ostream& stream) const { stream << "tg::nn::Sequential"; }

void SequentialImpl::push_back(AnyModule any_module) {
  push_back(std::to_string(modules_.size()), std::move(any_module));
}

void SequentialImpl::push_back(std::string name, AnyModule any_module) {
  // Registered first, so that a duplicate name leaves the Sequential unchanged.
  register_module(std::move(name), any_module.ptr());
  modules_.push_back(std::move(any_module));
}

Tensor SequentialImpl::run(const Tensor& input) {
  TG_CHECK(!is_empty(), "Cannot call forward() on an empty Sequential");
  Tensor x = modules_.front().forward(input);
  for (size_t i = 1; i < modules_.size(); ++i) x = modules_[i].forward(x);
  return x;
}

const AnyModule& SequentialImpl::checked(size_t index) const {
  TG_CHECK(index < size(), "Index out of range");
  return modules_[index];
}

}  // namespace tg::nn
