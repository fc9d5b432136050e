// SGD: one fused pass per parameter (Note [Optimizer rounding] in fused_update.h).
#include "tensorgrad/optim/sgd.h"

#include "optim/fused_update.h"

namespace tg::optim {

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<SGDOptions>(defaults)) {
  TG_CHECK(defaults.lr() >= 0, "Invalid learning rate: ", defaults.lr());
  TG_CHECK(defaults.momentum() >= 0, "Invalid momentum value: ", defaults.momentum());
  TG_CHECK(defaults.weight_decay() >= 0, "Invalid weight_decay value: ", defaults.weight_decay());
  TG_CHECK(!defaults.nesterov() || (defaults.momentum() > 0 && defaults.dampening() == 0),
           "Nesterov momentum requires a momentum and zero dampening");
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

Tensor SGD::step(LossClosure closure) {
  NoGradGuard no_grad;
  Tensor loss = run_closure(closure);
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const SGDOptions&>(group.options());
    const double weight_decay = options.weight_decay();
    const double momentum = options.momentum();
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::check_parameter("SGD", p);
      // libtorch makes the momentum buffer a copy of the first gradient, so the
      // first step applies neither the momentum nor the dampening.
      Tensor buf;
      bool first = false;
      if (momentum != 0) {
        auto it = state_.find(p.unsafeGetTensorImpl());
        if (it == state_.end()) {
          auto state = std::make_unique<SGDParamState>();
          state->momentum_buffer(ops::empty(p.sizes(), p.dtype()));
          it = state_.emplace(p.unsafeGetTensorImpl(), std::move(state)).first;
          first = true;
        }
        buf = static_cast<SGDParamState&>(*it->second).momentum_buffer();
        detail::check_state("SGD", "momentum_buffer", buf, p);
      }
      detail::fused_update(p, [&](auto* param, const auto* grad, int64_t begin, int64_t end) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(param)>>;
        const T wd = static_cast<T>(weight_decay), mom = static_cast<T>(momentum);
        const T keep = static_cast<T>(1 - options.dampening()), neg_lr = static_cast<T>(-1 * options.lr());
        T* b = detail::buffer<T>(buf);
        detail::with_static_flags(
            [&](auto decay, auto use_momentum, auto first_step, auto nesterov) {
              for (int64_t i = begin; i < end; ++i) {
                T d = grad[i];
                if constexpr (decay) d = std::fma(param[i], wd, d);
                if constexpr (use_momentum) {
                  T m;
                  if constexpr (first_step) {
                    m = d;
                  } else {
                    m = std::fma(d, keep, b[i] * mom);
                  }
                  b[i] = m;
                  if constexpr (nesterov) {
                    d = std::fma(m, mom, d);
                  } else {
                    d = m;
                  }
                }
                param[i] = std::fma(d, neg_lr, param[i]);
              }
            },
            weight_decay != 0, momentum != 0, first, options.nesterov());
      });
    }
  }
  return loss;
}

}  // namespace tg::optim
