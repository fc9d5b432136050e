#include <algorithm>
#include <limits>

#include "autograd/autograd_meta.h"
#include "tensorgrad/ops.h"

namespace tg::autograd {
namespace {
thread_local uint64_t next_sequence_nr = 0;

// Note [Walk hints]: destroying a graph walks it from the outputs toward the
// inputs, and each step waits for the next node's cache lines, whose address is
// known only once the current node has been read. In a graph larger than the
// cache that was one memory latency per node: 48-51 ns per node of a 100,000-op
// chain against 12 ns in a 10,000-op one. But a graph is made in about the order
// it is destroyed in reverse, so each node remembers the node made
// kWalkHintDistance nodes before it on its thread, and destruction prefetches
// that node while it destroys this one: 13-15 ns per node at 100,000 ops
// (distance 8: 18 ns; 16 and 32 alike). A hint that is wrong (a node of another
// graph, or one already freed) costs one useless prefetch. Discovery in backward
// walks the same way with less work per node, so it needs the longer distance:
// there, prefetching the lines it reads (the engine slot and the edges) of the
// node 32 ahead took a 100,000-op chain's backward from 84-88 to 79-82 ns per op
// (75 at 10,000 ops); at distance 16 it gained about half that, and prefetching
// whole nodes at distance 16 gained nothing.
constexpr size_t kWalkHintDistance = 32;
thread_local uintptr_t recent_nodes[kWalkHintDistance] = {};
thread_local size_t recent_pos = 0;

// Note [Iterative graph destruction]: destroying the last reference to a node
// would destroy its next nodes recursively, overflowing the stack on deep graphs
// (a 100,000-op chain). Instead, a node being destroyed hands the nodes it held
// the last reference to over to a queue that the outermost destructor drains.
thread_local std::vector<Node*>* deletion_queue = nullptr;
}  // namespace

Node::Node() : Node(next_sequence_nr++) {}

Node::Node(uint64_t sequence_nr) : walk_hint_(recent_nodes[recent_pos]), sequence_nr_(sequence_nr) {
  recent_nodes[recent_pos] = reinterpret_cast<uintptr_t>(this);
  recent_pos = (recent_pos + 1) % kWalkHintDistance;
  if (AnomalyMode::is_enabled()) extras().anomaly_trace = std::make_unique<std::string>();
}

Node::Extras& Node::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

uint64_t Node::reserve_sequence_nr() { return next_sequence_nr++; }

Node::~Node() {
  std::vector<Node*> local;
  const bool outermost = deletion_queue == nullptr;
  if (outermost) deletion_queue = &local;
  for (Edge& e : next_edges_)
    if (Node* n = e.function.release_last()) deletion_queue->push_back(n);
  for (SavedVariable& s : saved_) {
    Tensor t = s.take();
    AutogradMeta* m = AutogradMeta::find(t);
    if (m && t.use_count() == 1 && m->grad_fn)
      if (Node* n = m->grad_fn.release_last()) deletion_queue->push_back(n);
  }
  if (outermost) {
    while (!local.empty()) {
      Node* n = local.back();
      local.pop_back();
      if (n->walk_hint_) prefetch(reinterpret_cast<const char*>(n->walk_hint_));
      delete n;
    }
    deletion_queue = nullptr;
  }
}

void Node::release_variables() {
  for (SavedVariable& s : saved_) s.release();
}

void Node::add_next_edge(const Tensor& input) {
  next_edges_.push_back(gradient_edge(input));
  next_meta_.push_back(input.defined() ? input.sizes() : IntArrayRef(), input.defined() ? input.dtype() : kFloat);
}

void InputMetadataList::push_back(IntArrayRef shape, ScalarType dtype) {
  TG_CHECK(shape.size() <= UINT16_MAX, "autograd: a tensor of ", shape.size(), " dimensions cannot be recorded (at most ",
           UINT16_MAX, ")");
  entries_.push_back({static_cast<uint32_t>(dims_.size()), static_cast<uint16_t>(shape.size()), dtype});
  for (int64_t d : shape) dims_.push_back(d);
}

size_t Node::save(const Tensor& t, bool is_output) {
  saved_.emplace_back(t, is_output);
  return saved_.size() - 1;
}

unsigned Node::add_tensor_hook(uint32_t output_nr, TensorHook hook) {
  Extras& x = extras();
  unsigned h = x.next_hook_handle++;
  x.hooks.push_back({h, output_nr, std::move(hook)});
  return h;
}

void Node::remove_tensor_hook(unsigned handle) {
  if (extras_) std::erase_if(extras_->hooks, [&](const HookEntry& e) { return e.handle == handle; });
}

Tensor hook_result(const Tensor& grad, Tensor result) {
  if (!result.defined()) return grad;
  TG_CHECK(result.dtype() == grad.dtype(), "hook 'hook' has changed the type of value (was ", grad.toString(),
           " got ", result.toString(), ")");
  TG_CHECK(result.sizes().equals(grad.sizes()), "hook 'hook' has changed the size of value");
  return result;
}

// libtorch 1.13's order: retain_grad() adds a hook of its own to the tensor's, so
// the gradient it keeps is the one the hooks registered before it made; hooks
// registered after it change only the gradient passed on.
void Node::observe_gradients(variable_list& grads, bool create_graph) {
  if (!extras_) return;
  const std::vector<RetainedEntry>& retained = extras_->retained;
  std::vector<char> stored(retained.size(), 0);
  // Stores the gradients retained before the hook of handle `next_hook` was added.
  auto store_retained = [&](unsigned next_hook) {
    for (size_t i = 0; i < retained.size(); ++i) {
      const RetainedEntry& r = retained[i];
      if (stored[i] || r.first_later_hook > next_hook) continue;
      stored[i] = 1;
      if (r.output_nr >= grads.size() || !grads[r.output_nr].defined()) continue;
      AutogradMeta& m = AutogradMeta::get_or_create(r.impl);
      AutoGradMode mode(create_graph);
      m.grad = m.grad.defined() ? m.grad + grads[r.output_nr] : grads[r.output_nr].clone();
    }
  };
  for (HookEntry& h : extras_->hooks) {
    store_retained(h.handle);
    if (h.output_nr >= grads.size() || !grads[h.output_nr].defined()) continue;
    grads[h.output_nr] = hook_result(grads[h.output_nr], h.fn(grads[h.output_nr]));
  }
  store_retained(std::numeric_limits<unsigned>::max());
}

void Node::set_retained(uint32_t output_nr, TensorImpl* impl) {
  Extras& x = extras();
  for (auto& r : x.retained)
    if (r.impl == impl) return;
  x.retained.push_back({output_nr, impl, x.next_hook_handle});
}

void Node::clear_retained(uint32_t output_nr, TensorImpl* impl) {
  if (extras_)
    std::erase_if(extras_->retained,
                  [&](const RetainedEntry& r) { return r.output_nr == output_nr && r.impl == impl; });
}

}  // namespace tg::autograd
