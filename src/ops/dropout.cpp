// F::dropout, composed as libtorch 1.13 composes it on the CPU: the input times a
// noise tensor of 0 and 1/(1-p) drawn from bernoulli(1-p), so the node is
// MulBackward0; the identity (the input itself) when not training or p == 0.
#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg::nn::functional {

Tensor dropout(Tensor input, const DropoutFuncOptions& options) {
  const double p = options.p();
  TG_CHECK(p >= 0. && p <= 1., "dropout probability has to be between 0 and 1, but got ", p);
  if (!options.training() || p == 0. || input.numel() == 0) return input;
  Tensor noise;
  if (p == 1.) {
    // x * 0 rather than zeros: NaN and the sign of zero propagate as in libtorch.
    noise = ops::scalar_tensor(0, input.dtype());
  } else {
    TG_CHECK(is_floating_point(input.dtype()), "result type Float can't be cast to the desired output type ",
             input.dtype());
    noise = bernoulli(full(input.sizes(), 1. - p, input.dtype()));
    noise.div_(1. - p);
  }
  if (options.inplace()) return input.mul_(noise);
  return input * noise;
}

}  // namespace tg::nn::functional
