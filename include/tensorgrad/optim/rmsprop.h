#pragma once
// RMSprop (optionally centered, with momentum and weight decay), updating
// parameters exactly as libtorch 1.13's torch::optim::RMSprop.
#include <cstdint>

#include "tensorgrad/optim/optimizer.h"

namespace tg::optim {

struct RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as in libtorch
  TG_ARG(double, lr) = 1e-2;
  TG_ARG(double, alpha) = 0.99;
  TG_ARG(double, eps) = 1e-8;
  TG_ARG(double, weight_decay) = 0;
  TG_ARG(double, momentum) = 0;
  TG_ARG(bool, centered) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
};

struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  TG_ARG(int64_t, step) = 0;
  TG_ARG(Tensor, square_avg);
  TG_ARG(Tensor, momentum_buffer) = {};
  TG_ARG(Tensor, grad_avg) = {};
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});

  // For each parameter p with gradient g (α, ε, weight decay wd, momentum μ):
  //   g ← g + wd·p;  s ← α·s + (1−α)·g²;
  //   centered: a ← α·a + (1−α)·g, d ← √(s − a²) + ε; else d ← √s + ε;
  //   momentum: b ← μ·b + g/d, p ← p − lr·b; else p ← p − lr·g/d.
  Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace tg::optim
