#include "autograd/autograd_meta.h"

#include "autograd/accumulate_grad.h"
#include "autograd/forward_ad_internal.h"
#include "autograd/tape_internal.h"
#include "tensorgrad/error.h"

namespace tg::autograd {

AutogradMeta& AutogradMeta::get_or_create(TensorImpl* impl) {
  if (!impl->autograd_meta) impl->autograd_meta = std::make_unique<AutogradMeta>();
  return *impl->autograd_meta;
}

void AutogradMeta::on_tensor_destroyed(TensorImpl* impl) {
  AutogradMeta& m = *impl->autograd_meta;
  if (m.retains_grad && m.grad_fn) m.grad_fn->clear_retained(m.output_nr, impl);
}

intrusive_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& m = AutogradMeta::get_or_create(leaf.unsafeGetTensorImpl());
  std::lock_guard<std::mutex> lock(m.mutex);
  // Note [Weak accumulator]: reuse the live accumulator if there is one.
  if (auto acc = intrusive_ptr<Node>::try_retain(m.grad_accumulator)) return acc;
  auto acc = make_intrusive<AccumulateGrad>(leaf);
  m.grad_accumulator = acc.get();
  return acc;
}

void throw_stale_view() {
  throw NotImplementedError(
      "a view is used in autograd after its base was modified by an in-place operation that recorded a new "
      "history; libtorch rebuilds the view's history (CopySlices), tensorgrad does not: take the view again "
      "after the in-place operation");
}

Edge gradient_edge(const Tensor& t) {
  AutogradMeta* m = AutogradMeta::find(t);
  if (!m) return Edge();
  if (m->is_view) check_not_stale_view(t.unsafeGetTensorImpl());
  if (m->grad_fn) return Edge(m->grad_fn, m->output_nr);
  if (m->requires_grad) return Edge(grad_accumulator(t), 0);
  return Edge();
}

void set_history(const Tensor& out, const intrusive_ptr<Node>& fn, uint32_t output_nr) {
  AutogradMeta& m = AutogradMeta::get_or_create(out.unsafeGetTensorImpl());
  m.grad_fn = fn;
  m.output_nr = output_nr;
  m.requires_grad = false;
  if (fn->anomaly_trace()) fn->fill_anomaly_trace();
  if (detail::forward_ad_level != 0) forward_ad::check_rule(out, *fn);
  if (detail::enabled_tapes > 0) record_on_tapes(out, fn);
}

}  // namespace tg::autograd
