// The optimizer base: parameter groups, their options, zero_grad.
#include "tensorgrad/optim/optimizer.h"

#include <algorithm>

#include "tensorgrad/autograd.h"

namespace tg::optim {

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.has_options() ? other.options_->clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.has_options() ? other.options_->clone() : nullptr;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
  TG_CHECK(has_options(), "This parameter group has no options; it takes the optimizer's defaults when added to an "
                          "optimizer");
  return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
  return const_cast<OptimizerParamGroup&>(*this).options();
}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  TG_INTERNAL_ASSERT(defaults_ != nullptr, "an optimizer needs default options");
  for (const auto& group : param_groups) add_param_group(group);
}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(parameters))}, std::move(defaults)) {}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  for (const Tensor& p : param_group.params()) {
    TG_CHECK(p.defined(), "can't optimize an undefined Tensor");
    TG_CHECK(p.is_leaf(), "can't optimize a non-leaf Tensor");
    // As libtorch 1.13: only a parameter that already has state is refused. One
    // in two groups is updated by each (state is per tensor, shared).
    TG_CHECK(state_.count(p.unsafeGetTensorImpl()) == 0, "some parameters appear in more than one parameter group");
  }
  OptimizerParamGroup group(param_group.params(),
                            param_group.has_options() ? param_group.options().clone() : defaults_->clone());
  param_groups_.push_back(std::move(group));
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  TG_CHECK(!param_groups_.empty(), "add_parameters: the optimizer has no parameter group to add to");
  auto& ps = param_groups_.front().params();
  ps.insert(ps.end(), parameters.begin(), parameters.end());
}

void Optimizer::zero_grad() {
  for (auto& group : param_groups_) {
    for (Tensor& p : group.params()) {
      if (p.grad().defined()) {
        Tensor& g = p.mutable_grad();
        g.detach_();
        g.zero_();
      }
    }
  }
}

const std::vector<Tensor>& Optimizer::parameters() const {
  TG_CHECK(!param_groups_.empty(), "parameters: the optimizer has no parameter groups");
  return param_groups_.front().params();
}

std::vector<Tensor>& Optimizer::parameters() {
  TG_CHECK(!param_groups_.empty(), "parameters: the optimizer has no parameter groups");
  return param_groups_.front().params();
}

size_t Optimizer::size() const noexcept {
  size_t n = 0;
  for (const auto& group : param_groups_) n += group.params().size();
  return n;
}

Tensor Optimizer::run_closure(const LossClosure& closure) {
  if (!closure) return {};
  autograd::AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace tg::optim
