// The activations of tg::nn::functional: libtorch's option structs over the tg
// ops. In-place variants compute out of place and take over the result's
// values and history (Note [In-place with autograd]).
#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg::nn::functional {
namespace {
using namespace tg::ops;

constexpr const char* kLeakyReluNegativeSlopeInplace =
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This is "
    "caused by calling in-place forward function with a negative slope, please call out-of-place version instead. "
    "File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward "
    "calculation with negative slope";

}  // namespace

Tensor relu(Tensor input, const ReLUFuncOptions& options) {
  if (!options.inplace()) return tg::relu(input);
  check_inplace(input);
  commit_inplace(input, tg::relu(input));
  return input;
}

Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options) {
  const double slope = options.negative_slope();
  if (!options.inplace()) return tg::leaky_relu(input, slope);
  check_inplace(input);
  Tensor result = tg::leaky_relu(input.detach(), slope);
  if (needs_record(input)) {
    // The input is overwritten, so the gradient is read off the result, as
    // libtorch's LeakyReluBackward1: exact only for a non-negative slope.
    auto node = make_node(
        "LeakyReluBackward1",
        [slope](Node& n, const Tensor& g) -> variable_list {
          TG_CHECK(slope >= 0, kLeakyReluNegativeSlopeInplace);
          return {where(n.saved(0) > 0, g, g * slope)};
        },
        input);
    node->save(result, true);
    set_history(result, node);
  }
  commit_inplace(input, result);
  return input;
}

Tensor gelu(const Tensor& input, const GELUFuncOptions& options) { return tg::gelu(input, options.approximate()); }

Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return tg::softmax(input, options.dim(), options.dtype());
}

Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return tg::log_softmax(input, options.dim(), options.dtype());
}

}  // namespace tg::nn::functional
