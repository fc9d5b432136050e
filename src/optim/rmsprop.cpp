// RMSprop: one fused pass per parameter (Note [Optimizer rounding] in fused_update.h).
#include "tensorgrad/optim/rmsprop.h"

#include "optim/fused_update.h"

namespace tg::optim {

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<RMSpropOptions>(defaults)) {
  TG_CHECK(defaults.lr() >= 0, "Invalid learning rate: ", defaults.lr());
  TG_CHECK(defaults.eps() >= 0, "Invalid epsilon value: ", defaults.eps());
  TG_CHECK(defaults.momentum() >= 0, "Invalid momentum value: ", defaults.momentum());
  TG_CHECK(defaults.weight_decay() >= 0, "Invalid weight_decay value: ", defaults.weight_decay());
  TG_CHECK(defaults.alpha() >= 0, "Invalid alpha value: ", defaults.alpha());
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor RMSprop::step(LossClosure closure) {
  NoGradGuard no_grad;
  Tensor loss = run_closure(closure);
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const RMSpropOptions&>(group.options());
    const double weight_decay = options.weight_decay();
    const bool centered = options.centered();
    const bool use_momentum = options.momentum() > 0;
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::check_parameter("RMSprop", p);
      auto it = state_.find(p.unsafeGetTensorImpl());
      if (it == state_.end()) {
        auto state = std::make_unique<RMSpropParamState>();
        state->square_avg(detail::zero_state(p));
        it = state_.emplace(p.unsafeGetTensorImpl(), std::move(state)).first;
      }
      auto& state = static_cast<RMSpropParamState&>(*it->second);
      if (use_momentum && !state.momentum_buffer().defined()) state.momentum_buffer(detail::zero_state(p));
      if (centered && !state.grad_avg().defined()) state.grad_avg(detail::zero_state(p));
      detail::check_state("RMSprop", "square_avg", state.square_avg(), p);
      if (use_momentum) detail::check_state("RMSprop", "momentum_buffer", state.momentum_buffer(), p);
      if (centered) detail::check_state("RMSprop", "grad_avg", state.grad_avg(), p);
      state.step(state.step() + 1);
      detail::fused_update(p, [&](auto* param, const auto* grad, int64_t begin, int64_t end) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(param)>>;
        const T alpha = static_cast<T>(options.alpha()), rest = static_cast<T>(1 - options.alpha());
        const T wd = static_cast<T>(weight_decay), eps = static_cast<T>(options.eps());
        const T mom = static_cast<T>(options.momentum()), neg_lr = static_cast<T>(-options.lr());
        T* sq = detail::buffer<T>(state.square_avg());
        T* ga = detail::buffer<T>(state.grad_avg());
        T* buf = detail::buffer<T>(state.momentum_buffer());
        detail::with_static_flags(
            [&](auto decay, auto center, auto with_momentum) {
              for (int64_t i = begin; i < end; ++i) {
                T g = grad[i];
                if constexpr (decay) g = std::fma(param[i], wd, g);
                const T s = std::fma(rest * g, g, sq[i] * alpha);
                sq[i] = s;
                T avg;
                if constexpr (center) {
                  const T a = std::fma(g, rest, ga[i] * alpha);
                  ga[i] = a;
                  avg = std::sqrt(std::fma(-a, a, s)) + eps;  // libtorch: s.addcmul(a, a, -1)
                } else {
                  avg = std::sqrt(s) + eps;
                }
                if constexpr (with_momentum) {
                  const T b = buf[i] * mom + g / avg;
                  buf[i] = b;
                  param[i] = std::fma(b, neg_lr, param[i]);
                } else {
                  param[i] = param[i] + neg_lr * g / avg;
                }
              }
            },
            weight_decay != 0, centered, use_momentum);
      });
    }
  }
  return loss;
}

}  // namespace tg::optim
