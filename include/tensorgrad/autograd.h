#pragma once
// Reverse-mode automatic differentiation: grad mode, the graph's Node and Edge,
// saved variables, backward()/grad(), anomaly mode and custom Functions —
// libtorch 1.13's torch::autograd API in namespace tg::autograd.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "tensorgrad/inline_vector.h"
#include "tensorgrad/tensor.h"

namespace tg {
namespace autograd {

using variable_list = std::vector<Tensor>;
using tensor_list = std::vector<Tensor>;

// ---- grad mode -----------------------------------------------------------------------
struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// Sets grad mode for a scope and restores the previous mode on exit.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(prev_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool prev_;
};

// Disables gradient recording for a scope (inference, optimizer updates).
struct NoGradGuard : AutoGradMode {
  NoGradGuard() : AutoGradMode(false) {}
};

// ---- anomaly mode ------------------------------------------------------------------------
// When enabled, every node remembers the forward operations that led to it, and a
// backward node that produces NaN or Inf raises an error naming that chain.
struct AnomalyMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_;
};

// ---- the graph -------------------------------------------------------------------------------
struct Node;

// Where a gradient goes: input `input_nr` of `function`.
struct Edge {
  Edge() = default;
  Edge(intrusive_ptr<Node> fn, uint32_t nr) : function(std::move(fn)), input_nr(nr) {}
  bool is_valid() const { return static_cast<bool>(function); }
  intrusive_ptr<Node> function;
  uint32_t input_nr = 0;
};

// The shape and dtype of a gradient a node receives (libtorch's InputMetadata):
// a custom Function's node keeps one per forward output, to make zeros for an
// output that gets no gradient.
struct InputMetadata {
  DimVector shape;
  ScalarType dtype = kFloat;
};

// The shapes and dtypes of a node's forward inputs: a gradient flowing back to
// input i is summed down to shape(i) and cast to dtype(i) in one place (the
// engine). Every recorded op has such a list, so it is packed: the dims of all
// inputs in one list, beside a (first dim, rank, dtype) entry per input. A list
// of InputMetadata took 144 of a scalar product node's 336 bytes, and a
// 100,000-op graph, mostly nodes, is walked three times (discovery, backward,
// destruction).
class InputMetadataList {
 public:
  // An undefined input has shape [] and dtype Float.
  void push_back(IntArrayRef shape, ScalarType dtype);
  IntArrayRef shape(size_t i) const { return {dims_.data() + entries_[i].first_dim, entries_[i].rank}; }
  ScalarType dtype(size_t i) const { return entries_[i].dtype; }

 private:
  struct Entry {
    uint32_t first_dim;
    uint16_t rank;
    ScalarType dtype;
  };
  detail::InlineVector<int64_t, 4> dims_;
  detail::InlineVector<Entry, 2> entries_;
};

// A tensor saved by a node for its backward. Remembers the version it saw; saving a
// node's own output keeps only its data (no reference to the node, so no cycle).
class SavedVariable {
 public:
  SavedVariable() = default;
  SavedVariable(const Tensor& t, bool is_output);
  // The saved tensor; raises libtorch's errors when it was freed or modified in place.
  Tensor unpack(Node* owner) const;
  void release();
  bool defined() const { return defined_; }
  // For graph reports: the stored tensor (an alias of the data for a saved output),
  // without unpacking or version check; undefined once released.
  const Tensor& peek() const { return data_; }
  bool released() const { return released_; }
  // Moves the saved tensor out (iterative graph destruction).
  Tensor take() { return std::move(data_); }

 private:
  Tensor data_;
  uint32_t version_ = 0;
  // Bit fields keep a saved tensor at 16 bytes: every node holds room for two.
  uint32_t output_nr_ : 29 = 0;
  uint32_t is_output_ : 1 = 0;
  uint32_t defined_ : 1 = 0;
  uint32_t released_ : 1 = 0;
};

using TensorHook = std::function<Tensor(const Tensor&)>;

// A node of the backward graph: one per recorded forward operation (its "grad_fn"),
// plus AccumulateGrad nodes for leaves. apply() maps the gradients of the forward
// outputs to the gradients of the forward inputs.
struct Node : detail::RefCounted, detail::PoolAllocated {
  // A leaf's gradient accumulator is held by a raw pointer and upgraded with
  // try_retain (Note [Uncontended reference counts]).
  static constexpr bool kUpgradedFromRawPointers = true;

  Node();
  // A node with its own sequence number, which takes none from the thread's count
  // (AccumulateGrad, numbered to run first, as libtorch's).
  explicit Node(uint64_t sequence_nr);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node();

  virtual std::string name() const = 0;
  virtual variable_list apply(variable_list&& grads) = 0;
  // Frees the saved tensors; called after backward unless retain_graph.
  virtual void release_variables();
  // Whether this node accumulates into a leaf's .grad (runs first in the engine).
  virtual bool is_accumulate_grad() const { return false; }

  uint64_t sequence_nr() const { return sequence_nr_; }
  // Takes the number the next node would get (forward AD stamps a tangent with it,
  // so that the op's own node, made next, knows the tangent is its rule's).
  static uint64_t reserve_sequence_nr();
  // Gradients this node receives (its forward op's outputs) and produces (inputs).
  uint32_t num_inputs() const { return num_inputs_; }
  uint32_t num_outputs() const { return static_cast<uint32_t>(next_edges_.size()); }
  using EdgeList = detail::InlineVector<Edge, 2>;
  const EdgeList& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  // The shape and dtype of forward input i, which its gradient is conformed to.
  IntArrayRef next_shape(size_t i) const { return next_meta_.shape(i); }
  ScalarType next_dtype(size_t i) const { return next_meta_.dtype(i); }
  // True when forward input i needs a gradient.
  bool needs_input_grad(size_t i) const { return i < next_edges_.size() && next_edges_[i].is_valid(); }

  // Graph building (used by ops and custom functions).
  void add_next_edge(const Tensor& input);
  void set_num_inputs(uint32_t n) { num_inputs_ = n; }
  // Saves t for backward; `is_output` when t is an output of this node.
  size_t save(const Tensor& t, bool is_output);
  Tensor saved(size_t i) { return saved_[i].unpack(this); }
  size_t num_saved() const { return saved_.size(); }
  const SavedVariable& saved_variable(size_t i) const { return saved_[i]; }

  // Hooks on the gradient of forward output `output_nr` (register_hook on a non-leaf).
  unsigned add_tensor_hook(uint32_t output_nr, TensorHook hook);
  void remove_tensor_hook(unsigned handle);
  // Applies the hooks of each output to the incoming gradients, in place, and
  // stores the gradients of the outputs that retain_grad() was called on.
  void observe_gradients(variable_list& grads, bool create_graph);
  // Whether hooks or retain_grad see the gradients this node receives.
  bool gradients_observed() const { return extras_ && (!extras_->hooks.empty() || !extras_->retained.empty()); }
  // retain_grad() on a non-leaf output: the engine writes its gradient to that tensor.
  void set_retained(uint32_t output_nr, TensorImpl* impl);
  void clear_retained(uint32_t output_nr, TensorImpl* impl);

  // Anomaly mode: the forward op chain recorded when this node was created.
  const std::string* anomaly_trace() const { return extras_ ? extras_->anomaly_trace.get() : nullptr; }
  // Fills the trace from the inputs' traces (once, when the node gets its output);
  // only for a node made in anomaly mode (anomaly_trace() not null).
  void fill_anomaly_trace();
  // Forward-mode AD: whether this node's outputs carry tangents.
  bool carries_tangent() const { return carries_tangent_; }
  void mark_carries_tangent() { carries_tangent_ = true; }
  // A node whose backward only transposes a matrix gradient (the TBackward0 of a
  // linear layer's weight.t()): the engine looks through it to the leaf behind it
  // (Note [Accumulating products] in engine.cpp).
  bool transposes_gradient() const { return transposes_gradient_; }
  void mark_transposes_gradient() { transposes_gradient_ = true; }

 private:
  friend class GraphTask;
  // The index of this node's task in the backward pass that last visited it
  // (Note [Engine slots] in engine.cpp). Declared first, it fills the padding after
  // the reference count, in the node's first cache line.
  uint32_t engine_slot_ = 0;
  // The node made a few nodes before this one on the same thread (Note [Walk
  // hints] in node.cpp). An integer, not a pointer: that node may be gone, and
  // the hint is only ever prefetched, never read through.
  uintptr_t walk_hint_ = 0;
  // Asks for the cache lines of the node at `node`: its Node part and the first
  // line of the derived node's own members (an op's backward function and constants).
  static void prefetch(const char* node) {
    for (size_t line = 0; line < sizeof(Node) + 64; line += 64) __builtin_prefetch(node + line);
  }
  // Asks for the cache lines of the node at `node` that discovery reads: from its
  // start (the engine slot) to the end of its edge list (any node's layout will do
  // for the offsets: `this` is one).
  void prefetch_edges_of(uintptr_t node) const {
    const char* start = reinterpret_cast<const char*>(node);
    const auto end = static_cast<size_t>(reinterpret_cast<const char*>(&next_edges_ + 1) -
                                         reinterpret_cast<const char*>(this));
    for (size_t offset = 0; offset < end; offset += 64) __builtin_prefetch(start + offset);
    __builtin_prefetch(start + end - 1);
  }

 protected:
  EdgeList next_edges_;
  InputMetadataList next_meta_;
  detail::InlineVector<SavedVariable, 2> saved_;

 private:
  friend class SavedVariable;
  struct HookEntry {
    unsigned handle;
    uint32_t output_nr;
    TensorHook fn;
  };
  struct RetainedEntry {
    uint32_t output_nr;
    TensorImpl* impl;
    unsigned first_later_hook;  // the handle of the first hook registered after retain_grad()
  };
  // What few nodes have, kept out of line so that every node is 48 bytes smaller
  // (a 100,000-op graph is mostly nodes, and is walked three times: discovery,
  // backward, destruction).
  struct Extras {
    std::vector<HookEntry> hooks;
    std::vector<RetainedEntry> retained;
    std::unique_ptr<std::string> anomaly_trace;
    unsigned next_hook_handle = 0;
  };
  Extras& extras();
  std::unique_ptr<Extras> extras_;
  uint64_t sequence_nr_;
  uint32_t num_inputs_ = 1;
  bool released_ = false;
  bool carries_tangent_ = false;
  bool transposes_gradient_ = false;
};

// ---- computing gradients ------------------------------------------------------------------
// Accumulates d(sum of tensors·grad_tensors)/d(leaf) into each leaf's .grad().
void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
              optional<bool> retain_graph = nullopt, bool create_graph = false,
              const variable_list& inputs = {});
// Returns d(outputs)/d(inputs) without touching any .grad().
variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, optional<bool> retain_graph = nullopt,
                   bool create_graph = false, bool allow_unused = false);

// ---- custom functions ------------------------------------------------------------------------
// A value kept in AutogradContext::saved_data (libtorch's IValue, restricted to what
// a backward needs: numbers, strings, tensors and int lists).
class IValue {
 public:
  IValue() = default;
  IValue(bool v) : v_(v) {}  // NOLINT
  IValue(int v) : v_(static_cast<int64_t>(v)) {}  // NOLINT
  IValue(int64_t v) : v_(v) {}  // NOLINT
  IValue(double v) : v_(v) {}  // NOLINT
  IValue(std::string v) : v_(std::move(v)) {}  // NOLINT
  IValue(const char* v) : v_(std::string(v)) {}  // NOLINT
  IValue(Tensor v) : v_(std::move(v)) {}  // NOLINT
  IValue(std::vector<int64_t> v) : v_(std::move(v)) {}  // NOLINT
  IValue(IntArrayRef v) : v_(v.vec()) {}  // NOLINT

  bool isNone() const { return v_.index() == 0; }
  bool isBool() const { return std::holds_alternative<bool>(v_); }
  bool isInt() const { return std::holds_alternative<int64_t>(v_); }
  bool isDouble() const { return std::holds_alternative<double>(v_); }
  bool isString() const { return std::holds_alternative<std::string>(v_); }
  bool isTensor() const { return std::holds_alternative<Tensor>(v_); }
  bool isIntList() const { return std::holds_alternative<std::vector<int64_t>>(v_); }
  bool toBool() const;
  int64_t toInt() const;
  double toDouble() const;
  const std::string& toStringRef() const;
  Tensor toTensor() const;
  std::vector<int64_t> toIntVector() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Tensor, std::vector<int64_t>> v_;
};

struct CustomFunctionNode;

// What a custom Function's forward and backward share.
class AutogradContext {
 public:
  void save_for_backward(variable_list to_save);
  variable_list get_saved_variables() const;
  // Declares inputs modified in place by forward (they are returned as outputs).
  void mark_dirty(const variable_list& inputs);
  // Declares outputs that never get a gradient (indices, masks).
  void mark_non_differentiable(const variable_list& outputs);
  // When false, backward receives undefined tensors for unused outputs instead of zeros.
  void set_materialize_grads(bool value) { materialize_grads_ = value; }
  bool needs_input_grad(size_t i) const;

  std::unordered_map<std::string, IValue> saved_data;

 private:
  friend struct CustomFunctionNode;
  friend struct FunctionApply;
  CustomFunctionNode* node_ = nullptr;
  variable_list to_save_;
  std::vector<TensorImpl*> dirty_;
  std::vector<TensorImpl*> non_differentiable_;
  bool materialize_grads_ = true;
  bool has_freed_buffers_ = false;
};

// The node a custom Function records: calls Derived::backward through a plain
// function pointer (no std::function on the hot path).
struct CustomFunctionNode final : Node {
  using BackwardFn = variable_list (*)(AutogradContext*, variable_list);
  CustomFunctionNode(std::string name, BackwardFn fn) : name_(std::move(name)), backward_(fn) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& grads) override;
  void release_variables() override;

  AutogradContext ctx;
  // For each forward argument: its index among the edges, or -1 for non-tensors.
  std::vector<int> arg_to_edge;
  std::vector<InputMetadata> output_meta;

 private:
  std::string name_;
  BackwardFn backward_;
};

// Shared machinery of Function<Derived>::apply (non-template part).
struct FunctionApply {
  static intrusive_ptr<CustomFunctionNode> begin(const char* name, CustomFunctionNode::BackwardFn fn,
                                                 const std::vector<const Tensor*>& tensor_args,
                                                 const std::vector<int>& arg_to_edge, AutogradContext** ctx);
  static void finish(CustomFunctionNode* node, const std::vector<const Tensor*>& inputs,
                     variable_list& outputs);
};

namespace detail {
template <class T>
void collect_tensor_arg(std::vector<const Tensor*>& tensors, std::vector<int>& arg_to_edge, const T& arg) {
  if constexpr (std::is_same_v<std::decay_t<T>, Tensor>) {
    arg_to_edge.push_back(static_cast<int>(tensors.size()));
    tensors.push_back(&arg);
  } else {
    arg_to_edge.push_back(-1);
  }
}
template <class T>
std::string type_name() {
  std::string n = __PRETTY_FUNCTION__;  // "... [with T = Name; ...]"
  auto b = n.find("T = ");
  if (b == std::string::npos) return "CustomFunction";
  b += 4;
  auto e = n.find_first_of(";]", b);
  std::string full = n.substr(b, e - b);
  auto colon = full.rfind("::");
  return colon == std::string::npos ? full : full.substr(colon + 2);
}
}  // namespace detail

// CRTP base of custom differentiable operations, as libtorch's:
//   struct MyOp : tg::autograd::Function<MyOp> {
//     static Tensor forward(AutogradContext* ctx, Tensor x, double k);
//     static variable_list backward(AutogradContext* ctx, variable_list grad_outputs);
//   };
//   Tensor y = MyOp::apply(x, 2.0);
// backward returns one gradient per forward argument (undefined for non-tensors).
template <class Derived>
struct Function {
  template <class... Args>
  static auto apply(Args&&... args) {
    static const std::string node_name = detail::type_name<Derived>() + "Backward";
    std::vector<const Tensor*> tensors;
    std::vector<int> arg_to_edge;
    (detail::collect_tensor_arg(tensors, arg_to_edge, args), ...);
    AutogradContext local_ctx;
    AutogradContext* ctx = &local_ctx;
    auto node = FunctionApply::begin(node_name.c_str(), &Derived::backward, tensors, arg_to_edge, &ctx);
    using Result = decltype(Derived::forward(ctx, args...));
    variable_list outputs;
    Result result = [&] {
      AutoGradMode no_grad(false);
      return Derived::forward(ctx, args...);
    }();
    if constexpr (std::is_same_v<std::decay_t<Result>, Tensor>) {
      outputs.push_back(std::move(result));
      FunctionApply::finish(node.get(), tensors, outputs);
      return outputs[0];
    } else {
      outputs = std::move(result);
      FunctionApply::finish(node.get(), tensors, outputs);
      return outputs;
    }
  }
};

}  // namespace autograd

using autograd::AutoGradMode;
using autograd::GradMode;
using autograd::NoGradGuard;

}  // namespace tg
