#pragma once
// The step shared by Adam and AdamW, which differ only in how weight decay is
// applied: added to the gradient (Adam) or decoupled, p ← p·(1 − lr·wd) (AdamW).
// One fused pass per parameter (Note [Optimizer rounding] in fused_update.h).
#include <tuple>
#include <vector>

#include "optim/fused_update.h"
#include "tensorgrad/optim/optimizer.h"

namespace tg::optim::detail {

template <class T>
T maximum(T a, T b) {
  return (a != a || a > b) ? a : b;  // NaN propagates, as in libtorch's max_out
}

// The option checks of libtorch's Adam and AdamW constructors.
template <class Options>
void check_adam_options(const Options& o) {
  TG_CHECK(o.lr() >= 0, "Invalid learning rate: ", o.lr());
  TG_CHECK(o.eps() >= 0, "Invalid epsilon value: ", o.eps());
  const auto [beta1, beta2] = o.betas();
  TG_CHECK(0 <= beta1 && beta1 < 1.0, "Invalid beta parameter at index 0: ", beta1);
  TG_CHECK(0 <= beta2 && beta2 < 1.0, "Invalid beta parameter at index 1: ", beta2);
  TG_CHECK(o.weight_decay() >= 0, "Invalid weight_decay value: ", o.weight_decay());
}

template <class Options, class State>
void adam_step(const char* name, std::vector<OptimizerParamGroup>& groups, Optimizer::StateMap& states,
               bool decoupled_weight_decay) {
  for (auto& group : groups) {
    const auto& options = static_cast<const Options&>(group.options());
    const auto [beta1, beta2] = options.betas();
    const double weight_decay = options.weight_decay();
    const bool amsgrad = options.amsgrad();
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      check_parameter(name, p);
      auto it = states.find(p.unsafeGetTensorImpl());
      if (it == states.end()) {
        auto state = std::make_unique<State>();
        state->exp_avg(zero_state(p));
        state->exp_avg_sq(zero_state(p));
        it = states.emplace(p.unsafeGetTensorImpl(), std::move(state)).first;
      }
      auto& state = static_cast<State&>(*it->second);
      if (amsgrad && !state.max_exp_avg_sq().defined()) state.max_exp_avg_sq(zero_state(p));
      check_state(name, "exp_avg", state.exp_avg(), p);
      check_state(name, "exp_avg_sq", state.exp_avg_sq(), p);
      if (amsgrad) check_state(name, "max_exp_avg_sq", state.max_exp_avg_sq(), p);
      state.step(state.step() + 1);
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      const double step_size = options.lr() / bias_correction1;
      const double decay = 1 - options.lr() * weight_decay;
      fused_update(p, [&](auto* param, const auto* grad, int64_t begin, int64_t end) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(param)>>;
        const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
        const T c1 = static_cast<T>(1 - beta1), c2 = static_cast<T>(1 - beta2);
        const T wd = static_cast<T>(weight_decay), shrink = static_cast<T>(decay);
        const T sqrt_bc2 = static_cast<T>(std::sqrt(bias_correction2)), eps = static_cast<T>(options.eps());
        const T neg_step = static_cast<T>(-step_size);
        T* m = buffer<T>(state.exp_avg());
        T* v = buffer<T>(state.exp_avg_sq());
        T* v_max = buffer<T>(state.max_exp_avg_sq());
        with_static_flags(
            [&](auto shrink_param, auto decay_grad, auto ams) {
              for (int64_t i = begin; i < end; ++i) {
                T x = param[i];
                if constexpr (shrink_param) x = x * shrink;
                T g = grad[i];
                if constexpr (decay_grad) g = std::fma(x, wd, g);
                const T mi = std::fma(g, c1, m[i] * b1);
                T vi = std::fma(c2 * g, g, v[i] * b2);
                m[i] = mi;
                v[i] = vi;
                if constexpr (ams) {
                  vi = maximum(vi, v_max[i]);
                  v_max[i] = vi;
                }
                const T denom = std::sqrt(vi) / sqrt_bc2 + eps;
                param[i] = x + neg_step * mi / denom;
              }
            },
            decoupled_weight_decay && weight_decay != 0, !decoupled_weight_decay && weight_decay != 0, amsgrad);
      });
    }
  }
}

}  // namespace tg::optim::detail
