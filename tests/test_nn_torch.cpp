// tg::nn against libtorch 1.13's torch::nn: the same model source, written once
// below as a macro over the library namespace, compiled against both. The two
// builds must agree on parameter names, shapes and counts, buffers, children,
// printed form (with tg for torch) and error messages; with libtorch's weights
// copied into ours they must give the same outputs and gradients, and the same
// losses over a few steps of manual SGD.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tensorgrad/tensorgrad.h"

// T: the library's namespace; HOLDER: its module-holder macro.
#define DEFINE_MODELS(T, HOLDER)                                                                              \
  struct ConvNetImpl : T::nn::Module {                                                                        \
    ConvNetImpl()                                                                                             \
        : features(register_module(                                                                           \
              "features", T::nn::Sequential(T::nn::Conv2d(T::nn::Conv2dOptions(1, 4, 3).padding(1)),          \
                                            T::nn::ReLU(), T::nn::MaxPool2d(2),                               \
                                            T::nn::Conv2d(T::nn::Conv2dOptions(4, 6, 3).stride(2).groups(2)), \
                                            T::nn::GELU(), T::nn::Flatten()))),                               \
          norm(register_module("norm", T::nn::LayerNorm(T::nn::LayerNormOptions({6})))),                      \
          head(register_module("head", T::nn::Sequential({{"fc", T::nn::Linear(6, 5)},                         \
                                                          {"act", T::nn::Tanh()},                             \
                                                          {"drop", T::nn::Dropout(0.3)},                      \
                                                          {"out", T::nn::Linear(T::nn::LinearOptions(5, 3)    \
                                                                                    .bias(false))},           \
                                                          {"sig", T::nn::Sigmoid()}}))) {                     \
      register_buffer("steps", T::zeros({1}));                                                                \
      gain = register_parameter("gain", T::ones({3}));                                                        \
    }                                                                                                         \
    T::Tensor forward(T::Tensor x) { return head->forward(norm(features->forward(x))) * gain; }                \
    T::nn::Sequential features;                                                                               \
    T::nn::LayerNorm norm;                                                                                    \
    T::nn::Sequential head;                                                                                   \
    T::Tensor gain;                                                                                           \
  };                                                                                                          \
  HOLDER(ConvNet);                                                                                            \
                                                                                                              \
  struct EmbedNetImpl : T::nn::Module {                                                                       \
    EmbedNetImpl()                                                                                            \
        : emb(register_module("emb", T::nn::Embedding(T::nn::EmbeddingOptions(10, 4).padding_idx(0)))),       \
          fc(register_module("fc", T::nn::Linear(12, 2))) {}                                                  \
    T::Tensor forward(const T::Tensor& idx) { return fc(T::nn::functional::gelu(emb(idx)).flatten(1)); }      \
    T::nn::Embedding emb;                                                                                     \
    T::nn::Linear fc;                                                                                         \
  };                                                                                                          \
  HOLDER(EmbedNet);                                                                                           \
                                                                                                              \
  inline T::nn::Sequential make_mlp() {                                                                       \
    return T::nn::Sequential(T::nn::Linear(2, 16), T::nn::ReLU(), T::nn::Linear(16, 1));                      \
  }                                                                                                           \
                                                                                                              \
  /* The training issue's CNN. */                                                                             \
  inline T::nn::Sequential make_cnn() {                                                                       \
    return T::nn::Sequential(                                                                                 \
        T::nn::Conv2d(T::nn::Conv2dOptions(1, 32, 3).padding(1)), T::nn::ReLU(), T::nn::MaxPool2d(2),         \
        T::nn::Conv2d(T::nn::Conv2dOptions(32, 64, 3).padding(1)), T::nn::ReLU(), T::nn::MaxPool2d(2),        \
        T::nn::Flatten(), T::nn::Linear(64 * 7 * 7, 128), T::nn::ReLU(), T::nn::Linear(128, 10));             \
  }                                                                                                           \
                                                                                                              \
  inline std::vector<std::function<void()>> misuses() {                                                       \
    return {                                                                                                  \
        [] { ConvNet().get()->register_parameter("gain", T::ones({1})); },                                    \
        [] { ConvNet().get()->register_parameter("a.b", T::ones({1})); },                                     \
        [] { ConvNet().get()->register_buffer("", T::ones({1})); },                                           \
        [] { ConvNet().get()->register_module("norm", T::nn::Linear(1, 1)); },                                \
        [] { ConvNet().get()->named_parameters()["missing"]; },                                               \
        [] { T::nn::Linear(nullptr)->forward(T::ones({1})); },                                                \
        [] { T::nn::Sequential()->forward(T::ones({1})); },                                                   \
        [] { T::nn::Sequential(T::nn::ReLU())->ptr<T::nn::LinearImpl>(0); },                                  \
        [] { T::nn::Sequential(T::nn::ReLU())->ptr(3); },                                                     \
        [] { T::nn::Dropout(1.5); },                                                                          \
        [] { T::nn::Conv2d(T::nn::Conv2dOptions(3, 4, 3).groups(2)); },                                       \
        [] { T::nn::Conv2d(T::nn::Conv2dOptions(4, 4, 3).stride(2).padding(T::kSame)); },                     \
        [] { T::nn::Embedding(T::nn::EmbeddingOptions(10, 3).padding_idx(10)); },                             \
        [] { T::nn::init::kaiming_uniform_(T::empty({3})); },                                                 \
        [] { T::nn::init::uniform_(T::empty({3}), 1, 0); },                                                   \
    };                                                                                                        \
  }

namespace torch_models {
DEFINE_MODELS(torch, TORCH_MODULE)
}  // namespace torch_models
namespace tg_models {
DEFINE_MODELS(tg, TG_MODULE)
}  // namespace tg_models

namespace {

tg::Tensor to_tg(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous();
  tg::ScalarType dtype = c.scalar_type() == torch::kFloat ? tg::kFloat
                         : c.scalar_type() == torch::kLong ? tg::kLong
                                                           : tg::kDouble;
  tg::Tensor out = tg::empty(c.sizes().vec(), dtype);
  std::memcpy(out.data_ptr(), c.data_ptr(), c.nbytes());
  return out;
}

double max_abs_diff(const tg::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes().vec(), b.sizes().vec());
  tg::Tensor ad = a.detach().to(tg::kDouble).contiguous();
  torch::Tensor bd = b.detach().to(torch::kDouble).contiguous();
  double worst = 0;
  for (int64_t i = 0; i < ad.numel(); ++i)
    worst = std::max(worst, std::abs(ad.data_ptr<double>()[i] - bd.data_ptr<double>()[i]));
  return worst;
}

// libtorch's weights and buffers, copied into ours by name.
void copy_state(const torch::nn::Module& from, tg::nn::Module& to) {
  auto src = from.named_parameters();
  auto dst = to.named_parameters();
  ASSERT_EQ(src.keys(), dst.keys());
  tg::autograd::NoGradGuard no_grad;
  for (const auto& p : src) dst[p.key()].copy_(to_tg(p.value()));
  auto src_buffers = from.named_buffers();
  auto dst_buffers = to.named_buffers();
  ASSERT_EQ(src_buffers.keys(), dst_buffers.keys());
  for (const auto& b : src_buffers) dst_buffers[b.key()].copy_(to_tg(b.value()));
}

template <class M>
std::string printed(const M& module) {
  std::ostringstream os;
  os << module;
  return os.str();
}

// libtorch's text with every "torch" spelled "tg" (torch::nn::Linear, torch_models::ConvNetImpl).
std::string as_tg(std::string s) {
  for (size_t at = s.find("torch"); at != std::string::npos; at = s.find("torch", at + 2)) s.replace(at, 5, "tg");
  return s;
}

template <class Dict>
std::vector<std::vector<int64_t>> shapes_of(const Dict& dict) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& item : dict) out.push_back(item.value().sizes().vec());
  return out;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    std::string s = e.what();
    return s.substr(0, s.find("\nException raised from"));
  }
  return "(no error)";
}

}  // namespace

TEST(NnTorchParity, SameNamesShapesCountsAndStructure) {
  torch_models::ConvNet theirs;
  tg_models::ConvNet ours;
  EXPECT_EQ(ours->named_parameters().keys(), theirs->named_parameters().keys());
  EXPECT_EQ(ours->named_parameters().keys(),
            (std::vector<std::string>{"gain", "features.0.weight", "features.0.bias", "features.3.weight",
                                      "features.3.bias", "norm.weight", "norm.bias", "head.fc.weight", "head.fc.bias",
                                      "head.out.weight"}));
  EXPECT_EQ(shapes_of(ours->named_parameters()), shapes_of(theirs->named_parameters()));
  EXPECT_EQ(ours->parameters(false).size(), theirs->parameters(false).size());
  EXPECT_EQ(ours->named_buffers().keys(), theirs->named_buffers().keys());
  EXPECT_EQ(ours->named_children().keys(), theirs->named_children().keys());
  EXPECT_EQ(ours->named_modules().keys(), theirs->named_modules().keys());
  EXPECT_EQ(ours->modules(false).size(), theirs->modules(false).size());
  for (const auto& p : ours->named_parameters())
    EXPECT_EQ(p.value().requires_grad(), theirs->named_parameters()[p.key()].requires_grad()) << p.key();
  EXPECT_EQ(as_tg(theirs->name()), ours->name());
  EXPECT_EQ(as_tg(printed(*theirs)), printed(*ours));

  torch_models::EmbedNet theirs_emb;
  tg_models::EmbedNet ours_emb;
  EXPECT_EQ(ours_emb->named_parameters().keys(), theirs_emb->named_parameters().keys());
  EXPECT_EQ(shapes_of(ours_emb->named_parameters()), shapes_of(theirs_emb->named_parameters()));
  EXPECT_EQ(as_tg(printed(theirs_emb)), printed(ours_emb));
}

TEST(NnTorchParity, DefaultInitialisationHasTheSameBoundsAndConstants) {
  torch_models::ConvNet theirs;
  tg_models::ConvNet ours;
  auto our_params = ours->named_parameters();
  for (const auto& p : theirs->named_parameters()) {
    const std::string& key = p.key();
    const tg::Tensor& mine = our_params[key];
    if (key == "gain" || key == "norm.weight" || key == "norm.bias") {
      // Constants: ones and zeros in both.
      EXPECT_LT(max_abs_diff(mine, p.value()), 1e-12) << key;
      continue;
    }
    // Weights and biases of Linear/Conv2d: within 1/sqrt(fan_in) of their layer's weight.
    const std::string weight_key = key.substr(0, key.rfind('.')) + ".weight";
    const auto fan_in = std::get<0>(torch::nn::init::_calculate_fan_in_and_fan_out(theirs->named_parameters()[weight_key]));
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in)) + 1e-7;
    EXPECT_EQ(std::get<0>(tg::nn::init::_calculate_fan_in_and_fan_out(our_params[weight_key])), fan_in) << key;
    EXPECT_LE(p.value().abs().max().item<double>(), bound) << key;
    EXPECT_LE(mine.abs().max().item<double>(), bound) << key;
    EXPECT_GT(mine.abs().max().item<double>(), 0.0) << key;
  }
  torch_models::EmbedNet theirs_emb;
  tg_models::EmbedNet ours_emb;
  EXPECT_EQ(theirs_emb->emb->weight[0].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(ours_emb->emb->weight[0].abs().sum().item<float>(), 0.0f);
}

TEST(NnTorchParity, SameOutputsAndGradientsWithCopiedWeights) {
  torch::manual_seed(0);
  torch_models::ConvNet theirs;
  tg_models::ConvNet ours;
  copy_state(*theirs, *ours);
  theirs->eval();
  ours->eval();
  torch::Tensor x = torch::randn({2, 1, 8, 8});
  torch::Tensor their_out = theirs->forward(x);
  tg::Tensor our_out = ours->forward(to_tg(x));
  EXPECT_EQ(our_out.sizes().vec(), (std::vector<int64_t>{2, 3}));
  EXPECT_LT(max_abs_diff(our_out, their_out), 1e-6);

  their_out.pow(2).sum().backward();
  our_out.pow(2).sum().backward();
  for (const auto& p : theirs->named_parameters())
    EXPECT_LT(max_abs_diff(ours->named_parameters()[p.key()].grad(), p.value().grad()), 1e-5) << p.key();

  // Training mode: Dropout is active in both (different masks, same survivor scale).
  theirs->train();
  ours->train();
  EXPECT_TRUE(ours->head[2]->is_training());
  EXPECT_EQ(theirs->head[2]->is_training(), ours->head[2]->is_training());
}

TEST(NnTorchParity, EmbeddingModelGivesTheSameOutputs) {
  torch::manual_seed(1);
  torch_models::EmbedNet theirs;
  tg_models::EmbedNet ours;
  copy_state(*theirs, *ours);
  torch::Tensor idx = torch::tensor({{1, 0, 9}, {3, 3, 0}}, torch::kLong);
  torch::Tensor their_out = theirs->forward(idx);
  tg::Tensor our_out = ours->forward(to_tg(idx));
  EXPECT_LT(max_abs_diff(our_out, their_out), 1e-6);
  their_out.sum().backward();
  our_out.sum().backward();
  EXPECT_LT(max_abs_diff(ours->emb->weight.grad(), theirs->emb->weight.grad()), 1e-6);
}

TEST(NnTorchParity, ManualSgdFollowsTheSameLosses) {
  std::vector<float> xs, ys;
  for (int i = 0; i < 16; ++i) {
    const float a = -1 + 2.0f * static_cast<float>(i % 4) / 3, b = -1 + 2.0f * static_cast<float>(i / 4) / 3;
    xs.insert(xs.end(), {a, b});
    ys.push_back(0.5f * a - 0.8f * b + 0.2f);
  }
  torch::Tensor X = torch::tensor(xs).reshape({16, 2}), Y = torch::tensor(ys).reshape({16, 1});
  tg::Tensor tX = to_tg(X), tY = to_tg(Y);
  torch::manual_seed(2);
  torch::nn::Sequential theirs = torch_models::make_mlp();
  tg::nn::Sequential ours = tg_models::make_mlp();
  copy_state(*theirs, *ours);
  for (int step = 0; step < 10; ++step) {
    torch::Tensor their_loss = (theirs->forward(X) - Y).pow(2).mean();
    tg::Tensor our_loss = (ours->forward(tX) - tY).pow(2).mean();
    EXPECT_NEAR(our_loss.item<double>(), their_loss.item<double>(), 1e-6) << "step " << step;
    theirs->zero_grad();
    ours->zero_grad();
    their_loss.backward();
    our_loss.backward();
    torch::NoGradGuard their_guard;
    tg::autograd::NoGradGuard our_guard;
    for (auto& p : theirs->parameters()) p -= 0.1 * p.grad();
    for (auto& p : ours->parameters()) p -= 0.1 * p.grad();
  }
}

// The training issue's CNN (conv 32 - pool - conv 64 - pool - 128 - 10) with Adam
// lr 1e-3 on batches of 64, from libtorch's initial weights: both libraries follow
// the same losses step after step, so a gap in final accuracy between them is the
// luck of the initial weights, not a difference in the arithmetic.
TEST(NnTorchParity, CnnWithAdamFollowsTheSameLosses) {
  torch::manual_seed(5);
  torch::nn::Sequential theirs = torch_models::make_cnn();
  tg::nn::Sequential ours = tg_models::make_cnn();
  copy_state(*theirs, *ours);
  torch::optim::Adam their_adam(theirs->parameters(), torch::optim::AdamOptions(1e-3));
  tg::optim::Adam our_adam(ours->parameters(), tg::optim::AdamOptions(1e-3));
  // Image-like inputs: pixels k / 255, a quarter of them zero.
  // Ten steps: from about the thirteenth on, Adam's division by the root of tiny
  // second moments amplifies the last-bit differences of the two libraries' sums
  // (their GEMMs add in different orders) and the trajectories part chaotically.
  const int kSteps = 10;
  double first = 0, last = 0;
  for (int step = 0; step < kSteps; ++step) {
    torch::Tensor x = (torch::randint(0, 256, {64, 1, 28, 28}) * (torch::rand({64, 1, 28, 28}) > 0.25)).to(torch::kFloat) / 255;
    torch::Tensor y = torch::randint(0, 10, {64});
    torch::Tensor their_loss = torch::nn::functional::cross_entropy(theirs->forward(x), y);
    tg::Tensor our_loss = tg::nn::functional::cross_entropy(ours->forward(to_tg(x)), to_tg(y));
    const double theirs_value = their_loss.item<double>();
    EXPECT_NEAR(our_loss.item<double>(), theirs_value, 2e-6 * theirs_value) << "step " << step;
    (step == 0 ? first : last) = theirs_value;
    their_adam.zero_grad();
    our_adam.zero_grad();
    their_loss.backward();
    our_loss.backward();
    their_adam.step();
    our_adam.step();
  }
  EXPECT_LT(last, first);  // it trains: random labels are learnt a little
  // Parameters agree within one step's size only: Adam moves a parameter by about
  // lr * sign(gradient) at first, so one whose gradient is zero but for the last bit
  // can step either way.
  auto their_params = theirs->parameters();
  auto our_params = ours->parameters();
  for (size_t i = 0; i < their_params.size(); ++i)
    EXPECT_LT(max_abs_diff(our_params[i], their_params[i]), 1e-3) << "parameter " << i;
}

TEST(NnTorchParity, SameErrorMessages) {
  auto theirs = torch_models::misuses();
  auto ours = tg_models::misuses();
  ASSERT_EQ(theirs.size(), ours.size());
  for (size_t i = 0; i < theirs.size(); ++i) {
    EXPECT_EQ(error_of(ours[i]), as_tg(error_of(theirs[i]))) << "misuse " << i;
  }
}
