#pragma once
// Adam (with the AMSGrad variant and L2 weight decay added to the gradient),
// updating parameters exactly as libtorch 1.13's torch::optim::Adam.
#include <cstdint>
#include <tuple>

#include "tensorgrad/optim/optimizer.h"

namespace tg::optim {

struct AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  AdamOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as in libtorch
  using betas_t = std::tuple<double, double>;
  TG_ARG(double, lr) = 1e-3;
  TG_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  TG_ARG(double, eps) = 1e-8;
  TG_ARG(double, weight_decay) = 0;
  TG_ARG(bool, amsgrad) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
};

struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  TG_ARG(int64_t, step) = 0;
  TG_ARG(Tensor, exp_avg);
  TG_ARG(Tensor, exp_avg_sq);
  TG_ARG(Tensor, max_exp_avg_sq) = {};
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  explicit Adam(std::vector<Tensor> params, AdamOptions defaults = {});

  // For each parameter p with gradient g, at step t (β1, β2, ε, weight decay wd):
  //   g ← g + wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
  //   v̂ ← max(v̂, v) (AMSGrad) or v;
  //   p ← p − lr/(1−β1ᵗ) · m / (√v̂ / √(1−β2ᵗ) + ε).
  Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace tg::optim
