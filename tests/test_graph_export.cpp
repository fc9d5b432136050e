// to_dot and graph_stats on small graphs whose text and numbers are known by hand.
#include <sstream>

#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;

namespace {
// L = (x*y + 5)^2 at x = 2, y = 3, the specification's graph (seed 001).
struct SquaredAffine {
  Tensor x = tensor(2.0f, requires_grad());
  Tensor y = tensor(3.0f, requires_grad());
  Tensor L = (x * y + 5).pow(2);
};
}  // namespace

TEST(GraphExport, DotOfSquaredAffine) {
  SquaredAffine g;
  EXPECT_EQ(ag::to_dot(g.L),
            "digraph autograd {\n"
            "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n"
            "  output [label=\"output\\n[] float32\", shape=ellipse, fillcolor=palegreen];\n"
            "  n0 [label=\"PowBackward0\\nsaved 0: [] float32, 4 B\"];\n"
            "  n1 [label=\"AddBackward1\"];\n"
            "  n2 [label=\"MulBackward0\\nsaved 0: [] float32, 4 B\\nsaved 1: [] float32, 4 B\"];\n"
            "  n3 [label=\"leaf\\n[] float32\\nrequires_grad=true\", shape=ellipse, fillcolor=lightblue];\n"
            "  n4 [label=\"leaf\\n[] float32\\nrequires_grad=true\", shape=ellipse, fillcolor=lightblue];\n"
            "  n1 -> n0;\n"
            "  n2 -> n1;\n"
            "  n3 -> n2;\n"
            "  n4 -> n2;\n"
            "  n0 -> output;\n"
            "}\n");
}

TEST(GraphExport, SavedTensorsShowFreedAfterBackward) {
  SquaredAffine g;
  g.L.backward();
  const std::string dot = ag::to_dot(g.L);
  EXPECT_NE(dot.find("n0 [label=\"PowBackward0\\nsaved 0: freed\"];"), std::string::npos) << dot;
  EXPECT_NE(dot.find("n2 [label=\"MulBackward0\\nsaved 0: freed\\nsaved 1: freed\"];"), std::string::npos) << dot;
  EXPECT_EQ(ag::graph_stats(g.L).saved_bytes, 0u);
}

TEST(GraphExport, StatsOfSquaredAffine) {
  SquaredAffine g;
  ag::GraphStats s = ag::graph_stats(g.L);
  EXPECT_EQ(s.nodes, 3u);
  EXPECT_EQ(s.leaves, 2u);
  EXPECT_EQ(s.depth, 3u);
  EXPECT_EQ(s.saved_tensors, 3u);
  EXPECT_EQ(s.saved_bytes, 12u);      // x, y and x*y+5: one float each
  EXPECT_EQ(s.saved_leaf_bytes, 8u);  // x and y are leaves
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "3 nodes, 2 leaves, depth 3, 3 saved tensors holding 12 bytes (8 of them leaves')");
}

TEST(GraphExport, SharedStorageIsCountedOnce) {
  // x*x saves x twice; exp saves its own output.
  Tensor x = ones({2, 3}, requires_grad());
  Tensor y = (x * x).exp().sum();
  ag::GraphStats s = ag::graph_stats(y);
  EXPECT_EQ(s.nodes, 3u);
  EXPECT_EQ(s.saved_tensors, 3u);
  EXPECT_EQ(s.saved_bytes, 48u);  // x (24 B) once, exp's result (24 B)
  EXPECT_EQ(s.saved_leaf_bytes, 24u);
}

TEST(GraphExport, DepthIsTheLongestPath) {
  // a = x * 2 (1 node), b = a.exp().exp() (2 more), y = a + b: longest path y->b->b->a.
  Tensor x = tensor({1.0}, requires_grad());
  Tensor a = x * 2;
  Tensor y = a + a.exp().exp();
  EXPECT_EQ(ag::graph_stats(y).depth, 4u);
  EXPECT_EQ(ag::graph_stats(y).nodes, 4u);
  EXPECT_EQ(ag::graph_stats(y).leaves, 1u);
}

TEST(GraphExport, DeepChainDoesNotOverflow) {
  Tensor x = tensor({1.0}, requires_grad());
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  EXPECT_EQ(ag::graph_stats(y).depth, 100000u);
}

TEST(GraphExport, LeafAndPlainTensors) {
  Tensor w = zeros({4, 2}, requires_grad());
  EXPECT_EQ(ag::to_dot(w),
            "digraph autograd {\n"
            "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n"
            "  output [label=\"output\\n[4, 2] float32\", shape=ellipse, fillcolor=palegreen];\n"
            "  n0 [label=\"leaf\\n[4, 2] float32\\nrequires_grad=true\", shape=ellipse, fillcolor=lightblue];\n"
            "  n0 -> output;\n"
            "}\n");
  ag::GraphStats plain = ag::graph_stats(ones({3}, dtype(kDouble)));
  EXPECT_EQ(plain.nodes, 0u);
  EXPECT_EQ(plain.leaves, 0u);
  EXPECT_EQ(plain.depth, 0u);
  EXPECT_THROW_MSG(ag::to_dot(Tensor()), "to_dot(): the tensor is undefined");
}
