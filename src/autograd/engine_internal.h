#pragma once
// The engine's entry points for callers inside autograd: one for callers that hold
// edges rather than tensors (gradient checkpointing differentiates into its node's
// next edges), one for backward formulas that can add a gradient in place.
#include "autograd/autograd_meta.h"

namespace tg::autograd {

// The gradients of `outputs` (weighted by grad_outputs) flowing into each target
// edge, undefined where none arrives; runs only the nodes on a path to a target,
// and never a target's node nor anything behind it: the targets are where a
// gradient checkpoint's segment ends, and the rest of the graph is the outer
// pass's (which runs the targets' hooks once).
variable_list grad_into_edges(const variable_list& outputs, const variable_list& grad_outputs,
                              const std::vector<Edge>& targets, bool keep_graph, bool create_graph);

// Where the backward formula of `node`, while the engine runs it, may add the
// gradient of its forward input `input` itself, instead of returning it: a view of
// a leaf's .grad with that input's shape and dtype (Note [Accumulating products]
// in engine.cpp). A formula that adds into it returns an undefined gradient for
// that input. Empty when the gradient must be returned as usual.
struct AccumulationTarget {
  Tensor grad;
  std::unique_lock<std::mutex> lock;  // the leaf's, held while the formula adds
  explicit operator bool() const { return grad.defined(); }
};
AccumulationTarget accumulation_target(const Node& node, size_t input);

}  // namespace tg::autograd
