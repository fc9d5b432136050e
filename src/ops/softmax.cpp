// softmax and log_softmax along a dim. The backward uses a fused kernel, or
// differentiable ops when a higher-order graph is being built.
#include "kernels/softmax.h"
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

template <bool Log>
Tensor softmax_impl(const Tensor& a, int64_t dim, optional<ScalarType> dtype, const char* name) {
  const int64_t d = core::wrap_dim(dim, a.dim());
  if (!dtype && !a.is_floating_point()) {
    // libtorch runs no kernel on an empty tensor, and names the one that refuses
    // the dtype otherwise (log_softmax along an inner dim uses softmax's).
    if (a.numel() == 0) return empty(a.sizes(), a.dtype());
    const bool last = a.dim() == 0 || d == a.dim() - 1;
    const char* kernel = !last ? "softmax_kernel_impl"
                         : Log ? "log_softmax_lastdim_kernel_impl"
                               : "softmax_lastdim_kernel_impl";
    throw Error(detail::str("\"", kernel, "\" not implemented for '", a.dtype(), "'"));
  }
  const ScalarType t = dtype ? *dtype : a.dtype();
  Tensor x = contiguous_raw(cast(a, t));
  Tensor out = empty(x.sizes(), t);
  const core::DimSplit L = core::split_at(x.sizes(), a.dim() == 0 ? 0 : d);
  kernels::visit_floating(t, Log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    kernels::softmax<T, Log>(x.data_ptr<T>(), out.data_ptr<T>(), L.outer, L.size, L.inner);
  });
  intrusive_ptr<Node> node;
  if (needs_record(a)) {
    node = make_node(name, [d](Node& n, const Tensor& g) -> variable_list {
      Tensor y = n.saved(0);
      if (GradMode::is_enabled()) {
        if constexpr (Log) return {g - exp(y) * g.sum(d, true)};
        else return {y * (g - (g * y).sum(d, true))};
      }
      Tensor gc = contiguous_raw(cast(g, y.dtype())), yc = contiguous_raw(y);
      Tensor r = empty(y.sizes(), y.dtype());
      const core::DimSplit L = core::split_at(y.sizes(), y.dim() == 0 ? 0 : d);
      kernels::visit_floating(y.dtype(), "softmax_backward", [&](auto tag) {
        using T = decltype(tag);
        kernels::softmax_backward<T, Log>(gc.data_ptr<T>(), yc.data_ptr<T>(), r.data_ptr<T>(), L.outer, L.size,
                                          L.inner);
      });
      return {r};
    }, a);
    node->save(out, true);
  }
  if (needs_tangent(a)) {
    const Tensor y = output_for_rule(out, node);
    set_tangent(out, a, [&](const Tensor& t) {
      if constexpr (Log) return t - (t * exp(y)).sum(d, true);
      else return y * (t - (t * y).sum(d, true));
    });
  }
  if (node) set_history(out, node);
  return out;
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t dim, optional<ScalarType> dtype) {
  return softmax_impl<false>(a, dim, dtype, "SoftmaxBackward0");
}
Tensor log_softmax(const Tensor& a, int64_t dim, optional<ScalarType> dtype) {
  return softmax_impl<true>(a, dim, dtype, "LogSoftmaxBackward0");
}

Tensor Tensor::softmax(int64_t dim, optional<ScalarType> dtype) const { return tg::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, optional<ScalarType> dtype) const { return tg::log_softmax(*this, dim, dtype); }

}  // namespace tg
