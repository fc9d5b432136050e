// tg::optim against libtorch 1.13's torch::optim: ten steps of every optimizer
// and option combination on a small linear least-squares problem, comparing the
// parameters after each step.
//
// Both optimizers are fed the same gradients (libtorch's, computed at libtorch's
// parameters), so what is compared is the update alone: the parameters must
// agree to float32 rounding (1e-6 relative), and on CPUs with AVX2 and FMA they
// agree bit for bit (Note [Optimizer rounding] in src/optim/fused_update.h). A second set of tests
// lets each library compute its own gradients (its own matmul and reductions),
// with a tolerance that allows for their different summation orders.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensorgrad/ops.h"
#include "tensorgrad/optim.h"

namespace {

constexpr int64_t kBatch = 16, kIn = 7, kOut = 5;  // W has 35 elements: vector body and scalar tail

// libtorch runs its AVX2 kernels, whose multiply-adds are fused as ours are
// (Note [Optimizer rounding]); on other CPUs only the 1e-6 tolerance holds.
bool bit_exact_expected() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

// Deterministic, irregular values in about [-1, 1].
std::vector<double> wave(int64_t n, double phase) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::sin(0.7 * static_cast<double>(i) + phase) * 0.9;
  return v;
}

torch::Tensor to_torch(const std::vector<double>& v, std::vector<int64_t> shape, torch::ScalarType dtype) {
  return torch::tensor(v, torch::kDouble).reshape(shape).to(dtype);
}

tg::Tensor to_tg(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous();
  tg::ScalarType dtype = c.scalar_type() == torch::kFloat ? tg::kFloat : tg::kDouble;
  tg::Tensor out = tg::empty(c.sizes().vec(), dtype);
  std::memcpy(out.data_ptr(), c.data_ptr(), c.nbytes());
  return out;
}

// Largest |a - b| / max(|b|, 1e-3) over the elements; the same relative to the
// largest |b| (norm-wise); how many elements differ at all.
struct Diff {
  double rel = 0;
  double normwise = 0;
  int64_t differing = 0;
};

Diff compare(const tg::Tensor& a, const torch::Tensor& b) {
  tg::Tensor ad = a.detach().to(tg::kDouble).contiguous();
  torch::Tensor bd = b.detach().to(torch::kDouble).contiguous();
  EXPECT_EQ(ad.numel(), bd.numel());
  Diff d;
  double largest = 0;
  for (int64_t i = 0; i < ad.numel(); ++i) {
    double x = ad.data_ptr<double>()[i], y = bd.data_ptr<double>()[i];
    d.rel = std::max(d.rel, std::abs(x - y) / std::max(std::abs(y), 1e-3));
    d.normwise = std::max(d.normwise, std::abs(x - y));
    largest = std::max(largest, std::abs(y));
    if (x != y) ++d.differing;
  }
  d.normwise /= std::max(largest, 1e-30);
  return d;
}

using TorchFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;
using TgFactory = std::function<std::unique_ptr<tg::optim::Optimizer>(std::vector<tg::Tensor>)>;

struct Case {
  std::string name;
  TorchFactory make_torch;
  TgFactory make_tg;
};

// Builds the same optimizer in both libraries from one description of options.
#define TG_CASE(name, Opt, options)                                                            \
  Case {                                                                                       \
    name, [](std::vector<torch::Tensor> p) -> std::unique_ptr<torch::optim::Optimizer> {       \
      using namespace torch::optim;                                                            \
      return std::make_unique<Opt>(std::move(p), options);                                     \
    },                                                                                         \
        [](std::vector<tg::Tensor> p) -> std::unique_ptr<tg::optim::Optimizer> {               \
          using namespace tg::optim;                                                           \
          return std::make_unique<Opt>(std::move(p), options);                                 \
        }                                                                                      \
  }

std::vector<Case> cases() {
  return {
      TG_CASE("SGD", SGD, SGDOptions(0.1)),
      TG_CASE("SGD_Momentum", SGD, SGDOptions(0.1).momentum(0.9)),
      TG_CASE("SGD_MomentumDampening", SGD, SGDOptions(0.1).momentum(0.9).dampening(0.3)),
      TG_CASE("SGD_Nesterov", SGD, SGDOptions(0.05).momentum(0.8).nesterov(true)),
      TG_CASE("SGD_WeightDecay", SGD, SGDOptions(0.1).weight_decay(0.05)),
      TG_CASE("SGD_MomentumDampeningWeightDecay", SGD,
              SGDOptions(0.1).momentum(0.7).dampening(0.2).weight_decay(0.03)),
      TG_CASE("SGD_NesterovWeightDecay", SGD, SGDOptions(0.07).momentum(0.9).nesterov(true).weight_decay(0.01)),
      TG_CASE("Adam", Adam, AdamOptions(0.01)),
      TG_CASE("Adam_Defaults", Adam, AdamOptions()),
      TG_CASE("Adam_WeightDecay", Adam, AdamOptions(0.02).weight_decay(0.1)),
      TG_CASE("Adam_Amsgrad", Adam, AdamOptions(0.02).amsgrad(true)),
      TG_CASE("Adam_AmsgradWeightDecay", Adam, AdamOptions(0.02).amsgrad(true).weight_decay(0.05)),
      TG_CASE("Adam_BetasEps", Adam, AdamOptions(0.03).betas(std::make_tuple(0.8, 0.99)).eps(1e-3)),
      TG_CASE("AdamW", AdamW, AdamWOptions(0.01)),
      TG_CASE("AdamW_NoWeightDecay", AdamW, AdamWOptions(0.01).weight_decay(0)),
      TG_CASE("AdamW_StrongDecay", AdamW, AdamWOptions(0.02).weight_decay(0.5)),
      TG_CASE("AdamW_Amsgrad", AdamW, AdamWOptions(0.02).amsgrad(true).weight_decay(0.1)),
      TG_CASE("AdamW_BetasEps", AdamW, AdamWOptions(0.03).betas(std::make_tuple(0.85, 0.95)).eps(1e-4)),
      TG_CASE("RMSprop", RMSprop, RMSpropOptions(0.01)),
      TG_CASE("RMSprop_Alpha", RMSprop, RMSpropOptions(0.005).alpha(0.9).eps(1e-4)),
      TG_CASE("RMSprop_Centered", RMSprop, RMSpropOptions(0.005).centered(true)),
      TG_CASE("RMSprop_Momentum", RMSprop, RMSpropOptions(0.002).momentum(0.9)),
      TG_CASE("RMSprop_CenteredMomentum", RMSprop, RMSpropOptions(0.002).centered(true).momentum(0.5)),
      TG_CASE("RMSprop_WeightDecay", RMSprop, RMSpropOptions(0.01).weight_decay(0.1)),
      TG_CASE("RMSprop_All", RMSprop,
              RMSpropOptions(0.003).alpha(0.95).eps(1e-6).weight_decay(0.02).momentum(0.6).centered(true)),
  };
}

// The problem: W (5x7) and b (5) fitting y = x·Wᵀ + b in mean squared error.
struct TorchModel {
  torch::Tensor x, y, w, b;
  explicit TorchModel(torch::ScalarType dtype)
      : x(to_torch(wave(kBatch * kIn, 0.3), {kBatch, kIn}, dtype)),
        y(to_torch(wave(kBatch * kOut, 1.1), {kBatch, kOut}, dtype)),
        w(to_torch(wave(kOut * kIn, 2.0), {kOut, kIn}, dtype).mul(0.5).requires_grad_()),
        b(to_torch(wave(kOut, 0.5), {kOut}, dtype).requires_grad_()) {}
  torch::Tensor loss() const { return (torch::addmm(b, x, w.t()) - y).pow(2).mean(); }
};

struct TgModel {
  tg::Tensor x, y, w, b;
  explicit TgModel(const TorchModel& m)
      : x(to_tg(m.x)), y(to_tg(m.y)), w(to_tg(m.w).requires_grad_()), b(to_tg(m.b).requires_grad_()) {}
  tg::Tensor loss() const { return (tg::matmul(x, w.t()) + b - y).pow(2).mean(); }
};

// Ten steps with the learning rate of every group changed after the fifth, as
// libtorch users do it (a cast of the group's options).
void run_shared_gradients(const Case& c, torch::ScalarType dtype, double tol) {
  TorchModel tm(dtype);
  TgModel gm(tm);
  auto topt = c.make_torch({tm.w, tm.b});
  auto gopt = c.make_tg({gm.w, gm.b});
  int64_t differing = 0;
  for (int step = 1; step <= 10; ++step) {
    if (step == 6) {
      topt->param_groups()[0].options().set_lr(topt->param_groups()[0].options().get_lr() * 0.5);
      gopt->param_groups()[0].options().set_lr(gopt->param_groups()[0].options().get_lr() * 0.5);
    }
    topt->zero_grad();
    tm.loss().backward();
    gm.w.mutable_grad() = to_tg(tm.w.grad());
    gm.b.mutable_grad() = to_tg(tm.b.grad());
    topt->step();
    gopt->step();
    for (auto [g, t] : {std::pair{gm.w, tm.w}, std::pair{gm.b, tm.b}}) {
      Diff d = compare(g, t);
      EXPECT_LE(d.rel, tol) << c.name << " step " << step;
      differing += d.differing;
    }
  }
  // Same gradients, same operations in the same order: no element differs.
  if (bit_exact_expected()) {
    EXPECT_EQ(differing, 0) << c.name << ": elements differing from libtorch over ten steps";
  }
}

// Every case runs in one test: each test is a process of its own under ctest,
// and loading libtorch dominates the time of one.
TEST(OptimTorchParity, Float32SharedGradients) {
  for (const Case& c : cases()) run_shared_gradients(c, torch::kFloat, 1e-6);
}

TEST(OptimTorchParity, Float64SharedGradients) {
  for (const Case& c : cases()) run_shared_gradients(c, torch::kDouble, 1e-14);
}

// Each library computes its own gradients: the trajectories may drift apart by
// the rounding of two different matmuls, so the difference is measured against
// the largest parameter (an element near zero may differ more relative to itself,
// e.g. where RMSprop divides a tiny gradient by its own magnitude). Which rounding
// each matmul has depends on the kernels oneDNN and OpenBLAS pick for the CPU: on
// AVX-512 machines RMSprop drifts to 2e-6 of the largest parameter in ten steps,
// so the bound is 1e-5 (about 80 float32 ulps of it).
void run_own_gradients(const Case& c) {
  TorchModel tm(torch::kFloat);
  TgModel gm(tm);
  auto topt = c.make_torch({tm.w, tm.b});
  auto gopt = c.make_tg({gm.w, gm.b});
  for (int step = 1; step <= 10; ++step) {
    topt->zero_grad();
    gopt->zero_grad();
    torch::Tensor tl = tm.loss();
    tl.backward();
    tg::Tensor gl = gm.loss();
    gl.backward();
    EXPECT_NEAR(gl.item<float>(), tl.item<float>(), 1e-5 * std::abs(tl.item<float>())) << c.name << " step " << step;
    topt->step();
    gopt->step();
    EXPECT_LE(compare(gm.w, tm.w).normwise, 1e-5) << c.name << " step " << step;
    EXPECT_LE(compare(gm.b, tm.b).normwise, 1e-5) << c.name << " step " << step;
  }
}

TEST(OptimTorchParity, Float32OwnGradients) {
  for (const Case& c : cases()) run_own_gradients(c);
}

// Two groups with their own options, one taking the defaults; a parameter
// without a gradient in the second group is left alone by both libraries.
TEST(OptimTorchGroups, SGDAndAdamWithTwoGroups) {
  for (int which = 0; which < 2; ++which) {
    TorchModel tm(torch::kFloat);
    TgModel gm(tm);
    torch::Tensor t_frozen = torch::ones({3}, torch::requires_grad());
    tg::Tensor g_frozen = tg::ones({3}, tg::requires_grad());
    std::unique_ptr<torch::optim::Optimizer> topt;
    std::unique_ptr<tg::optim::Optimizer> gopt;
    if (which == 0) {
      topt = std::make_unique<torch::optim::SGD>(
          std::vector<torch::optim::OptimizerParamGroup>{
              torch::optim::OptimizerParamGroup({tm.w}),
              torch::optim::OptimizerParamGroup(
                  {tm.b, t_frozen}, std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(0.3).momentum(0.5)))},
          torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
      gopt = std::make_unique<tg::optim::SGD>(
          std::vector<tg::optim::OptimizerParamGroup>{
              tg::optim::OptimizerParamGroup({gm.w}),
              tg::optim::OptimizerParamGroup(
                  {gm.b, g_frozen}, std::make_unique<tg::optim::SGDOptions>(tg::optim::SGDOptions(0.3).momentum(0.5)))},
          tg::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
    } else {
      topt = std::make_unique<torch::optim::Adam>(
          std::vector<torch::optim::OptimizerParamGroup>{
              torch::optim::OptimizerParamGroup({tm.w}),
              torch::optim::OptimizerParamGroup(
                  {tm.b, t_frozen}, std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(0.05).amsgrad(true)))},
          torch::optim::AdamOptions(0.01).weight_decay(0.1));
      gopt = std::make_unique<tg::optim::Adam>(
          std::vector<tg::optim::OptimizerParamGroup>{
              tg::optim::OptimizerParamGroup({gm.w}),
              tg::optim::OptimizerParamGroup(
                  {gm.b, g_frozen}, std::make_unique<tg::optim::AdamOptions>(tg::optim::AdamOptions(0.05).amsgrad(true)))},
          tg::optim::AdamOptions(0.01).weight_decay(0.1));
    }
    for (int step = 1; step <= 10; ++step) {
      topt->zero_grad();
      tm.loss().backward();
      gm.w.mutable_grad() = to_tg(tm.w.grad());
      gm.b.mutable_grad() = to_tg(tm.b.grad());
      topt->step();
      gopt->step();
      EXPECT_LE(compare(gm.w, tm.w).rel, 1e-6) << which << " step " << step;
      EXPECT_LE(compare(gm.b, tm.b).rel, 1e-6) << which << " step " << step;
      if (bit_exact_expected()) {
        EXPECT_EQ(compare(gm.w, tm.w).differing, 0) << which << " step " << step;
        EXPECT_EQ(compare(gm.b, tm.b).differing, 0) << which << " step " << step;
      }
    }
    EXPECT_EQ(compare(g_frozen, t_frozen).differing, 0);
    EXPECT_EQ(gopt->state().size(), topt->state().size());
  }
}

}  // namespace
