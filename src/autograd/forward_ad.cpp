// Note [Forward-mode AD]: a tensor carries a tangent in its AutogradMeta (fw_grad),
// valid in the forward-AD level that set it (fw_level). Each op with a forward rule
// computes its output's tangent from its inputs' tangents right beside its forward
// (forward_ad_internal.h), so tangents flow op by op: dual numbers, elementwise.
//
// Invariant: a tangent has its primal's sizes, strides and storage offset, so the
// tangent of any view is the same view of the base's tangent (set_view_tangent):
// one rule serves every view op.
//
// Ops without a rule are caught in one place: a dual tensor's grad_fn is a
// MakeDualBackward0 node, so every op on duals records a node, and set_history
// (check_rule) raises when a node fed by tangent-carrying nodes of this level got
// an output without a tangent of its own rule. A tangent attached in grad mode is
// stamped with a node sequence number reserved then; the op's node is made right
// after its rule, so it gets the next number. An op whose forward is composed of
// other ops (prelu, custom Functions, typically under NoGradGuard) gets tangents
// from those inner ops but not from a rule of its own: they may miss what the op
// computes with raw kernels, so they are refused.
#include <atomic>
#include <limits>
#include <unordered_set>

#include "autograd/anomaly.h"
#include "autograd/forward_ad_internal.h"
#include "autograd/op_node.h"
#include "ops/ops_internal.h"
#include "tensorgrad/forward_ad.h"

namespace tg::autograd {
namespace forward_ad {
namespace {

std::atomic<uint64_t> next_level{1};
thread_local uint64_t paused_level = 0;
// The sequence number of the first node made in the active level: older nodes
// carrying tangents belong to earlier levels.
thread_local uint64_t level_start_seq = std::numeric_limits<uint64_t>::max();
// The stamp of a tangent attached without grad mode (no node can follow).
constexpr uint64_t kNoStamp = std::numeric_limits<uint64_t>::max();

void store(const Tensor& out, Tensor tangent, uint64_t level) {
  AutogradMeta& m = AutogradMeta::get_or_create(out.unsafeGetTensorImpl());
  m.fw_grad = std::move(tangent);
  m.fw_level = level;
  m.fw_stamp = GradMode::is_enabled() ? Node::reserve_sequence_nr() : kNoStamp;
}

// t's values with out's sizes, strides and storage offset.
Tensor with_layout(const Tensor& t, const Tensor& out) {
  if (out.is_contiguous() && out.storage_offset() == 0) return clone(t);
  int64_t extent = out.numel() == 0 ? out.storage_offset() : out.storage_offset() + 1;
  if (out.numel() != 0)
    for (int64_t d = 0; d < out.dim(); ++d) extent += (out.size(d) - 1) * out.stride(d);
  auto storage = make_intrusive<StorageImpl>(static_cast<size_t>(extent) * out.element_size());
  Tensor r(make_intrusive<TensorImpl>(std::move(storage), out.dtype(), out.sizes(), out.strides(),
                                      out.storage_offset()));
  // A tangent with a history (Note [Rules that use the output]) keeps it.
  if (GradMode::is_enabled() && t.requires_grad()) r.copy_(t);
  else ops::copy_raw(r, t);
  return r;
}

}  // namespace

uint64_t current_level() { return detail::forward_ad_level != 0 ? detail::forward_ad_level : paused_level; }

const Tensor* find_tangent(const Tensor& t) {
  const AutogradMeta* m = AutogradMeta::find(t);
  return m && m->fw_grad.defined() && m->fw_level == current_level() ? &m->fw_grad : nullptr;
}

Tensor tangent_of(const Tensor& t) {
  const Tensor* tangent = find_tangent(t);
  return tangent ? *tangent : zeros_like(t);
}

Pause::Pause() : level_(detail::forward_ad_level), outer_paused_(paused_level) {
  if (level_ != 0) paused_level = level_;
  detail::forward_ad_level = 0;
}

Pause::~Pause() {
  detail::forward_ad_level = level_;
  paused_level = outer_paused_;
}

void attach(const Tensor& out, Tensor tangent) {
  if (!out.is_floating_point()) return;
  const uint64_t level = current_level();
  {
    Pause pause;
    if (!tangent.defined()) tangent = zeros_like(out);
    if (tangent.dtype() != out.dtype()) tangent = tangent.to(out.dtype());
    if (!tangent.sizes().equals(out.sizes())) tangent = tangent.expand(out.sizes());
    if (!tangent.strides().equals(out.strides()) || tangent.storage_offset() != out.storage_offset())
      tangent = with_layout(tangent, out);
  }
  store(out, std::move(tangent), level);
}

Tensor output_for_rule(const Tensor& out, const intrusive_ptr<Node>& node) {
  if (!node) return out;
  node->mark_carries_tangent();
  const TensorImpl* i = out.unsafeGetTensorImpl();
  Tensor y(make_intrusive<TensorImpl>(i->storage, i->dtype, i->sizes, i->strides, i->storage_offset));
  set_history(y, node);
  return y;
}

void set_view_tangent(const Tensor& view, const Tensor& base, const char* name,
                      std::function<Tensor(const Tensor&)> to_base) {
  const Tensor& tb = AutogradMeta::find(base)->fw_grad;
  const int64_t offset = view.storage_offset() - base.storage_offset() + tb.storage_offset();
  Tensor tangent(make_intrusive<TensorImpl>(tb.impl()->storage, view.dtype(), view.sizes(), view.strides(), offset));
  if (needs_record(tb)) {
    Pause pause;
    auto node = make_node(name, [to_base = std::move(to_base)](Node&, const Tensor& g) -> variable_list {
      return {to_base(g)};
    }, tb);
    set_history(tangent, node);
  }
  store(view, std::move(tangent), current_level());
}

void check_rule(const Tensor& out, Node& fn) {
  if (fn.carries_tangent()) return;
  const AutogradMeta* m = AutogradMeta::find(out);
  if (has_tangent(out) && m->fw_stamp != kNoStamp && m->fw_stamp + 1 == fn.sequence_nr()) {
    fn.mark_carries_tangent();
    return;
  }
  for (const Edge& e : fn.next_edges())
    if (e.is_valid() && e.function->carries_tangent() && e.function->sequence_nr() >= level_start_seq)
      throw Error("tg::autograd::jvp: no forward-mode rule for " + forward_op_name(fn.name()) + " (its backward is " +
                  fn.name() + "); compute this derivative in reverse mode (vjp, functional::jacobian)");
}

DualLevel::DualLevel() {
  TG_CHECK(detail::forward_ad_level == 0 && paused_level == 0,
           "tg::autograd::forward_ad: nested forward-AD levels are not supported");
  detail::forward_ad_level = next_level.fetch_add(1, std::memory_order_relaxed);
  level_start_seq = std::numeric_limits<uint64_t>::max();
}

DualLevel::~DualLevel() { detail::forward_ad_level = 0; }

Tensor make_dual(const Tensor& primal, const Tensor& tangent) {
  TG_CHECK(active(), "make_dual: forward AD is not active; create a tg::autograd::forward_ad::DualLevel first");
  TG_CHECK(primal.defined() && tangent.defined(), "make_dual: expected defined primal and tangent");
  TG_CHECK(primal.is_floating_point(), "make_dual: expected primal to be floating point, but got ", primal.dtype());
  TG_CHECK(tangent.sizes().equals(primal.sizes()), "make_dual: expected tangent to have the same shape as primal, "
           "but got tangent of shape ", tangent.sizes(), " and primal of shape ", primal.sizes());
  // The tangent takes the primal's layout, which cannot hold a tangent per element
  // when elements share memory.
  TG_CHECK(!ops::has_internal_overlap(primal), ops::kInternalOverlap);
  TensorImpl* i = primal.unsafeGetTensorImpl();
  Tensor dual(make_intrusive<TensorImpl>(i->storage, i->dtype, i->sizes, i->strides, i->storage_offset));
  attach(dual, tangent);
  auto node = make_node("MakeDualBackward0", [](Node&, const Tensor& g) -> variable_list { return {g}; }, primal);
  if (level_start_seq == std::numeric_limits<uint64_t>::max()) level_start_seq = node->sequence_nr();
  set_history(dual, node);
  return dual;
}

std::pair<Tensor, Tensor> unpack_dual(const Tensor& t) {
  return {t.detach(), has_tangent(t) ? AutogradMeta::find(t)->fw_grad : Tensor()};
}

namespace {

// Whether t's reverse-mode history reaches beyond the duals of the active level:
// a leaf requiring grad or a node made before the level (fn's captured tensors, or
// primals requiring grad). Otherwise the history only exists to catch missing rules.
bool reaches_outside(const Tensor& t) {
  if (!t.requires_grad()) return false;
  if (!t.grad_fn()) return true;
  std::vector<Node*> stack{t.grad_fn().get()};
  std::unordered_set<Node*> seen{stack.back()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (n->is_accumulate_grad() || n->sequence_nr() < level_start_seq) return true;
    for (const Edge& e : n->next_edges())
      if (e.is_valid() && seen.insert(e.function.get()).second) stack.push_back(e.function.get());
  }
  return false;
}

Tensor keep_or_detach(const Tensor& t) { return reaches_outside(t) ? t : t.detach(); }

}  // namespace
}  // namespace forward_ad

std::pair<variable_list, variable_list> jvp(const std::function<variable_list(const variable_list&)>& fn,
                                            const variable_list& primals, const variable_list& tangents) {
  TG_CHECK(tangents.size() == primals.size(), "jvp: expected as many tangents as primals, but got ", tangents.size(),
           " tangents and ", primals.size(), " primals");
  forward_ad::DualLevel level;
  AutoGradMode grad_mode(true);  // ops on duals record, so a missing rule is caught
  variable_list duals;
  for (size_t i = 0; i < primals.size(); ++i) {
    TG_CHECK(primals[i].defined(), "jvp: primal ", i, " is undefined");
    if (!primals[i].is_floating_point()) {
      TG_CHECK(!tangents[i].defined(), "jvp: primal ", i, " has dtype ", primals[i].dtype(),
               " and cannot carry a tangent");
      duals.push_back(primals[i]);
      continue;
    }
    TG_CHECK(!tangents[i].defined() || tangents[i].sizes().equals(primals[i].sizes()), "jvp: tangent ", i,
             " has shape ", tangents[i].sizes(), " but its primal has shape ", primals[i].sizes());
    // An expanded primal is passed as a copy, whose elements can carry tangents of
    // their own (make_dual refuses shared elements).
    const Tensor primal = ops::has_internal_overlap(primals[i]) ? primals[i].contiguous() : primals[i];
    duals.push_back(forward_ad::make_dual(primal, tangents[i].defined() ? tangents[i] : zeros_like(primal)));
  }
  variable_list outputs = fn(duals);
  variable_list values, out_tangents;
  for (size_t k = 0; k < outputs.size(); ++k) {
    TG_CHECK(outputs[k].defined(), "jvp: output ", k, " of the function is undefined");
    Tensor tangent = forward_ad::tangent_of(outputs[k]);
    if (AutogradMeta* m = AutogradMeta::find(outputs[k])) m->fw_grad = Tensor();
    values.push_back(forward_ad::keep_or_detach(outputs[k]));
    out_tangents.push_back(forward_ad::keep_or_detach(tangent));
  }
  return {values, out_tangents};
}

std::pair<Tensor, Tensor> jvp(const std::function<Tensor(const Tensor&)>& fn, const Tensor& primal,
                              const Tensor& tangent) {
  auto [values, tangents] = jvp([&](const variable_list& x) -> variable_list { return {fn(x[0])}; }, {primal}, {tangent});
  return {values[0], tangents[0]};
}

}  // namespace tg::autograd
