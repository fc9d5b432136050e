// prelu(x, weight): x where x > 0, weight * x elsewhere, with one weight shared by
// all channels or one per channel (dim 1), as libtorch 1.13's prelu_cpu.
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

// The weight laid out to broadcast along dim 1 of an input of `ndim` dims.
Tensor channel_weight(const Tensor& weight, int64_t ndim) {
  if (weight.numel() == 1) return weight.reshape({});
  DimVector shape(std::max<int64_t>(ndim - 1, 1), 1);
  shape[0] = weight.numel();
  return weight.reshape(shape);
}

}  // namespace

Tensor prelu(const Tensor& a, const Tensor& weight) {
  TG_CHECK(weight.dim() <= 1, "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = ", weight.dim());
  const int64_t n = weight.numel();
  if (n != 1) {
    TG_CHECK(a.dim() > 0, "Not allow zero-dim input tensor.");
    const int64_t channels = a.dim() > 1 ? a.size(1) : 1;
    TG_CHECK(channels == n, "Mismatch of parameter numbers and input channel size. Found parameter numbers = ", n,
             " and channel size = ", channels, ".");
  }
  TG_CHECK(weight.dtype() == a.dtype(), "Found dtype ", weight.dtype(), " but expected ", a.dtype());
  TG_CHECK_TYPE(a.is_floating_point(), "\"prelu_cpu\" not implemented for '", a.dtype(), "'");
  const int64_t ndim = a.dim();
  Tensor out;
  {
    AutoGradMode no_grad(false);
    // Contiguous, as libtorch's prelu_cpu makes it whatever a's layout.
    const Tensor x = contiguous_raw(a), w = channel_weight(weight, ndim);
    out = where(x > 0, x, x * w);
  }
  if (needs_record(a, weight)) {
    DimVector w_shape(weight.sizes());
    auto node = make_node("PreluBackward0", [ndim, w_shape](Node& n, const Tensor& g) -> variable_list {
      Tensor x = n.saved(0), positive = x > 0;
      variable_list grads(2);
      if (n.needs_input_grad(0)) grads[0] = where(positive, g, g * channel_weight(n.saved(1), ndim));
      if (n.needs_input_grad(1)) {
        Tensor per_element = where(positive, 0, x * g);
        DimVector dims;
        for (int64_t d = 0; d < ndim; ++d)
          if (d != 1 || core::numel_of(w_shape) == 1) dims.push_back(d);
        grads[1] = (dims.empty() ? per_element : per_element.sum(dims)).reshape(w_shape);
      }
      return grads;
    }, a, weight);
    node->save(a, false);
    node->save(save_if(node->needs_input_grad(0), weight), false);
    set_history(out, node);
  }
  return out;
}

}  // namespace tg
