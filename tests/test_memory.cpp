// Memory: what a graph keeps alive and when it lets go (saved tensors, retained
// graphs, hooks that capture tensors), and that training does not grow the process.
// Built with TG_SANITIZE this suite also runs under LeakSanitizer, which fails the
// test binary on any leak left at exit.
//
// Hooks and reference cycles (documented at Tensor::register_hook): as in libtorch,
// a tensor's hooks belong to its node (non-leaf) or to the tensor itself (leaf), so
// a hook that captures the tensor it is registered on forms a reference cycle and
// keeps both alive after the last outside reference is gone. remove_hook breaks the
// cycle; a hook that needs the tensor's values captures t.detach() (the same data,
// no history) and forms no cycle. Likewise a gradient computed with create_graph
// keeps its leaf alive until the gradient is reset.
#include <fstream>
#include <memory>
#include <unistd.h>

#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;

// AddressSanitizer keeps freed memory in quarantine (256 MB by default), which
// grows the resident set of any allocating loop: this test binary turns it off, so
// that the RSS test measures tensorgrad (LeakSanitizer still runs at exit).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=0"; }

namespace {

// A token whose lifetime a test observes: alive while anything holds a copy.
struct Token {
  std::shared_ptr<int> strong = std::make_shared<int>(0);
  std::weak_ptr<int> weak = strong;
};

// A float tensor over memory that records when the tensor's storage lets go of it.
Tensor watched_tensor(bool* freed) {
  auto* data = new float[2]{3.0f, 4.0f};
  *freed = false;
  return from_blob(data, {2}, [freed](void* p) {
    delete[] static_cast<float*>(p);
    *freed = true;
  });
}

size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total_pages = 0, resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

// ---- saved tensors and retained graphs -------------------------------------------------------

// A long graph is mostly nodes: hooks, retained gradients and anomaly traces live
// out of line (Node::Extras), its lists of edges, input shapes and saved tensors
// count their elements in 32 bits, its input shapes are packed in one list
// (autograd::InputMetadataList) and a saved tensor's flags in bit fields, so a
// node without them is 224 bytes on x86-64 with GCC, the walk hint (Note [Walk
// hints]) included (376 when they were inline, 304 with a list of shapes each; a
// 100,000-op chain then outgrew a 32 MB cache).
TEST(Memory, ANodeKeepsRarelyUsedStateOutOfLine) {
  EXPECT_LE(sizeof(autograd::SavedVariable), 16u);
  EXPECT_LE(sizeof(autograd::Node), 224u);
  // The out-of-line state still works: a hook, a retained gradient.
  Tensor x = tensor({1.0, 2.0}).requires_grad_(true);
  Tensor y = x * 3;
  y.register_hook([](const Tensor& g) { return g * 2; });
  Tensor z = y * 5;
  z.retain_grad();
  z.sum().backward();
  EXPECT_TRUE(allclose(z.grad(), tensor({1.0, 1.0})));
  EXPECT_TRUE(allclose(x.grad(), tensor({30.0, 30.0})));
}

// A node's lists keep two elements inline and move to the heap past them; their
// 32-bit counts refuse to grow past 2^32 - 1 instead of wrapping around.
TEST(Memory, InlineVectorGrowsPastItsInlineElementsAndRefusesA33BitCount) {
  detail::InlineVector<std::string, 2> v;
  for (int i = 0; i < 5; ++i) v.push_back(std::string(40, static_cast<char>('a' + i)));  // heap strings
  detail::InlineVector<std::string, 2> moved = std::move(v);
  EXPECT_EQ(v.size(), 0u);
  ASSERT_EQ(moved.size(), 5u);
  EXPECT_EQ(moved[4], std::string(40, 'e'));
  moved.erase_if([](const std::string& s) { return s[0] == 'b' || s[0] == 'd'; });
  ASSERT_EQ(moved.size(), 3u);
  EXPECT_EQ(moved[1], std::string(40, 'c'));
  detail::InlineVector<std::string, 2> copy = moved;
  EXPECT_EQ(copy[2], std::string(40, 'e'));
  EXPECT_THROW(copy.reserve(size_t(UINT32_MAX) + 1), std::length_error);
  EXPECT_EQ(copy.size(), 3u);
}

TEST(Memory, BackwardFreesSavedTensorsUnlessTheGraphIsRetained) {
  bool freed = false;
  const Tensor x = ones({2}).requires_grad_();
  Tensor y;
  {
    const Tensor w = watched_tensor(&freed);
    y = (x * w).sum();  // MulBackward0 saves w for x's gradient
  }
  EXPECT_FALSE(freed);
  y.backward();
  EXPECT_TRUE(freed);  // released after backward, while y (and its graph) lives on
  EXPECT_TENSOR(x.grad(), {2}, {3, 4});
  EXPECT_THROW_MSG(y.backward(), "Trying to backward through the graph a second time");
}

TEST(Memory, ARetainedGraphLivesUntilItsOutputsAreGone) {
  bool freed = false;
  const Tensor x = ones({2}).requires_grad_();
  {
    Tensor y;
    {
      const Tensor w = watched_tensor(&freed);
      y = (x * w).sum();
    }
    y.backward({}, /*retain_graph=*/true);
    y.backward({}, /*retain_graph=*/true);
    EXPECT_FALSE(freed);
    EXPECT_TENSOR(x.grad(), {2}, {6, 8});
  }
  EXPECT_TRUE(freed);
}

TEST(Memory, ADoubleBackwardGraphIsFreedWithItsTensors) {
  bool freed = false;
  const Tensor x = tensor({1.0f, 2.0f}).requires_grad_();
  {
    const Tensor w = watched_tensor(&freed);
    const Tensor y = (x * x * w).sum();
    const Tensor g = autograd::grad({y}, {x}, {}, nullopt, /*create_graph=*/true)[0];
    EXPECT_TENSOR(g, {2}, {6, 16});
    g.sum().backward();
    EXPECT_TENSOR(x.grad(), {2}, {6, 8});
  }
  EXPECT_TRUE(freed);
}

// ---- hooks that capture tensors ----------------------------------------------------------------

TEST(Memory, HookCapturingItsOwnNonLeafTensorIsACycleUntilRemoved) {
  Token token;
  const Tensor x = ones({2}).requires_grad_();
  intrusive_ptr<autograd::Node> node;
  unsigned handle = 0;
  {
    const Tensor y = x * 2;
    node = y.grad_fn();
    handle = y.register_hook([y, keep = token.strong](const Tensor& g) { return g + y; });
    y.sum().backward();
  }
  EXPECT_TENSOR(x.grad(), {2}, {6, 6});  // (1 + y) * 2
  token.strong.reset();
  // y is out of scope, but its node holds the hook, which holds y, which holds the node.
  EXPECT_FALSE(token.weak.expired());
  node->remove_tensor_hook(handle);
  EXPECT_TRUE(token.weak.expired());
  EXPECT_EQ(node.use_count(), 1);  // y died with the hook: only this reference is left
}

TEST(Memory, HookCapturingItsOwnLeafIsACycleUntilRemoved) {
  Token token;
  bool freed = false;
  TensorImpl* impl = nullptr;
  unsigned handle = 0;
  {
    const Tensor w = watched_tensor(&freed).requires_grad_();
    impl = w.unsafeGetTensorImpl();
    handle = w.register_hook([w, keep = token.strong](const Tensor& g) { return g * w; });
    (w * 1).sum().backward();
    EXPECT_TENSOR(w.grad(), {2}, {3, 4});
  }
  token.strong.reset();
  EXPECT_FALSE(token.weak.expired());
  EXPECT_FALSE(freed);
  {
    // The leaf is still alive (held by its own hook): take a reference and break the cycle.
    const Tensor w{intrusive_ptr<TensorImpl>(impl)};
    w.remove_hook(handle);
    EXPECT_TRUE(token.weak.expired());
    EXPECT_FALSE(freed);
  }
  EXPECT_TRUE(freed);
}

TEST(Memory, HookCapturingTheDetachedTensorFormsNoCycle) {
  Token token;
  const Tensor x = ones({2}).requires_grad_();
  {
    const Tensor y = x * 2;
    y.register_hook([d = y.detach(), keep = token.strong](const Tensor& g) { return g + d; });
    y.sum().backward();
  }
  EXPECT_TENSOR(x.grad(), {2}, {6, 6});
  token.strong.reset();
  EXPECT_TRUE(token.weak.expired());
}

TEST(Memory, HookCapturingAnUpstreamTensorFormsNoCycle) {
  Token token;
  bool freed = false;
  {
    const Tensor w = watched_tensor(&freed).requires_grad_();
    const Tensor y = w * 2;
    y.register_hook([w, keep = token.strong](const Tensor& g) { return g * w; });
    y.sum().backward();
    EXPECT_TENSOR(w.grad(), {2}, {6, 8});
  }
  token.strong.reset();
  EXPECT_TRUE(token.weak.expired());
  EXPECT_TRUE(freed);
}

TEST(Memory, CreateGraphGradientTiesTheLeafToItselfUntilReset) {
  // As in libtorch (which warns about it): x.grad() computed with create_graph is
  // 2 * x with its graph, which saves x: x owns its gradient, which owns x.
  bool freed = false;
  TensorImpl* impl = nullptr;
  {
    const Tensor w = watched_tensor(&freed).requires_grad_();
    impl = w.unsafeGetTensorImpl();
    (w * w).sum().backward({}, nullopt, /*create_graph=*/true);
    EXPECT_TENSOR(w.grad(), {2}, {6, 8});
    EXPECT_TRUE(w.grad().requires_grad());
  }
  EXPECT_FALSE(freed);
  {
    const Tensor w{intrusive_ptr<TensorImpl>(impl)};
    w.mutable_grad() = Tensor();  // libtorch: x.mutable_grad().reset()
  }
  EXPECT_TRUE(freed);
}

// ---- training keeps memory flat ------------------------------------------------------------------

TEST(Memory, ThousandTrainingStepsKeepTheResidentSetFlat) {
  manual_seed(3);
  nn::Sequential net(nn::Linear(64, 128), nn::ReLU(), nn::Linear(128, 10));
  optim::Adam opt(net->parameters(), optim::AdamOptions(1e-3));
  const Tensor x = randn({32, 64});
  const Tensor y = randint(0, 10, {32});
  size_t rss_at_100 = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= 1000; ++step) {
    opt.zero_grad();
    const Tensor loss = F::cross_entropy(net->forward(x), y);
    loss.backward();
    opt.step();
    if (step == 1) first_loss = loss.item<double>();
    if (step == 1000) last_loss = loss.item<double>();
    if (step == 100) rss_at_100 = resident_bytes();
  }
  const size_t rss_at_1000 = resident_bytes();
  RecordProperty("rss_at_100", std::to_string(rss_at_100));
  RecordProperty("rss_at_1000", std::to_string(rss_at_1000));
  EXPECT_LT(last_loss, first_loss / 10);  // it did train
  // Every step allocates the same buffers again: all of them are reused.
  EXPECT_LE(rss_at_1000, rss_at_100 + (size_t{1} << 20))
      << "RSS grew from " << rss_at_100 << " to " << rss_at_1000 << " bytes";
}
