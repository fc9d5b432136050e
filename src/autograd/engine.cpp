// The backward engine (DESIGN.md "The engine"): runs on the calling thread,
// iteratively. It counts each node's dependencies reachable from the roots, then
// runs nodes from a ready queue (highest sequence number first, accumulations
// before anything else) once all their incoming gradients have been summed, so a
// shared subexpression runs once and cost stays linear in the graph.
#include <algorithm>
#include <atomic>
#include <memory>
#include <queue>
#include <sstream>
#include <utility>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/autograd_meta.h"
#include "autograd/engine_internal.h"
#include "tensorgrad/ops.h"
#include "autograd/messages.h"
#include "ops/ops_internal.h"

namespace tg::autograd {
class GraphTask;

namespace {

constexpr uint32_t kNoCapture = UINT32_MAX;

// A backward pass keeps one per node it reaches, 48 bytes: a 100,000-op chain's
// tasks are walked twice, beside its nodes.
struct NodeTask {
  Node* node = nullptr;
  // The tasks of node's next edges are child_tasks_[first_child + i] (kNoTask for
  // an edge that leads nowhere): found once in discover, so the backward never
  // looks a node up again.
  uint32_t first_child = 0;
  int dependencies = 0;
  // The first of this node's gradients that autograd::grad returns, in
  // GraphTask::captures_ (kNoCapture when none; few nodes have one).
  uint32_t first_capture = kNoCapture;
  bool execute = true;
  bool visited = false;
  bool captures() const { return first_capture != kNoCapture; }
  variable_list buffer;
};

// A gradient autograd::grad returns: input `input_nr` of a node, returned as
// result `result`; `next` is the node's next capture.
struct Capture {
  uint32_t input_nr;
  uint32_t next;
  size_t result;
};

// Open-addressing map from node to its task index: the graph walk touches it once
// per edge, so it must be cheap.
class NodeIndex {
 public:
  // Empties the map. A table that a large graph grew is dropped, not cleared:
  // clearing it made every later pass on the thread write all of it, however small
  // its graph (Note [Engine slots]); a large graph regrows it by doubling.
  void clear() {
    if (slots_.empty() || slots_.size() > kMaxKeptSlots) {
      std::vector<std::pair<Node*, uint32_t>>(kInitialSlots).swap(slots_);
    } else if (size_ > 0) {
      std::fill(slots_.begin(), slots_.end(), std::pair<Node*, uint32_t>{nullptr, 0});
    }
    size_ = 0;
  }
  // Returns the index for n, inserting next_index when n is new.
  uint32_t find_or_insert(Node* n, uint32_t next_index, bool& inserted) {
    if (size_ * 2 >= slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(n) & mask;; i = (i + 1) & mask) {
      if (slots_[i].first == n) {
        inserted = false;
        return slots_[i].second;
      }
      if (!slots_[i].first) {
        slots_[i] = {n, next_index};
        ++size_;
        inserted = true;
        return next_index;
      }
    }
  }
  int64_t find(Node* n) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(n) & mask;; i = (i + 1) & mask) {
      if (slots_[i].first == n) return slots_[i].second;
      if (!slots_[i].first) return -1;
    }
  }

 private:
  static size_t hash(Node* n) { return (reinterpret_cast<uintptr_t>(n) >> 4) * 0x9E3779B97F4A7C15ull >> 20; }
  void grow() {
    std::vector<std::pair<Node*, uint32_t>> old = std::move(slots_);
    slots_.assign(old.size() * 2, {nullptr, 0});
    size_ = 0;
    bool ins;
    for (auto& [n, idx] : old)
      if (n) find_or_insert(n, idx, ins);
  }
  static constexpr size_t kInitialSlots = 16;
  static constexpr size_t kMaxKeptSlots = 4096;  // 64 KiB
  std::vector<std::pair<Node*, uint32_t>> slots_;
  size_t size_ = 0;
};

constexpr uint32_t kNoTask = UINT32_MAX;

// Note [Reused engine buffers]
// A backward over a long graph needs megabytes of bookkeeping (a task per node, an
// index entry per edge). Allocated afresh on every call, they came back from the
// kernel as new pages, and the page faults took half the time of a 10,000-op chain.
// So each thread keeps the buffers of its finished graph tasks for the next one; a
// nested backward (from a hook or a custom Function) takes buffers of its own.
struct EngineBuffers {
  std::vector<NodeTask> tasks;
  std::vector<uint32_t> child_tasks;
  std::vector<uint32_t> stack;
  NodeIndex index;
};

thread_local std::vector<std::unique_ptr<EngineBuffers>> idle_engine_buffers;

std::unique_ptr<EngineBuffers> take_engine_buffers() {
  if (idle_engine_buffers.empty()) return std::make_unique<EngineBuffers>();
  std::unique_ptr<EngineBuffers> b = std::move(idle_engine_buffers.back());
  idle_engine_buffers.pop_back();
  return b;
}

// Note [Engine slots]
// Discovery maps every node it reaches to its task. A hash map from the node's
// address did that alone: in a 100,000-node graph its probes, random accesses into
// 4 MB, took three fifths of discovery, and every later pass on the thread cleared
// the map at that size (a 600-node graph's backward took 1.7x as long after one
// 100,000-node pass). So a backward pass that runs while no other pass is live in
// the process (the common case) keeps the index in the node itself
// (Node::engine_slot_) and trusts it only when tasks_ at that index holds that
// node: a slot left by an earlier pass points past the end or at another node. A
// pass that starts while another one is live (a backward inside a hook or a custom
// Function, checkpoint recomputation, another thread) uses the map, so two passes
// never write the same slots; the count's read-modify-writes order each
// slot-writing pass after the one before it.
std::atomic<int> live_graph_tasks{0};

// Counts a pass as live for its lifetime, including a constructor that throws
// after it; `alone` when no other pass was live as it started.
struct LivePass {
  LivePass() : alone(live_graph_tasks.fetch_add(1, std::memory_order_acq_rel) == 0) {}
  ~LivePass() { live_graph_tasks.fetch_sub(1, std::memory_order_acq_rel); }
  LivePass(const LivePass&) = delete;
  LivePass& operator=(const LivePass&) = delete;
  const bool alone;
};

// Note [Accumulating products]
// A linear layer's weight gradient is a GEMM. The engine handed the product to
// AccumulateGrad, which added it into the weight's .grad (zeroed by zero_grad) in
// a second pass: for the MLP's 784x256 weight a 0.8 MB read-read-write, 9% of the
// calling thread's time in the batch-32 training step. Instead, the formula asks
// accumulation_target() for the .grad and runs its GEMM with beta = 1 into it,
// when nothing could tell the difference: on the path from the formula's node to
// the leaf's AccumulateGrad (through at most one node that transposes a matrix,
// the weight.t() of linear, made just before the formula's node), every node
//   - still expects only this gradient (every other arrived undefined),
//   - runs in this pass, captures nothing, and has no hooks or retain_grad;
// the leaf has no hooks and a .grad of the gradient's dtype and shape that does
// not require grad nor share memory with what the formula saved; no graph of the
// backward is built (create_graph) or checked (anomaly mode); and no hook can run
// between the formula and the leaf's AccumulateGrad (only the accumulations of
// the formula's other inputs can, so their leaves must have none). The sum is
// then the in-place add libtorch's AccumulateGrad does, made inside the GEMM.
// Float32 only: a GEMM with beta = 1 may add .grad's old value before its last
// partial products rather than after them, which changes the rounding when .grad
// was not zero. Float32 products already differ from libtorch's in their last
// bits (other kernels); float64 gradients keep libtorch's order of additions
// exactly.
struct RunningNode {
  GraphTask* task = nullptr;
  const NodeTask* node_task = nullptr;
};
constinit thread_local RunningNode running_node;

// Makes a node the one whose formula runs on this thread, for the scope.
class RunningNodeScope {
 public:
  RunningNodeScope(GraphTask* task, const NodeTask* node_task)
      : outer_(std::exchange(running_node, RunningNode{task, node_task})) {}
  RunningNodeScope(const RunningNodeScope&) = delete;
  RunningNodeScope& operator=(const RunningNodeScope&) = delete;
  ~RunningNodeScope() { running_node = outer_; }

 private:
  const RunningNode outer_;
};

// Whether n accumulates into a leaf that has hooks.
bool leaf_has_hooks(const Node& n) {
  if (!n.is_accumulate_grad()) return false;
  const AutogradMeta* m = AutogradMeta::find(static_cast<const AccumulateGrad&>(n).variable);
  return m && !m->leaf_hooks.empty();
}

bool any_defined(const variable_list& grads) {
  return std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
}

// Tasks run in about the order discovery made them (both go from the outputs
// toward the inputs), so while one runs, the node this many tasks ahead is
// fetched into the cache (in a graph larger than the cache every node was a miss).
constexpr uint32_t kPrefetchTasks = 8;

}  // namespace

class GraphTask {
 public:
  GraphTask(bool keep_graph, bool create_graph)
      : keep_graph_(keep_graph), create_graph_(create_graph), buffers_(take_engine_buffers()) {
    if (!use_slots_) index_.clear();
  }
  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;
  ~GraphTask() {
    tasks_.clear();
    child_tasks_.clear();
    idle_engine_buffers.push_back(std::move(buffers_));
  }

  // Discovers every node reachable from the roots and counts its dependencies.
  // The nodes of `stop_at` are reached but not walked past: their gradients are
  // captured, and what lies behind them belongs to another pass.
  void discover(const std::vector<Edge>& roots, const std::vector<Edge>& stop_at = {}) {
    std::vector<uint32_t>& stack = buffers_->stack;
    stack.clear();
    for (const Edge& r : roots) {
      uint32_t idx = add(r.function.get(), stack);
      ++tasks_[idx].dependencies;
    }
    while (!stack.empty()) {
      uint32_t idx = stack.back();
      stack.pop_back();
      Node* n = tasks_[idx].node;
      if (n->walk_hint_) n->prefetch_edges_of(n->walk_hint_);  // Note [Walk hints] in node.cpp
      tasks_[idx].first_child = static_cast<uint32_t>(child_tasks_.size());
      const bool stop = !stop_at.empty() && std::any_of(stop_at.begin(), stop_at.end(),
                                                        [n](const Edge& e) { return e.function.get() == n; });
      for (const Edge& e : n->next_edges()) {
        if (stop || !e.is_valid()) {
          child_tasks_.push_back(kNoTask);
          continue;
        }
        uint32_t next = add(e.function.get(), stack);
        child_tasks_.push_back(next);
        ++tasks_[next].dependencies;
      }
    }
  }

  // Restricts execution to the nodes on a path to one of the requested edges
  // (autograd::grad and backward(inputs=...)); records where to capture gradients.
  void select(const std::vector<Edge>& targets, bool accumulate) {
    for (auto& t : tasks_) t.execute = false;
    // Backwards, so that each node's list (built by prepending) is in target order.
    for (size_t k = targets.size(); k-- > 0;) {
      const uint32_t idx = find(targets[k].function.get());
      if (idx == kNoTask) continue;
      NodeTask& t = tasks_[idx];
      if (accumulate && t.node->is_accumulate_grad()) {
        t.execute = true;
      } else {
        captures_.push_back({targets[k].input_nr, t.first_capture, k});
        t.first_capture = static_cast<uint32_t>(captures_.size() - 1);
      }
    }
    // A node executes when any node it feeds executes or captures: an iterative
    // post-order walk (children before parents).
    std::vector<std::pair<uint32_t, size_t>> stack;
    for (uint32_t root = 0; root < tasks_.size(); ++root) {
      if (tasks_[root].visited) continue;
      stack.emplace_back(root, 0);
      tasks_[root].visited = true;
      while (!stack.empty()) {
        const size_t top = stack.size() - 1;
        const uint32_t idx = stack[top].first;
        Node* n = tasks_[idx].node;
        if (stack[top].second < n->next_edges().size()) {
          const uint32_t c = child_tasks_[tasks_[idx].first_child + stack[top].second++];
          if (c == kNoTask) continue;
          if (!tasks_[c].visited) {
            tasks_[c].visited = true;
            stack.emplace_back(c, 0);
          }
          continue;
        }
        for (size_t i = 0; i < n->next_edges().size(); ++i) {
          const uint32_t c = child_tasks_[tasks_[idx].first_child + i];
          if (c != kNoTask && (tasks_[c].execute || tasks_[c].captures())) tasks_[idx].execute = true;
        }
        stack.pop_back();
      }
    }
  }

  // Note [Accumulating products]: the .grad that the gradient of `from`'s forward
  // input `input` can be added into, or nothing.
  AccumulationTarget accumulation_target(const NodeTask& from, size_t input) {
    const Node* fn = from.node;
    if (create_graph_ || AnomalyMode::is_enabled() || input >= fn->num_outputs()) return {};
    if (fn->next_dtype(input) != kFloat) return {};
    bool transposed = false;
    uint32_t c = child_tasks_[from.first_child + input];
    for (;;) {
      if (c == kNoTask) return {};
      const NodeTask& t = tasks_[c];
      if (t.dependencies != 1 || !t.execute || t.captures() || any_defined(t.buffer) ||
          t.node->gradients_observed())
        return {};
      if (t.node->is_accumulate_grad()) break;
      // Only a transpose made just before fn (weight.t() in linear): no node made
      // between them can run between them and see the leaf's .grad early.
      if (transposed || !t.node->transposes_gradient() || t.node->sequence_nr() + 1 != fn->sequence_nr()) return {};
      transposed = true;
      c = child_tasks_[t.first_child];
    }
    // The accumulations fn's other gradients make ready may run before this one
    // would have: the hooks of their leaves must not see the early sum.
    for (size_t k = 0; k < fn->num_outputs(); ++k) {
      const uint32_t sibling = child_tasks_[from.first_child + k];
      if (k != input && sibling != kNoTask && leaf_has_hooks(*tasks_[sibling].node)) return {};
    }
    const Tensor& leaf = static_cast<const AccumulateGrad&>(*tasks_[c].node).variable;
    AutogradMeta* m = AutogradMeta::find(leaf);
    if (!m || !m->requires_grad) return {};  // turned off after the forward: AccumulateGrad drops it
    std::unique_lock<std::mutex> lock(m->mutex);
    const Tensor& grad = m->grad;
    if (!m->leaf_hooks.empty() || !grad.defined() || requires_grad(grad) || grad.dtype() != kFloat ||
        !grad.sizes().equals(leaf.sizes()))
      return {};
    // fn's formula may still read what it saved after this sum.
    for (size_t k = 0; k < fn->num_saved(); ++k) {
      const Tensor& saved = fn->saved_variable(k).peek();
      if (saved.defined() && ops::shares_memory(saved, grad)) return {};
    }
    Tensor view = transposed ? ops::alias(grad, {grad.size(1), grad.size(0)}, {grad.stride(1), grad.stride(0)},
                                          grad.storage_offset())
                             : grad;
    if (!view.sizes().equals(fn->next_shape(input))) return {};
    return {std::move(view), std::move(lock)};
  }

  variable_list run(const std::vector<Edge>& roots, variable_list root_grads, size_t num_captures) {
    captured_.resize(num_captures);
    for (size_t i = 0; i < roots.size(); ++i)
      deliver(find(roots[i].function.get()), roots[i].input_nr, std::move(root_grads[i]));
    while (!ready_.empty()) {
      uint32_t idx = ready_.top().second;
      ready_.pop();
      if (idx + kPrefetchTasks < tasks_.size())
        Node::prefetch(reinterpret_cast<const char*>(tasks_[idx + kPrefetchTasks].node));
      evaluate(tasks_[idx]);
    }
    return std::move(captured_);
  }

 private:
  // The task of n, or kNoTask when discovery has not reached n.
  uint32_t find(Node* n) const {
    if (!use_slots_) {
      const int64_t idx = index_.find(n);
      return idx < 0 ? kNoTask : static_cast<uint32_t>(idx);
    }
    const uint32_t slot = n->engine_slot_;
    return slot < tasks_.size() && tasks_[slot].node == n ? slot : kNoTask;
  }

  // The task of n, made (and n pushed on the stack) when n is new.
  uint32_t add(Node* n, std::vector<uint32_t>& stack) {
    const auto next = static_cast<uint32_t>(tasks_.size());
    if (use_slots_) {
      if (const uint32_t idx = find(n); idx != kNoTask) return idx;
      n->engine_slot_ = next;
    } else {
      bool inserted;
      const uint32_t idx = index_.find_or_insert(n, next, inserted);
      if (!inserted) return idx;
    }
    tasks_.emplace_back();
    tasks_.back().node = n;
    stack.push_back(next);
    return next;
  }

  void deliver(uint32_t idx, uint32_t input_nr, Tensor grad) {
    NodeTask& t = tasks_[idx];
    if (grad.defined()) {
      if (t.buffer.empty()) t.buffer.resize(t.node->num_inputs());
      Tensor& slot = t.buffer[input_nr];
      if (!slot.defined()) {
        slot = std::move(grad);
      } else if (!create_graph_ && slot.use_count() == 1 && slot.unsafeGetTensorImpl()->storage.use_count() == 1 &&
                 !requires_grad(slot) && slot.sizes().equals(grad.sizes()) &&
                 ops::is_non_overlapping_and_dense(slot)) {
        // The buffer is ours alone: sum in place, unless it is expanded (sum's
        // gradient), whose elements share memory: x.sum() + (x * 3).narrow(0, 0, 2)
        // .sum() summed [3, 3, 0] into one float and gave x.grad [7, 7, 7], not [4, 4, 1].
        AutoGradMode no_grad(false);
        slot.add_(grad);
      } else {
        AutoGradMode mode(create_graph_);
        slot = slot + grad;
      }
    }
    if (--t.dependencies == 0 && (t.execute || t.captures()))
      ready_.emplace(t.node->sequence_nr(), idx);
  }

  void evaluate(NodeTask& t) {
    Node* fn = t.node;
    variable_list inputs = std::move(t.buffer);
    inputs.resize(fn->num_inputs());
    // As libtorch 1.13's engine: hooks and formulas run in the pass's grad mode,
    // and autograd::grad captures a gradient before the hooks of its tensor run.
    AutoGradMode mode(create_graph_);
    for (uint32_t c = t.first_capture; c != kNoCapture; c = captures_[c].next)
      captured_[captures_[c].result] = inputs[captures_[c].input_nr];
    if (!t.execute) return;
    if (fn->gradients_observed()) fn->observe_gradients(inputs, create_graph_);

    const bool has_gradient = any_defined(inputs);
    variable_list outputs;
    if (has_gradient) {
      RunningNodeScope running(this, &t);
      outputs = fn->apply(std::move(inputs));
    }
    if (!keep_graph_) fn->release_variables();
    if (fn->is_accumulate_grad()) return;
    if (has_gradient) {
      TG_CHECK(outputs.size() == fn->num_outputs(), "function ", fn->name(),
               " returned an incorrect number of gradients (expected ", fn->num_outputs(), ", got ", outputs.size(),
               ")");
    }
    for (size_t i = 0; i < fn->num_outputs(); ++i) {
      const Edge& e = fn->next_edge(i);
      if (!e.is_valid()) continue;
      Tensor g = has_gradient ? std::move(outputs[i]) : Tensor();
      if (g.defined()) {
        g = conform(std::move(g), fn, i);
        if (AnomalyMode::is_enabled()) check_finite(g, fn, i);
      }
      deliver(child_tasks_[t.first_child + i], e.input_nr, std::move(g));
    }
  }

  // The one place where a gradient is un-broadcast to its input's shape and cast
  // to its input's dtype.
  Tensor conform(Tensor g, Node* fn, size_t i) const {
    const IntArrayRef shape = fn->next_shape(i);
    if (!g.sizes().equals(shape)) {
      AutoGradMode mode(create_graph_);
      TG_CHECK(ops::is_expandable_to(shape, g.sizes()), "Function ", fn->name(),
               " returned an invalid gradient at index ", i, " - got ", g.sizes(),
               " but expected shape compatible with ", shape);
      g = ops::sum_to(g, shape);
    }
    if (g.dtype() != fn->next_dtype(i)) {
      AutoGradMode mode(create_graph_);
      g = g.to(fn->next_dtype(i));
    }
    return g;
  }

  static void check_finite(const Tensor& g, Node* fn, size_t i) {
    if (!g.is_floating_point() || ops::all_finite(g)) return;
    std::ostringstream msg;
    const std::string op = forward_op_name(fn->name());
    msg << "Function '" << fn->name() << "' returned nan or inf values in its " << i << "th output, the gradient "
        << "for input " << i << " of the forward op " << op << ".";
    if (const std::string* trace = fn->anomaly_trace(); trace && !trace->empty())
      msg << " The forward operations that led there: " << *trace << ".";
    throw Error(msg.str());
  }

  const bool keep_graph_;
  const bool create_graph_;
  std::unique_ptr<EngineBuffers> buffers_;
  std::vector<NodeTask>& tasks_ = buffers_->tasks;
  std::vector<uint32_t>& child_tasks_ = buffers_->child_tasks;
  NodeIndex& index_ = buffers_->index;
  std::priority_queue<std::pair<uint64_t, uint32_t>> ready_;
  std::vector<Capture> captures_;
  variable_list captured_;
  const LivePass live_;
  const bool use_slots_ = live_.alone;  // Note [Engine slots]
};

namespace {

struct Roots {
  std::vector<Edge> edges;
  variable_list grads;
};

Roots make_roots(const variable_list& outputs, const variable_list& grad_outputs) {
  TG_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "grad_tensors has ", grad_outputs.size(),
           " tensors but tensors has ", outputs.size());
  Roots r;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    TG_CHECK(out.defined(), "element ", i, " of tensors is undefined");
    Edge e = gradient_edge(out);
    TG_CHECK(e.is_valid(), "element ", i, " of tensors", messages::kNoGradFn);
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      TG_CHECK(out.numel() == 1, messages::kImplicitScalar);
      g = ones_like(out);
    } else {
      // libtorch's validate_outputs on the roots: a gradient that broadcasts to
      // the output is summed down to it, and cast to its dtype.
      if (!g.sizes().equals(out.sizes())) {
        TG_CHECK(ops::is_expandable_to(out.sizes(), g.sizes()), "invalid gradient at index ", i, " - got ",
                 g.sizes(), " but expected shape compatible with ", out.sizes());
        g = ops::sum_to(g, out.sizes());
      }
      if (g.dtype() != out.dtype()) g = g.to(out.dtype());
    }
    r.edges.push_back(std::move(e));
    r.grads.push_back(std::move(g));
  }
  return r;
}

// Runs the graph from the roots, capturing the gradients that reach the targets;
// with `stop_at_targets`, nothing behind a target runs.
variable_list run_into_edges(Roots roots, const std::vector<Edge>& targets, bool keep_graph, bool create_graph,
                             bool stop_at_targets = false) {
  GraphTask task(keep_graph, create_graph);
  task.discover(roots.edges, stop_at_targets ? targets : std::vector<Edge>{});
  task.select(targets, /*accumulate=*/false);
  return task.run(roots.edges, std::move(roots.grads), targets.size());
}

}  // namespace

void backward(const variable_list& tensors, const variable_list& grad_tensors, optional<bool> retain_graph,
              bool create_graph, const variable_list& inputs) {
  Roots roots = make_roots(tensors, grad_tensors);
  GraphTask task(retain_graph.value_or(create_graph), create_graph);
  task.discover(roots.edges);
  std::vector<Edge> targets;
  for (const Tensor& in : inputs) {
    Edge e = gradient_edge(in);
    TG_CHECK(e.is_valid(), "One of the differentiated Tensors does not require grad");
    targets.push_back(std::move(e));
  }
  if (!targets.empty()) task.select(targets, /*accumulate=*/true);
  variable_list captured = task.run(roots.edges, std::move(roots.grads), targets.size());
  // Non-leaf inputs named in `inputs` get their gradient in .grad() too.
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!captured[k].defined() || inputs[k].is_leaf()) continue;
    AutogradMeta& m = AutogradMeta::get_or_create(inputs[k].unsafeGetTensorImpl());
    AutoGradMode mode(create_graph);
    m.grad = m.grad.defined() ? m.grad + captured[k] : captured[k];
  }
}

variable_list grad(const variable_list& outputs, const variable_list& inputs, const variable_list& grad_outputs,
                   optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  TG_CHECK(!inputs.empty(), "grad requires non-empty inputs.");
  Roots roots = make_roots(outputs, grad_outputs);
  std::vector<Edge> targets;
  for (const Tensor& in : inputs) {
    TG_CHECK(in.defined(), "One of the differentiated Tensors is undefined");
    Edge e = gradient_edge(in);
    TG_CHECK(e.is_valid(), "One of the differentiated Tensors does not require grad");
    targets.push_back(std::move(e));
  }
  variable_list result = run_into_edges(std::move(roots), targets, retain_graph.value_or(create_graph), create_graph);
  for (const Tensor& g : result) {
    TG_CHECK(allow_unused || g.defined(),
             "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True "
             "if this is the desired behavior.");
  }
  return result;
}

AccumulationTarget accumulation_target(const Node& node, size_t input) {
  const RunningNode r = running_node;
  if (!r.task || r.node_task->node != &node) return {};
  return r.task->accumulation_target(*r.node_task, input);
}

variable_list grad_into_edges(const variable_list& outputs, const variable_list& grad_outputs,
                              const std::vector<Edge>& targets, bool keep_graph, bool create_graph) {
  return run_into_edges(make_roots(outputs, grad_outputs), targets, keep_graph, create_graph,
                        /*stop_at_targets=*/true);
}

}  // namespace tg::autograd
