// prelu(x, weight): x where x > 0, weight * x elsewhere, with one weight shared by
// all channels or one per channel (dim 1), as libtorch 1.13's prelu_cpu.
#include "kernels/vec_math.h"
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
  TG_CHECK(a.is_floating_point(), "\"prelu_cpu\" not implemented for '", a.dtype(), "'");
  const int64_t ndim = a.dim();
  // Contiguous, as libtorch's prelu_cpu makes it whatever a's layout; one loop
  // (as where(x > 0, x, x * w) it took three passes, 3.1x libtorch's time).
  Tensor out = empty(a.sizes(), a.dtype());
  {
    AutoGradMode no_grad(false);
    const Tensor w = channel_weight(weight, ndim);
    kernels::visit_floating(a.dtype(), "prelu_cpu", [&](auto tag) {
      using T = decltype(tag);
      // Selected through the bits (vec_math.h): GCC moved the product into a
      // branch, which it does not speculate (it could trap), and the loop took
      // 2.5 ms for 512K floats with mixed signs instead of 0.04.
      kernels::map<T, T, T>(
          out, [](T x, T wv) { return kernels::select_bits(x > T(0), x, x * wv); }, contiguous_raw(a), w);
    });
  }
  if (needs_record(a, weight)) {
    DimVector w_shape(weight.sizes());
    auto node = make_node("PreluBackward0", [ndim, w_shape](Node& n, const Tensor& g) -> variable_list {
      const Tensor x = n.saved(0);
      variable_list grads(2);
      if (GradMode::is_enabled()) {  // differentiable formulas, for create_graph
        const Tensor positive = x > 0;
        // With an edge to x whose derivative is 0, as libtorch's prelu_backward.
        if (n.needs_input_grad(0))
          grads[0] = pass_gradient("PreluBackwardBackward0", where(positive, g, g * channel_weight(n.saved(1), ndim)), x,
                                   [](auto gv, auto) { return gv; });
        if (n.needs_input_grad(1)) grads[1] = where(positive, 0, x * g);
      } else {
        kernels::visit_floating(x.dtype(), "prelu_backward_cpu", [&](auto tag) {
          using T = decltype(tag);
          const Tensor gc = cast(g, x.dtype());
          if (n.needs_input_grad(0)) {
            grads[0] = empty(x.sizes(), x.dtype());
            kernels::map<T, T, T, T>(
                grads[0],
                [](T xv, T gv, T wv) { return kernels::select_bits(xv > T(0), gv, gv * wv); },
                x, gc, channel_weight(n.saved(1), ndim));
          }
          if (n.needs_input_grad(1)) {
            grads[1] = empty(x.sizes(), x.dtype());
            kernels::map<T, T, T>(
                grads[1],
                [](T xv, T gv) { return kernels::select_bits(xv > T(0), T(0), xv * gv); },
                x, gc);
          }
        });
      }
      if (n.needs_input_grad(1)) {
        DimVector dims;
        for (int64_t d = 0; d < ndim; ++d)
          if (d != 1 || core::numel_of(w_shape) == 1) dims.push_back(d);
        grads[1] = (dims.empty() ? grads[1] : grads[1].sum(dims)).reshape(w_shape);
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
