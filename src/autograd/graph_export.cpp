// to_dot and graph_stats: read-only walks of the backward graph (breadth-first from
// the output, iterative so that deep graphs do not overflow the stack). Saved
// tensors are inspected through SavedVariable::peek, never unpacked.
#include <algorithm>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate_grad.h"
#include "tensorgrad/graph.h"

namespace tg::autograd {
namespace {

// The nodes reachable from t's grad_fn (or t's own accumulator when t is a leaf
// requiring grad), numbered in breadth-first order.
struct Walk {
  std::vector<Node*> order;
  std::unordered_map<Node*, size_t> index;
  intrusive_ptr<Node> leaf_root;  // keeps a leaf's accumulator alive during the walk

  explicit Walk(const Tensor& t) {
    Node* root = t.grad_fn().get();
    if (!root && t.requires_grad()) {
      leaf_root = grad_accumulator(t);
      root = leaf_root.get();
    }
    if (!root) return;
    visit(root);
    for (size_t i = 0; i < order.size(); ++i)
      for (const Edge& e : order[i]->next_edges())
        if (e.is_valid()) visit(e.function.get());
  }
  void visit(Node* n) {
    if (index.emplace(n, order.size()).second) order.push_back(n);
  }
};

const char* dtype_name(ScalarType t) {
  switch (t) {
    case kFloat: return "float32";
    case kDouble: return "float64";
    case kLong: return "int64";
    case kBool: return "bool";
    default: return "undefined";
  }
}

std::string describe(const Tensor& t) {
  std::ostringstream s;
  s << t.sizes() << " " << dtype_name(t.dtype());
  return s.str();
}

const Tensor& leaf_of(Node* n) { return static_cast<AccumulateGrad*>(n)->variable; }

}  // namespace

std::string to_dot(const Tensor& t) {
  TG_CHECK(t.defined(), "to_dot(): the tensor is undefined");
  Walk w(t);
  std::ostringstream dot;
  dot << "digraph autograd {\n"
      << "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n"
      << "  output [label=\"output\\n" << describe(t) << "\", shape=ellipse, fillcolor=palegreen];\n";
  for (size_t i = 0; i < w.order.size(); ++i) {
    Node* n = w.order[i];
    dot << "  n" << i << " [label=\"";
    if (n->is_accumulate_grad()) {
      const Tensor& v = leaf_of(n);
      dot << "leaf\\n" << describe(v) << "\\nrequires_grad=" << (v.requires_grad() ? "true" : "false")
          << "\", shape=ellipse, fillcolor=lightblue];\n";
      continue;
    }
    dot << n->name();
    for (size_t k = 0; k < n->num_saved(); ++k) {
      const SavedVariable& s = n->saved_variable(k);
      if (s.released()) dot << "\\nsaved " << k << ": freed";
      else if (s.peek().defined()) dot << "\\nsaved " << k << ": " << describe(s.peek()) << ", " << s.peek().nbytes() << " B";
    }
    dot << "\"];\n";
  }
  for (size_t i = 0; i < w.order.size(); ++i)
    for (const Edge& e : w.order[i]->next_edges())
      if (e.is_valid()) dot << "  n" << w.index.at(e.function.get()) << " -> n" << i << ";\n";
  if (!w.order.empty()) dot << "  n0 -> output;\n";
  dot << "}\n";
  return dot.str();
}

GraphStats graph_stats(const Tensor& t) {
  TG_CHECK(t.defined(), "graph_stats(): the tensor is undefined");
  Walk w(t);
  GraphStats s;
  std::unordered_set<const StorageImpl*> leaf_storage, counted;
  for (Node* n : w.order)
    if (n->is_accumulate_grad()) {
      ++s.leaves;
      leaf_storage.insert(leaf_of(n).unsafeGetTensorImpl()->storage.get());
    }
  s.nodes = w.order.size() - s.leaves;
  for (Node* n : w.order)
    for (size_t k = 0; k < n->num_saved(); ++k) {
      const Tensor& v = n->saved_variable(k).peek();
      if (!v.defined()) continue;
      ++s.saved_tensors;
      const StorageImpl* st = v.unsafeGetTensorImpl()->storage.get();
      if (!counted.insert(st).second) continue;
      s.saved_bytes += st->nbytes;
      if (leaf_storage.count(st)) s.saved_leaf_bytes += st->nbytes;
    }
  // Longest path, relaxed in a topological order (breadth-first order is not one):
  // depth[i] counts the backward nodes from t down to node i.
  std::vector<size_t> indegree(w.order.size(), 0), depth(w.order.size(), 0);
  for (Node* n : w.order)
    for (const Edge& e : n->next_edges())
      if (e.is_valid()) ++indegree[w.index.at(e.function.get())];
  std::vector<size_t> ready;
  for (size_t i = 0; i < w.order.size(); ++i)
    if (indegree[i] == 0) ready.push_back(i);
  for (size_t i = 0; i < w.order.size(); ++i)
    if (!w.order[i]->is_accumulate_grad()) depth[i] = 1;
  while (!ready.empty()) {
    const size_t i = ready.back();
    ready.pop_back();
    s.depth = std::max(s.depth, depth[i]);
    for (const Edge& e : w.order[i]->next_edges()) {
      if (!e.is_valid()) continue;
      const size_t c = w.index.at(e.function.get());
      const size_t own = w.order[c]->is_accumulate_grad() ? 0 : 1;
      depth[c] = std::max(depth[c], depth[i] + own);
      if (--indegree[c] == 0) ready.push_back(c);
    }
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const GraphStats& s) {
  return os << s.nodes << " nodes, " << s.leaves << " leaves, depth " << s.depth << ", " << s.saved_tensors
            << " saved tensors holding " << s.saved_bytes << " bytes (" << s.saved_leaf_bytes << " of them leaves')";
}

}  // namespace tg::autograd
