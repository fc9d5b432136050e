#pragma once
// Per-tensor autograd state, allocated only for tensors that take part in
// autograd (Note [Lazy autograd metadata]): plain tensors carry a null pointer.
#include <mutex>
#include <vector>

#include "tensorgrad/autograd.h"

namespace tg::autograd {

// What a tensor hook returned in place of `grad`: the gradient itself when the
// hook returned nothing, else its result, which must keep grad's dtype and sizes
// (libtorch's check_variable_result, with its wording).
Tensor hook_result(const Tensor& grad, Tensor result);

struct AutogradMeta : tg::detail::PoolAllocated {
  Tensor grad;
  // The node that produced this tensor (null for leaves).
  intrusive_ptr<Node> grad_fn;
  // Leaves only: their AccumulateGrad node, held weakly (Note [Weak accumulator]):
  // the node holds the leaf, the leaf only points back, and the node clears this
  // pointer when it dies.
  Node* grad_accumulator = nullptr;
  std::mutex mutex;
  struct Hook {
    unsigned handle;
    TensorHook fn;
  };
  std::vector<Hook> leaf_hooks;
  unsigned next_hook_handle = 0;
  uint32_t output_nr = 0;
  bool requires_grad = false;  // set on leaves by requires_grad_()
  bool retains_grad = false;
  // Views of a tensor that requires grad remember their base: in-place ops on
  // them must be refused (Note [In-place on views]).
  bool is_view = false;
  bool base_is_leaf = false;
  // Forward-mode AD: the tangent carried with this tensor's value, valid inside
  // the forward-AD level fw_level (Note [Forward-mode AD] in forward_ad.cpp).
  Tensor fw_grad;
  uint64_t fw_level = 0;
  uint64_t fw_stamp = 0;  // the node sequence number reserved when it was attached

  static AutogradMeta& get_or_create(TensorImpl* impl);
  static AutogradMeta* find(const Tensor& t) { return t.defined() ? t.unsafeGetTensorImpl()->autograd_meta.get() : nullptr; }
  // Called by ~TensorImpl: unregisters retain_grad targets that point at it.
  static void on_tensor_destroyed(TensorImpl* impl);
};

inline bool requires_grad(const Tensor& t) {
  const AutogradMeta* m = AutogradMeta::find(t);
  return m && (m->requires_grad || m->grad_fn);
}

// Thread-local switches of the optional recorders, all zero unless one is in use:
// the number of enabled GradientTapes on this thread (set_history notifies them)
// and the id of the active forward-AD level (ops carry tangents when it is not 0).
namespace detail {
inline constinit thread_local int enabled_tapes = 0;
inline constinit thread_local uint64_t forward_ad_level = 0;
}  // namespace detail

[[noreturn]] void throw_stale_view();
// Raises for a view taken before its base took a history through an in-place op
// (Note [Views of a rebased tensor] in ops/inplace.cpp), which autograd must not
// use: libtorch's would take the new history.
inline void check_not_stale_view(const TensorImpl* impl) {
  if (impl && impl->is_view && impl->view_history_version != impl->storage->history_version) [[unlikely]]
    throw_stale_view();
}

// Whether a node recorded on t must have an edge to it (a stale view raises: it
// would be a constant).
inline bool records_through(const Tensor& t) {
  if (requires_grad(t)) return true;
  check_not_stale_view(t.unsafeGetTensorImpl());
  return false;
}

// Whether an op on these inputs must record a node.
template <class... Ts>
inline bool needs_record(const Ts&... ts) {
  return GradMode::is_enabled() && (records_through(ts) || ...);
}

// The edge a gradient for `t` flows into: its grad_fn, its leaf accumulator, or
// nothing when t does not require grad.
Edge gradient_edge(const Tensor& t);
// The leaf's AccumulateGrad node, created on first use.
intrusive_ptr<Node> grad_accumulator(const Tensor& leaf);
// Makes `out` the output `output_nr` of `fn`.
void set_history(const Tensor& out, const intrusive_ptr<Node>& fn, uint32_t output_nr = 0);

}  // namespace tg::autograd
