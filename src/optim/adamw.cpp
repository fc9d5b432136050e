// AdamW: decoupled weight decay (the step is in adam_step.h).
#include "tensorgrad/optim/adamw.h"

#include "optim/adam_step.h"

namespace tg::optim {

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamWOptions>(defaults)) {
  detail::check_adam_options(defaults);
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor AdamW::step(LossClosure closure) {
  NoGradGuard no_grad;
  Tensor loss = run_closure(closure);
  detail::adam_step<AdamWOptions, AdamWParamState>("AdamW", param_groups_, state_, /*decoupled_weight_decay=*/true);
  return loss;
}

}  // namespace tg::optim
