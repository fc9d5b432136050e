// Gradient checkpointing as one node of the graph (CheckpointBackward). Forward runs
// the segment with grad, only to learn where its gradients leave it: the edges from
// its nodes to nodes made before it (the inputs' history) or to leaves (inputs and
// captured parameters). Those edges become the checkpoint node's own; the
// segment's nodes and everything they saved are dropped at once. Backward runs the
// segment again from the saved inputs and sends the gradients into those edges
// (engine_internal.h), so every tensor the segment depends on gets its gradient
// exactly as without checkpointing.
#include <random>
#include <unordered_set>

#include "autograd/engine_internal.h"
#include "autograd/tape_internal.h"
#include "core/random.h"
#include "tensorgrad/checkpoint.h"

namespace tg::autograd {
namespace {

using Segment = std::function<variable_list(const variable_list&)>;

std::mt19937_64 rng_state() {
  return core::Generator::global().with([](std::mt19937_64& e) { return e; });
}
void set_rng_state(const std::mt19937_64& state) {
  core::Generator::global().with([&](std::mt19937_64& e) { e = state; });
}

struct CheckpointBackward final : Node {
  CheckpointBackward(Segment fn, std::mt19937_64 rng) : fn_(std::move(fn)), rng_(rng) {}
  std::string name() const override { return "CheckpointBackward"; }

  variable_list apply(variable_list&& grads) override {
    variable_list inputs;
    for (size_t i = 0; i < num_saved(); ++i) inputs.push_back(saved(i));
    const bool create_graph = GradMode::is_enabled();
    variable_list outputs = recompute(inputs);
    variable_list roots, root_grads;
    for (size_t k = 0; k < outputs.size() && k < grads.size(); ++k) {
      if (!grads[k].defined() || !outputs[k].requires_grad()) continue;
      roots.push_back(outputs[k]);
      root_grads.push_back(grads[k]);
    }
    if (roots.empty()) return variable_list(num_outputs());
    std::vector<Edge> targets(next_edges_.begin(), next_edges_.end());
    return grad_into_edges(roots, root_grads, targets, create_graph, create_graph);
  }

  // The segment with grad, its random numbers as in the forward.
  variable_list recompute(const variable_list& inputs) {
    PauseTapes pause;
    const std::mt19937_64 now = rng_state();
    set_rng_state(rng_);
    AutoGradMode grad_mode(true);
    variable_list outputs;
    try {
      outputs = fn_(inputs);
    } catch (...) {
      set_rng_state(now);
      throw;
    }
    set_rng_state(now);
    return outputs;
  }

  // Makes the edges by which gradients leave the segment this node's edges: the
  // segment's nodes are those made after this one.
  void adopt_boundary(const variable_list& outputs) {
    std::unordered_set<Node*> seen;
    std::vector<Node*> stack;
    auto outside = [this](const Node* n) { return n->is_accumulate_grad() || n->sequence_nr() < sequence_nr(); };
    auto add = [&](const Edge& e, IntArrayRef shape, ScalarType dtype) {
      for (const Edge& have : next_edges_)
        if (have.function == e.function && have.input_nr == e.input_nr) return;
      next_edges_.push_back(e);
      next_meta_.push_back(shape, dtype);
    };
    for (const Tensor& out : outputs) {
      Edge e = gradient_edge(out);
      if (!e.is_valid()) continue;
      if (outside(e.function.get())) add(e, out.sizes(), out.dtype());
      else if (seen.insert(e.function.get()).second) stack.push_back(e.function.get());
    }
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (size_t i = 0; i < n->num_outputs(); ++i) {
        const Edge& e = n->next_edge(i);
        if (!e.is_valid()) continue;
        if (outside(e.function.get())) add(e, n->next_shape(i), n->next_dtype(i));
        else if (seen.insert(e.function.get()).second) stack.push_back(e.function.get());
      }
    }
  }

 private:
  Segment fn_;
  std::mt19937_64 rng_;
};

}  // namespace

variable_list checkpoint(const std::function<variable_list(const variable_list&)>& fn, const variable_list& inputs) {
  if (!GradMode::is_enabled()) return fn(inputs);
  // Made first, so that every node of the segment is younger than it.
  auto node = make_intrusive<CheckpointBackward>(fn, rng_state());
  variable_list outputs;
  {
    PauseTapes pause;
    outputs = fn(inputs);
  }
  node->adopt_boundary(outputs);
  if (node->num_outputs() == 0) return outputs;  // nothing in the segment requires grad
  for (const Tensor& in : inputs) node->save(in, false);
  node->set_num_inputs(static_cast<uint32_t>(outputs.size()));
  variable_list result;
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (!outputs[k].requires_grad()) {
      result.push_back(outputs[k]);
      continue;
    }
    result.push_back(outputs[k].detach());
    set_history(result.back(), node, static_cast<uint32_t>(k));
  }
  return result;
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input) {
  return checkpoint([fn](const variable_list& x) -> variable_list { return {fn(x[0])}; }, {input})[0];
}

}  // namespace tg::autograd
