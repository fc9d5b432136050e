// F::linear, composed as libtorch 1.13 composes it, so results carry the same
// grad_fn: one addmm for 2-D input with a bias, else matmul (which folds the
// leading dims of N-D input into one GEMM) and an in-place bias add.
#include "tensorgrad/nn/functional.h"

namespace tg::nn::functional {

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (input.dim() == 2 && bias.defined()) return tg::addmm(bias, input, weight.t());
  Tensor out = tg::matmul(input, weight.t());
  if (bias.defined()) out.add_(bias);
  return out;
}

}  // namespace tg::nn::functional
