#include "autograd/accumulate_grad.h"

#include "ops/ops_internal.h"

#include <limits>

namespace tg::autograd {

// Accumulations run before anything else that is ready (libtorch's order), and
// making one leaves the numbers of the op nodes around it consecutive.
AccumulateGrad::AccumulateGrad(Tensor leaf) : Node(std::numeric_limits<uint64_t>::max()), variable(std::move(leaf)) {}

AccumulateGrad::~AccumulateGrad() {
  if (AutogradMeta* m = AutogradMeta::find(variable)) {
    std::lock_guard<std::mutex> lock(m->mutex);
    if (m->grad_accumulator == this) m->grad_accumulator = nullptr;
  }
}

Tensor AccumulateGrad::call_leaf_hooks(const Tensor& leaf, Tensor grad) {
  AutogradMeta* m = AutogradMeta::find(leaf);
  if (!m || !grad.defined()) return grad;
  for (auto& h : m->leaf_hooks) grad = hook_result(grad, h.fn(grad));
  return grad;
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor g = call_leaf_hooks(variable, std::move(grads[0]));
  // A leaf whose requires_grad was turned off after the forward takes nothing, as
  // in libtorch (its hooks still ran).
  if (!g.defined() || !requires_grad(variable)) return {};
  AutogradMeta& m = AutogradMeta::get_or_create(variable.unsafeGetTensorImpl());
  std::lock_guard<std::mutex> lock(m.mutex);
  const bool create_graph = GradMode::is_enabled();
  if (!m.grad.defined()) {
    // Steal the incoming buffer when nothing else can see it; otherwise copy, so
    // that later in-place accumulation never writes into someone else's tensor.
    // Note [Gradient layout]: as libtorch, a dense leaf's gradient has the leaf's
    // strides (a transposed weight gets a transposed gradient).
    const bool leaf_layout = ops::is_non_overlapping_and_dense(variable);
    const bool same_layout = leaf_layout ? g.strides().equals(variable.strides()) : g.is_contiguous();
    if (!create_graph && same_layout && g.use_count() == 1 && g.unsafeGetTensorImpl()->storage.use_count() == 1 &&
        !AutogradMeta::find(g)) {
      m.grad = std::move(g);
      // Nothing else shares its storage: whatever it was a view of is gone. As
      // libtorch's stolen gradient (a detach()), it is no view (detach_() takes it).
      m.grad.unsafeGetTensorImpl()->is_view = false;
    } else if (create_graph) {
      m.grad = g.clone();
    } else {
      m.grad = leaf_layout ? ops::empty_like_layout(variable) : ops::empty(g.sizes(), g.dtype());
      ops::copy_raw(m.grad, g);
    }
  } else if (!create_graph) {
    // In place, also into a gradient that has a history (from an earlier
    // create_graph pass), as libtorch: whoever holds it sees the sum.
    AutoGradMode no_grad(false);
    m.grad.add_(g);
  } else {
    m.grad = m.grad + g;
  }
  return {};
}

}  // namespace tg::autograd
