// Adam: weight decay added to the gradient (the step is in adam_step.h).
#include "tensorgrad/optim/adam.h"

#include "optim/adam_step.h"

namespace tg::optim {

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamOptions>(defaults)) {
  detail::check_adam_options(defaults);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor Adam::step(LossClosure closure) {
  NoGradGuard no_grad;
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamOptions, AdamParamState>("Adam", param_groups_, state_, /*decoupled_weight_decay=*/false);
  return loss;
}

}  // namespace tg::optim
