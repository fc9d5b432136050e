#pragma once
// [tg] The backward graph behind a tensor, as a picture (Graphviz DOT) and as
// numbers: how many nodes, how deep, and how much memory its saved tensors hold.
#include <cstddef>
#include <iosfwd>
#include <string>

#include "tensorgrad/tensor.h"

namespace tg::autograd {

// The graph behind t in Graphviz DOT: one box per backward node (grad_fn) with its
// name and, per saved tensor, its shape, dtype and bytes ("freed" after backward);
// one ellipse per leaf with its shape, dtype and requires_grad; the output; edges in
// the direction of the forward pass (inputs to the op that used them). Nodes are
// numbered in breadth-first order from the output, so the text is reproducible.
// Render with `dot -Tsvg graph.dot -o graph.svg`.
std::string to_dot(const Tensor& t);

struct GraphStats {
  size_t nodes = 0;          // backward nodes (grad_fns), leaves not counted
  size_t leaves = 0;         // leaves requiring grad (their AccumulateGrad nodes)
  size_t depth = 0;          // backward nodes on the longest path from t to a leaf
  size_t saved_tensors = 0;  // saved tensors still held
  size_t saved_bytes = 0;    // memory they hold, each storage counted once
  size_t saved_leaf_bytes = 0;  // of which the leaves' own storage (parameters): not
                                // extra memory, the leaves exist anyway
};

GraphStats graph_stats(const Tensor& t);
std::ostream& operator<<(std::ostream& os, const GraphStats& s);

}  // namespace tg::autograd
