#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov momentum and
// weight decay, updating parameters exactly as libtorch 1.13's torch::optim::SGD.
#include "tensorgrad/optim/optimizer.h"

namespace tg::optim {

struct SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  SGDOptions(double lr) : lr_(lr) {}  // NOLINT: implicit, as in libtorch
  TG_ARG(double, lr);
  TG_ARG(double, momentum) = 0;
  TG_ARG(double, dampening) = 0;
  TG_ARG(double, weight_decay) = 0;
  TG_ARG(bool, nesterov) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
};

struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  TG_ARG(Tensor, momentum_buffer);
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  explicit SGD(std::vector<Tensor> params, SGDOptions defaults);

  // For each parameter p with gradient g (weight decay wd, momentum μ, dampening τ):
  //   g ← g + wd·p;  b ← g on the first step, else μ·b + (1−τ)·g;
  //   g ← g + μ·b (Nesterov) or b;  p ← p − lr·g.
  Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace tg::optim
