#pragma once
// The engine's entry point for callers inside autograd that hold edges rather than
// tensors (gradient checkpointing differentiates into its node's next edges).
#include "autograd/autograd_meta.h"

namespace tg::autograd {

// The gradients of `outputs` (weighted by grad_outputs) flowing into each target
// edge, undefined where none arrives; runs only the nodes on a path to a target.
variable_list grad_into_edges(const variable_list& outputs, const variable_list& grad_outputs,
                              const std::vector<Edge>& targets, bool keep_graph, bool create_graph);

}  // namespace tg::autograd
