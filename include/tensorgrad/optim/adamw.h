#pragma once
// AdamW: Adam with decoupled weight decay (p ← p·(1 − lr·wd) before the Adam
// update), updating parameters exactly as libtorch 1.13's torch::optim::AdamW.
#include <cstdint>
#include <tuple>

#include "tensorgrad/optim/optimizer.h"

namespace tg::optim {

struct AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
  AdamWOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as in libtorch
  using betas_t = std::tuple<double, double>;
  TG_ARG(double, lr) = 1e-3;
  TG_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  TG_ARG(double, eps) = 1e-8;
  TG_ARG(double, weight_decay) = 1e-2;
  TG_ARG(bool, amsgrad) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
};

struct AdamWParamState : public OptimizerCloneableParamState<AdamWParamState> {
  TG_ARG(int64_t, step) = 0;
  TG_ARG(Tensor, exp_avg);
  TG_ARG(Tensor, exp_avg_sq);
  TG_ARG(Tensor, max_exp_avg_sq) = {};
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  explicit AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});

  // As Adam's step, with p ← p·(1 − lr·wd) first and no decay added to g.
  Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace tg::optim
