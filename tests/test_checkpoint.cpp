// Gradient checkpointing: the same gradients as the plain run (inputs, parameters,
// higher order), a fraction of the saved memory, the same random numbers when the
// segment is recomputed, and libtorch's errors for a second backward or a modified input.
#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;

namespace {

// A 16-layer MLP (Linear + ReLU), run plainly or checkpointed every `per` layers.
struct Mlp {
  std::vector<nn::Linear> layers;
  explicit Mlp(int64_t width) {
    manual_seed(7);
    for (int i = 0; i < 16; ++i) layers.emplace_back(width, width);
  }
  Tensor run(const Tensor& x, size_t begin, size_t end) {
    Tensor h = x;
    for (size_t i = begin; i < end; ++i) h = relu(layers[i]->forward(h));
    return h;
  }
  Tensor forward(const Tensor& x, size_t per) {
    if (per == 0) return run(x, 0, layers.size());
    Tensor h = x;
    for (size_t i = 0; i < layers.size(); i += per)
      h = ag::checkpoint([this, i, per](const Tensor& in) { return run(in, i, i + per); }, h);
    return h;
  }
  std::vector<Tensor> grads() {
    std::vector<Tensor> g;
    for (auto& l : layers) {
      g.push_back(l->weight.grad().clone());
      g.push_back(l->bias.grad().clone());
      l->weight.zero_grad();
      l->bias.zero_grad();
    }
    return g;
  }
};

Tensor loss_of(const Tensor& h) { return (h * h).mean(); }

}  // namespace

TEST(Checkpoint, GradientsEqualThePlainRun) {
  Mlp mlp(32);
  Tensor x = randn({8, 32}, requires_grad());
  loss_of(mlp.forward(x, 0)).backward();
  std::vector<Tensor> plain = mlp.grads();
  Tensor plain_x = x.grad().clone();
  x.zero_grad();
  Tensor loss = loss_of(mlp.forward(x, 4));
  EXPECT_EQ(loss.grad_fn()->next_edge(0).function->next_edge(0).function->name(), "CheckpointBackward");
  loss.backward();
  std::vector<Tensor> ckpt = mlp.grads();
  ASSERT_EQ(plain.size(), ckpt.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_TRUE(plain[i].equal(ckpt[i])) << "parameter " << i;
  EXPECT_TRUE(plain_x.equal(x.grad()));
  EXPECT_GT(plain_x.abs().sum().item<double>(), 0.0);
}

TEST(Checkpoint, SixteenLayersPerFourSaveAtMostAThird) {
  Mlp mlp(64);
  Tensor x = randn({32, 64});
  ag::GraphStats plain = ag::graph_stats(loss_of(mlp.forward(x, 0)));
  ag::GraphStats ckpt = ag::graph_stats(loss_of(mlp.forward(x, 4)));
  // Plain: every layer's input and ReLU output (8 KiB each, shared between layers)
  // and the weights (16 KiB, leaves) but the first (x needs no gradient);
  // checkpointed: the four segment inputs and the output.
  EXPECT_EQ(plain.saved_bytes, 17u * 8192 + 15u * 16384);
  EXPECT_EQ(ckpt.saved_bytes, 5u * 8192);
  EXPECT_LE(static_cast<double>(ckpt.saved_bytes), 0.35 * static_cast<double>(plain.saved_bytes));
  EXPECT_LE(static_cast<double>(ckpt.saved_bytes - ckpt.saved_leaf_bytes),
            0.35 * static_cast<double>(plain.saved_bytes - plain.saved_leaf_bytes));
  EXPECT_EQ(plain.nodes, 16u * 3 + 2);  // addmm, TBackward0, relu per layer; mul, mean
  EXPECT_EQ(ckpt.nodes, 4u + 2);
  EXPECT_EQ(ckpt.leaves, 32u);  // every weight and bias still gets its gradient
}

TEST(Checkpoint, RecomputationSeesTheSameRandomNumbers) {
  Tensor x = ones({1000}, requires_grad());
  Tensor y = ag::checkpoint([](const Tensor& in) { return in * (rand_like(in) > 0.5); }, x);
  rand({5});  // the generator moves on before backward
  y.sum().backward();
  EXPECT_TRUE(x.grad().equal(y.detach()));  // y = x * mask with x = 1: the gradient is the forward's mask
  const double kept = y.sum().item<double>();
  EXPECT_GT(kept, 400.0);
  EXPECT_LT(kept, 600.0);
}

TEST(Checkpoint, SecondOrderThroughACheckpoint) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = ag::checkpoint([](const Tensor& in) { return in * in * in; }, x);
  Tensor g = ag::grad({y.sum()}, {x}, {}, nullopt, /*create_graph=*/true)[0];
  EXPECT_TENSOR(g, {2}, {3, 12});
  Tensor g2 = ag::grad({g.sum()}, {x})[0];
  EXPECT_TENSOR(g2, {2}, {6, 12});
}

TEST(Checkpoint, SeveralInputsAndOutputs) {
  Tensor a = tensor({1.0, 2.0}, requires_grad()), b = tensor({3.0, 4.0}, requires_grad());
  ag::variable_list out = ag::checkpoint(
      [](const ag::variable_list& in) -> ag::variable_list { return {in[0] * in[1], in[0] + 1, in[1]}; }, {a, b});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].grad_fn()->name(), "CheckpointBackward");
  EXPECT_EQ(out[0].output_nr(), 0u);
  EXPECT_EQ(out[2].output_nr(), 2u);
  (out[0].sum() + 10 * out[1].sum() + 100 * out[2].sum()).backward();
  EXPECT_TENSOR(a.grad(), {2}, {13, 14});    // b + 10
  EXPECT_TENSOR(b.grad(), {2}, {101, 102});  // a + 100
}

TEST(Checkpoint, InputsOnlyWithoutGradMode) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  NoGradGuard no_grad;
  Tensor y = ag::checkpoint([](const Tensor& in) { return in * 2; }, x);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TENSOR(y, {2}, {2, 4});
}

TEST(Checkpoint, SecondBackwardRaises) {
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  Tensor y = ag::checkpoint([](const Tensor& in) { return in.exp(); }, x).sum();
  y.backward();
  EXPECT_THROW_MSG(y.backward(), "Trying to backward through the graph a second time");
}

TEST(Checkpoint, InputModifiedInPlaceRaises) {
  Tensor w = tensor({1.0, 2.0}, requires_grad());
  Tensor x = w * 1;
  Tensor y = ag::checkpoint([](const Tensor& in) { return in.exp(); }, x).sum();
  x.mul_(2);
  EXPECT_THROW_MSG(y.backward(), "one of the variables needed for gradient computation has been modified by an "
                                 "inplace operation");
}

// The segment's backward stops where the segment ends: it used to run the
// nodes behind the segment's inputs that led to another of its edges, so a
// tensor reached both through an input's history and directly got its gradient
// twice, a checkpoint behind another one ran twice (and raised), and hooks behind
// the segment ran twice.
TEST(Checkpoint, ATensorReachedThroughAnInputsHistoryAndDirectlyGetsItsGradientOnce) {
  Tensor x = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  Tensor h = x * 2;
  ag::checkpoint([&](const Tensor& hh) { return hh * x; }, h).sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {4, 8});  // d(2x * x)/dx = 4x
  Tensor h2 = x * 2;
  EXPECT_TENSOR(ag::grad({ag::checkpoint([&](const Tensor& hh) { return hh * x; }, h2).sum()}, {x})[0], {2}, {4, 8});
}

TEST(Checkpoint, TwoCheckpointsSharingAWeight) {
  Tensor x = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  Tensor w = tensor({0.5, -1.0}, dtype(kDouble).requires_grad(true));
  auto block = [&](const Tensor& v) { return (v * w).tanh(); };
  block(block(x)).sum().backward();
  const Tensor plain_w = w.grad().clone(), plain_x = x.grad().clone();
  w.mutable_grad() = Tensor();
  x.mutable_grad() = Tensor();
  ag::checkpoint(block, ag::checkpoint(block, x)).sum().backward();
  EXPECT_TRUE(allclose(w.grad(), plain_w, 1e-12, 1e-12)) << w.grad() << plain_w;
  EXPECT_TRUE(allclose(x.grad(), plain_x, 1e-12, 1e-12)) << x.grad() << plain_x;
  EXPECT_NEAR(w.grad()[0].item<double>(), 0.81130, 1e-4);  // PyTorch 1.13's torch.utils.checkpoint
}

TEST(Checkpoint, HooksBehindTheSegmentRunOnce) {
  Tensor x = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  Tensor h = x * 2;
  h.retain_grad();
  int input_hook_calls = 0;
  h.register_hook([&](const Tensor&) { ++input_hook_calls; });
  ag::checkpoint([](const Tensor& v) { return v * v; }, h).sum().backward();
  EXPECT_EQ(input_hook_calls, 1);
  EXPECT_TENSOR(h.grad(), {2}, {4, 8});
  EXPECT_TENSOR(x.grad(), {2}, {8, 16});

  Tensor w = tensor({1.0, 2.0}, dtype(kDouble).requires_grad(true));
  int weight_hook_calls = 0;
  w.register_hook([&](const Tensor& g) {
    ++weight_hook_calls;
    return g * 10;
  });
  Tensor v = tensor({3.0, 4.0}, dtype(kDouble).requires_grad(true));
  ag::checkpoint([&](const Tensor& in) { return in * w; }, v).sum().backward();
  EXPECT_EQ(weight_hook_calls, 1);
  EXPECT_TENSOR(w.grad(), {2}, {30, 40});
}
