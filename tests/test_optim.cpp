// tg::optim: SGD, Adam, AdamW and RMSprop on one- or two-element problems,
// against values derived by hand from the update rules (arithmetic in the
// comments; float64 parameters so the values hold to 1e-12), and the optimizer
// API: parameter groups, learning-rate changes, zero_grad, state, errors.
#include "support/test_support.h"

using namespace tg;
namespace optim = tg::optim;

namespace {

constexpr double kTol = 1e-12;

Tensor param(std::vector<double> v) { return tensor(v, kDouble).requires_grad_(); }

// One step of `opt` with the gradient of p set to g.
void step_with(optim::Optimizer& opt, Tensor& p, std::vector<double> g) {
  p.mutable_grad() = tensor(g, kDouble);
  opt.step();
}

}  // namespace

// ---- SGD ---------------------------------------------------------------------------------

TEST(OptimSGD, PlainStepsAlongTheGradient) {
  Tensor p = param({1, -2});
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  step_with(opt, p, {0.5, 1});  // p = [1 − 0.1·0.5, −2 − 0.1·1] = [0.95, −2.1]
  EXPECT_TENSOR(p, {2}, {0.95, -2.1}, kTol);
  step_with(opt, p, {1, -1});  // p = [0.95 − 0.1, −2.1 + 0.1] = [0.85, −2.0]
  EXPECT_TENSOR(p, {2}, {0.85, -2.0}, kTol);
  EXPECT_TRUE(opt.state().empty());  // no momentum, no state
}

TEST(OptimSGD, MomentumBufferStartsAsTheGradientWithoutDampening) {
  Tensor p = param({1});
  optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9).dampening(0.5));
  // g = 1 on every step.
  step_with(opt, p, {1});  // b = g = 1 (no dampening on the first step); p = 1 − 0.1·1 = 0.9
  EXPECT_TENSOR(p, {1}, {0.9}, kTol);
  step_with(opt, p, {1});  // b = 0.9·1 + (1 − 0.5)·1 = 1.4; p = 0.9 − 0.14 = 0.76
  EXPECT_TENSOR(p, {1}, {0.76}, kTol);
  step_with(opt, p, {1});  // b = 0.9·1.4 + 0.5 = 1.76; p = 0.76 − 0.176 = 0.584
  EXPECT_TENSOR(p, {1}, {0.584}, kTol);
  auto& state = static_cast<optim::SGDParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
  EXPECT_TENSOR(state.momentum_buffer(), {1}, {1.76}, kTol);
}

TEST(OptimSGD, Nesterov) {
  Tensor p = param({1});
  optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
  step_with(opt, p, {1});  // b = 1; d = g + 0.9·b = 1.9; p = 1 − 0.19 = 0.81
  EXPECT_TENSOR(p, {1}, {0.81}, kTol);
  step_with(opt, p, {1});  // b = 0.9 + 1 = 1.9; d = 1 + 1.71 = 2.71; p = 0.81 − 0.271 = 0.539
  EXPECT_TENSOR(p, {1}, {0.539}, kTol);
  step_with(opt, p, {1});  // b = 1.71 + 1 = 2.71; d = 1 + 2.439 = 3.439; p = 0.539 − 0.3439 = 0.1951
  EXPECT_TENSOR(p, {1}, {0.1951}, kTol);
}

TEST(OptimSGD, WeightDecayIsAddedToTheGradientBeforeMomentum) {
  Tensor p = param({2});
  optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.5).weight_decay(0.5));
  step_with(opt, p, {1});  // d = 1 + 0.5·2 = 2; b = 2; p = 2 − 0.2 = 1.8
  EXPECT_TENSOR(p, {1}, {1.8}, kTol);
  step_with(opt, p, {1});  // d = 1 + 0.9 = 1.9; b = 0.5·2 + 1.9 = 2.9; p = 1.8 − 0.29 = 1.51
  EXPECT_TENSOR(p, {1}, {1.51}, kTol);
  step_with(opt, p, {1});  // d = 1 + 0.755 = 1.755; b = 1.45 + 1.755 = 3.205; p = 1.51 − 0.3205 = 1.1895
  EXPECT_TENSOR(p, {1}, {1.1895}, kTol);
}

TEST(OptimSGD, TrainsAQuadraticThroughBackward) {
  // loss = (p − 3)², dloss/dp = 2(p − 3); lr 0.1.
  Tensor p = param({0});
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  auto closure = [&] {
    opt.zero_grad();
    Tensor loss = (p - 3).pow(2).sum();
    loss.backward();
    return loss;
  };
  Tensor loss = opt.step(closure);  // loss = 9, g = −6, p = 0 + 0.6 = 0.6
  EXPECT_TENSOR(loss, {}, {9}, kTol);
  EXPECT_TENSOR(p, {1}, {0.6}, kTol);
  loss = opt.step(closure);  // loss = 2.4² = 5.76, g = −4.8, p = 0.6 + 0.48 = 1.08
  EXPECT_TENSOR(loss, {}, {5.76}, kTol);
  EXPECT_TENSOR(p, {1}, {1.08}, kTol);
}

// ---- Adam and AdamW ----------------------------------------------------------------------

TEST(OptimAdam, BiasCorrectedMoments) {
  // lr 0.1, β = (0.9, 0.999), ε = 1e−8; g = 1, 3, −2.
  Tensor p = param({1});
  optim::Adam opt({p}, optim::AdamOptions(0.1));
  // t=1: m = 0.1, v = 0.001, bc1 = 0.1, bc2 = 0.001;
  //      p = 1 − (0.1/0.1)·0.1/(√0.001/√0.001 + ε) = 1 − 0.1/(1 + 1e−8) = 0.900000001
  step_with(opt, p, {1});
  EXPECT_TENSOR(p, {1}, {0.900000001}, kTol);
  // t=2: m = 0.09 + 0.3 = 0.39, v = 0.000999 + 0.009 = 0.009999, bc1 = 0.19, bc2 = 0.001999;
  //      p = 0.900000001 − (0.1/0.19)·0.39/(√0.009999/√0.001999 + ε) = 0.8082218895123323
  step_with(opt, p, {3});
  EXPECT_TENSOR(p, {1}, {0.8082218895123323}, kTol);
  // t=3: m = 0.351 − 0.2 = 0.151, v = 0.009989001 + 0.004 = 0.013989001, bc1 = 0.271,
  //      bc2 = 0.002997001; p = 0.80822… − (0.1/0.271)·0.151/(√0.013989001/√0.002997001 + ε)
  //      = 0.7824315091221741
  step_with(opt, p, {-2});
  EXPECT_TENSOR(p, {1}, {0.7824315091221741}, kTol);
  auto& state = static_cast<optim::AdamParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
  EXPECT_EQ(state.step(), 3);
  EXPECT_TENSOR(state.exp_avg(), {1}, {0.151}, kTol);
  EXPECT_TENSOR(state.exp_avg_sq(), {1}, {0.013989001}, kTol);
  EXPECT_FALSE(state.max_exp_avg_sq().defined());
}

TEST(OptimAdam, AmsgradNormalisesByTheLargestSecondMoment) {
  // lr 0.1, g = 3, 0, 0: v falls after the first step (0.009, 0.008991, 0.008982009),
  // so AMSGrad keeps dividing by √0.009.
  Tensor p = param({1}), q = param({1});
  optim::Adam ams({p}, optim::AdamOptions(0.1).amsgrad(true));
  optim::Adam plain({q}, optim::AdamOptions(0.1));
  // t=1 (both): m = 0.3, v = 0.009; p = 1 − 1·0.3/(√0.009/√0.001 + ε) = 1 − 0.3/(3 + 1e−8)
  //           = 0.9000000003333333
  step_with(ams, p, {3});
  step_with(plain, q, {3});
  EXPECT_TENSOR(p, {1}, {0.9000000003333333}, kTol);
  EXPECT_TENSOR(q, {1}, {0.9000000003333333}, kTol);
  // t=2: m = 0.27, v = 0.008991, v̂ = max(0.009, 0.008991) = 0.009, bc1 = 0.19, bc2 = 0.001999;
  //      AMSGrad: p −= (0.1/0.19)·0.27/(√0.009/√0.001999 + ε)   → 0.8330276865279365
  //      Adam:    p −= (0.1/0.19)·0.27/(√0.008991/√0.001999 + ε) → 0.8329941752356269
  step_with(ams, p, {0});
  step_with(plain, q, {0});
  EXPECT_TENSOR(p, {1}, {0.8330276865279365}, kTol);
  EXPECT_TENSOR(q, {1}, {0.8329941752356269}, kTol);
  // t=3: m = 0.243, bc1 = 0.271, bc2 = 0.002997001; v̂ = 0.009 vs v = 0.008982009
  //      → 0.7812837852752509 and 0.7811984782862909
  step_with(ams, p, {0});
  step_with(plain, q, {0});
  EXPECT_TENSOR(p, {1}, {0.7812837852752509}, kTol);
  EXPECT_TENSOR(q, {1}, {0.7811984782862909}, kTol);
  auto& state = static_cast<optim::AdamParamState&>(*ams.state().at(p.unsafeGetTensorImpl()));
  EXPECT_TENSOR(state.max_exp_avg_sq(), {1}, {0.009}, kTol);
}

TEST(OptimAdam, WeightDecayIsAddedToTheGradient) {
  // lr 0.1, wd 0.5, g = 1: the decayed gradient is g + 0.5·p.
  Tensor p = param({1});
  optim::Adam opt({p}, optim::AdamOptions(0.1).weight_decay(0.5));
  // t=1: g' = 1.5, m = 0.15, v = 0.00225; p = 1 − 0.15/(0.1·(1.5 + 1e−8)) = 0.9000000006666666
  step_with(opt, p, {1});
  EXPECT_TENSOR(p, {1}, {0.9000000006666666}, kTol);
  // t=2: g' = 1 + 0.45000000033 = 1.45000000033, m = 0.28000000003, v = 0.0043502500009667;
  //      p −= (0.1/0.19)·m/(√v/√0.001999 + ε) → 0.8001027084220775
  step_with(opt, p, {1});
  EXPECT_TENSOR(p, {1}, {0.8001027084220775}, kTol);
  step_with(opt, p, {1});  // t=3 likewise → 0.7003815249719783
  EXPECT_TENSOR(p, {1}, {0.7003815249719783}, kTol);
}

TEST(OptimAdamW, DecoupledWeightDecayShrinksTheParameter) {
  // lr 0.1, wd 0.5, g = 1: p ← p·(1 − 0.05), then Adam's step of ≈ 0.1 (m̂ = v̂ = 1).
  Tensor p = param({1});
  optim::AdamW opt({p}, optim::AdamWOptions(0.1).weight_decay(0.5));
  step_with(opt, p, {1});  // p = 0.95 − 0.1/(1 + 1e−8) = 0.850000001
  EXPECT_TENSOR(p, {1}, {0.850000001}, kTol);
  step_with(opt, p, {1});  // p = 0.850000001·0.95 − 0.1/(1 + 1e−8) = 0.7075000019500006
  EXPECT_TENSOR(p, {1}, {0.7075000019500006}, kTol);
  step_with(opt, p, {1});  // p = 0.70750000195·0.95 − 0.1/(1 + 1e−8) = 0.5721250028525007
  EXPECT_TENSOR(p, {1}, {0.5721250028525007}, kTol);
  // The moments see the raw gradient: m = 1 − 0.9³ = 0.271, v = 1 − 0.999³ = 0.002997001.
  auto& state = static_cast<optim::AdamWParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
  EXPECT_TENSOR(state.exp_avg(), {1}, {0.271}, kTol);
  EXPECT_TENSOR(state.exp_avg_sq(), {1}, {0.002997001}, kTol);
}

// ---- RMSprop -----------------------------------------------------------------------------

TEST(OptimRMSprop, DividesByTheRootMeanSquare) {
  // lr 0.01, α 0.99, ε 1e−8; g = 1, 2, −1.
  Tensor p = param({1});
  optim::RMSprop opt({p}, optim::RMSpropOptions());
  step_with(opt, p, {1});  // s = 0.01; p = 1 − 0.01·1/(0.1 + 1e−8) = 0.9000000099999991
  EXPECT_TENSOR(p, {1}, {0.9000000099999991}, kTol);
  step_with(opt, p, {2});  // s = 0.0099 + 0.04 = 0.0499; p −= 0.01·2/(√0.0499 + ε) → 0.8104677178008459
  EXPECT_TENSOR(p, {1}, {0.8104677178008459}, kTol);
  step_with(opt, p, {-1});  // s = 0.049401 + 0.01 = 0.059401; p += 0.01/(√0.059401 + ε) → 0.8514978677402905
  EXPECT_TENSOR(p, {1}, {0.8514978677402905}, kTol);
}

TEST(OptimRMSprop, CenteredWithMomentum) {
  // lr 0.1, α 0.9, momentum 0.5; g = 1, 3, −1.
  Tensor p = param({1});
  optim::RMSprop opt({p}, optim::RMSpropOptions(0.1).alpha(0.9).momentum(0.5).centered(true));
  // t=1: s = 0.1, a = 0.1, d = √(0.1 − 0.01) + ε = 0.3 + ε, b = 1/d, p = 1 − 0.1/(0.3 + ε) = 0.6666666777777774
  step_with(opt, p, {1});
  EXPECT_TENSOR(p, {1}, {0.6666666777777774}, kTol);
  // t=2: s = 0.09 + 0.9 = 0.99, a = 0.09 + 0.3 = 0.39, d = √(0.99 − 0.1521) + ε = √0.8379 + ε,
  //      b = 0.5·b₁ + 3/d, p −= 0.1·b → 0.17226325757481453
  step_with(opt, p, {3});
  EXPECT_TENSOR(p, {1}, {0.17226325757481453}, kTol);
  // t=3: s = 0.891 + 0.1 = 0.991, a = 0.351 − 0.1 = 0.251, d = √(0.991 − 0.063001) + ε,
  //      b = 0.5·b₂ − 1/d → 0.028868452143380657
  step_with(opt, p, {-1});
  EXPECT_TENSOR(p, {1}, {0.028868452143380657}, kTol);
  auto& state = static_cast<optim::RMSpropParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
  EXPECT_EQ(state.step(), 3);
  EXPECT_TENSOR(state.square_avg(), {1}, {0.991}, kTol);
  EXPECT_TENSOR(state.grad_avg(), {1}, {0.251}, kTol);
}

TEST(OptimRMSprop, WeightDecayIsAddedToTheGradient) {
  // lr 0.01, wd 0.5, g = 1 → g' = 1 + 0.5·p.
  Tensor p = param({2});
  optim::RMSprop opt({p}, optim::RMSpropOptions().weight_decay(0.5));
  step_with(opt, p, {1});  // g' = 2, s = 0.04, p = 2 − 0.01·2/(0.2 + ε) = 1.9000000049999999
  EXPECT_TENSOR(p, {1}, {1.9000000049999999}, kTol);
  step_with(opt, p, {1});  // g' = 1.95…, s = 0.0396 + 0.01·g'² → 1.83001036019874
  EXPECT_TENSOR(p, {1}, {1.83001036019874}, kTol);
  step_with(opt, p, {1});  // → 1.7731733196646349
  EXPECT_TENSOR(p, {1}, {1.7731733196646349}, kTol);
}

// ---- dtypes and layouts ------------------------------------------------------------------

TEST(Optim, Float32Parameters) {
  Tensor p = tensor({1.0f, -2.0f}).requires_grad_();
  optim::SGD sgd({p}, optim::SGDOptions(0.5));
  p.mutable_grad() = tensor({0.5f, 1.0f});
  sgd.step();  // [1 − 0.25, −2 − 0.5], exact in float32
  EXPECT_EQ(p.dtype(), kFloat);
  EXPECT_TENSOR(p, {2}, {0.75, -2.5}, 0);

  Tensor q = tensor({1.0f}).requires_grad_();
  optim::Adam adam({q}, optim::AdamOptions(0.1));
  q.mutable_grad() = tensor({1.0f});
  adam.step();  // 1 − 0.1/(1 + 1e−8), rounded to float32: 0.9
  EXPECT_EQ(q.dtype(), kFloat);
  EXPECT_TENSOR(q, {1}, {0.9}, 1e-7);
}

TEST(Optim, GradientOfAnotherDtypeIsConverted) {
  Tensor p = param({1});
  optim::SGD opt({p}, optim::SGDOptions(0.5));
  p.mutable_grad() = tensor({1.0f});
  opt.step();
  EXPECT_TENSOR(p, {1}, {0.5}, kTol);
}

TEST(Optim, NonContiguousParameterIsUpdatedInPlace) {
  Tensor base = tensor({{1.0, 2.0}, {3.0, 4.0}}, kDouble);
  Tensor p = base.t().detach().requires_grad_();  // a leaf viewing base transposed
  ASSERT_FALSE(p.is_contiguous());
  optim::SGD opt({p}, optim::SGDOptions(0.5).momentum(0.9));
  p.mutable_grad() = tensor({{1.0, 2.0}, {3.0, 4.0}}, kDouble);
  opt.step();  // p = pᵀ-values − 0.5·g: [[1 − 0.5, 3 − 1], [2 − 1.5, 4 − 2]]
  EXPECT_TENSOR(p.flatten(), {4}, {0.5, 2.0, 0.5, 2.0}, kTol);
  EXPECT_TENSOR(base.flatten(), {4}, {0.5, 0.5, 2.0, 2.0}, kTol);
}

// ---- the optimizer API -------------------------------------------------------------------

TEST(Optim, StepBumpsTheVersionOfUpdatedParametersOnly) {
  Tensor p = param({1}), frozen = param({5});
  optim::Adam opt({p, frozen}, optim::AdamOptions(0.1));
  const auto v_p = p._version(), v_frozen = frozen._version();
  step_with(opt, p, {1});
  EXPECT_EQ(p._version(), v_p + 1);
  EXPECT_EQ(frozen._version(), v_frozen);
  EXPECT_TENSOR(frozen, {1}, {5}, 0);  // no gradient: skipped, no state made
  EXPECT_EQ(opt.state().size(), 1u);
  EXPECT_EQ(opt.state().count(frozen.unsafeGetTensorImpl()), 0u);
}

TEST(Optim, ZeroGradZeroesDefinedGradientsKeepingTheTensor) {
  Tensor p = param({1, 2}), q = param({3});
  optim::SGD opt({p, q}, optim::SGDOptions(0.1));
  (p * p).sum().backward();
  const Tensor g = p.grad();
  opt.zero_grad();
  ASSERT_TRUE(p.grad().defined());  // libtorch 1.13: zeroed, not set to none
  EXPECT_TRUE(p.grad().is_same(g));
  EXPECT_TENSOR(p.grad(), {2}, {0, 0}, 0);
  EXPECT_FALSE(q.grad().defined());
  (p * p).sum().backward();  // accumulates into the zeroed gradient
  EXPECT_TENSOR(p.grad(), {2}, {2, 4}, 0);
}

TEST(Optim, LearningRateChangesThroughParamGroups) {
  Tensor p = param({1});
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  step_with(opt, p, {1});  // 1 − 0.1 = 0.9
  static_cast<optim::SGDOptions&>(opt.param_groups()[0].options()).lr(0.01);
  step_with(opt, p, {1});  // 0.9 − 0.01 = 0.89
  EXPECT_TENSOR(p, {1}, {0.89}, kTol);
  opt.param_groups()[0].options().set_lr(0.5);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].options().get_lr(), 0.5);
  step_with(opt, p, {1});  // 0.89 − 0.5 = 0.39
  EXPECT_TENSOR(p, {1}, {0.39}, kTol);
  EXPECT_DOUBLE_EQ(static_cast<optim::SGDOptions&>(opt.defaults()).lr(), 0.1);  // defaults untouched
}

TEST(Optim, ParamGroupsHaveTheirOwnOptions) {
  Tensor a = param({1}), b = param({1}), c = param({1});
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});  // takes the defaults (lr 0.1)
  groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.5)));
  optim::SGD opt(groups, optim::SGDOptions(0.1));
  opt.add_param_group(optim::OptimizerParamGroup({c}, std::make_unique<optim::SGDOptions>(0.25)));
  ASSERT_EQ(opt.param_groups().size(), 3u);
  EXPECT_EQ(opt.size(), 3u);
  EXPECT_EQ(opt.parameters().size(), 1u);  // those of the first group, as libtorch
  for (Tensor* t : {&a, &b, &c}) t->mutable_grad() = tensor({1.0}, kDouble);
  opt.step();
  EXPECT_TENSOR(a, {1}, {0.9}, kTol);
  EXPECT_TENSOR(b, {1}, {0.5}, kTol);
  EXPECT_TENSOR(c, {1}, {0.75}, kTol);
  // Each group owns a copy: changing one leaves the defaults and the others alone.
  opt.param_groups()[0].options().set_lr(1);
  EXPECT_DOUBLE_EQ(opt.defaults().get_lr(), 0.1);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].options().get_lr(), 0.5);
  optim::OptimizerParamGroup copy = opt.param_groups()[1];
  copy.options().set_lr(7);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].options().get_lr(), 0.5);
}

TEST(Optim, AddParametersExtendsTheFirstGroup) {
  Tensor a = param({1}), b = param({2});
  optim::SGD opt({a}, optim::SGDOptions(1));
  opt.add_parameters({b});
  ASSERT_EQ(opt.parameters().size(), 2u);
  b.mutable_grad() = tensor({0.5}, kDouble);
  opt.step();
  EXPECT_TENSOR(b, {1}, {1.5}, kTol);
}

TEST(Optim, StepRunsTheClosureWithGradModeOn) {
  Tensor p = param({2});
  optim::Adam opt({p});
  NoGradGuard outer;
  bool grad_mode_in_closure = false;
  Tensor loss = opt.step([&] {
    grad_mode_in_closure = GradMode::is_enabled();
    Tensor l = (p * p).sum();
    l.backward();
    return l;
  });
  EXPECT_TRUE(grad_mode_in_closure);
  EXPECT_FALSE(GradMode::is_enabled());
  EXPECT_TENSOR(loss, {}, {4}, 0);
  EXPECT_TENSOR(p.grad(), {1}, {4}, 0);
  EXPECT_TENSOR(p, {1}, {2 - 0.001 / (1 + 1e-8 / 4) }, kTol);  // m̂/√v̂ = 4/(4 + ε)
  EXPECT_FALSE(opt.step().defined());  // no closure, no loss
}

TEST(Optim, OptionDefaultsAreLibtorchs) {
  optim::AdamOptions adam;
  EXPECT_DOUBLE_EQ(adam.lr(), 1e-3);
  EXPECT_DOUBLE_EQ(std::get<0>(adam.betas()), 0.9);
  EXPECT_DOUBLE_EQ(std::get<1>(adam.betas()), 0.999);
  EXPECT_DOUBLE_EQ(adam.eps(), 1e-8);
  EXPECT_DOUBLE_EQ(adam.weight_decay(), 0);
  EXPECT_FALSE(adam.amsgrad());
  EXPECT_DOUBLE_EQ(optim::AdamWOptions().weight_decay(), 1e-2);
  EXPECT_DOUBLE_EQ(optim::AdamWOptions().lr(), 1e-3);
  optim::RMSpropOptions rms;
  EXPECT_DOUBLE_EQ(rms.lr(), 1e-2);
  EXPECT_DOUBLE_EQ(rms.alpha(), 0.99);
  EXPECT_DOUBLE_EQ(rms.eps(), 1e-8);
  EXPECT_DOUBLE_EQ(rms.momentum(), 0);
  EXPECT_FALSE(rms.centered());
  optim::SGDOptions sgd(0.3);
  EXPECT_DOUBLE_EQ(sgd.momentum(), 0);
  EXPECT_DOUBLE_EQ(sgd.dampening(), 0);
  EXPECT_FALSE(sgd.nesterov());
  auto betas = optim::AdamOptions().betas({0.5, 0.6}).betas();
  EXPECT_DOUBLE_EQ(std::get<1>(betas), 0.6);
}

// ---- errors ------------------------------------------------------------------------------

TEST(Optim, InvalidOptionsAreRefusedWithLibtorchsMessages) {
  std::vector<Tensor> ps{param({1})};
  EXPECT_THROW_MSG(optim::SGD(ps, optim::SGDOptions(-1)), "Invalid learning rate: -1");
  EXPECT_THROW_MSG(optim::SGD(ps, optim::SGDOptions(0.1).momentum(-0.5)), "Invalid momentum value: -0.5");
  EXPECT_THROW_MSG(optim::SGD(ps, optim::SGDOptions(0.1).weight_decay(-1e-3)), "Invalid weight_decay value: -0.001");
  EXPECT_THROW_MSG(optim::SGD(ps, optim::SGDOptions(0.1).nesterov(true)),
                   "Nesterov momentum requires a momentum and zero dampening");
  EXPECT_THROW_MSG(optim::SGD(ps, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                   "Nesterov momentum requires a momentum and zero dampening");
  EXPECT_THROW_MSG(optim::Adam(ps, optim::AdamOptions(-0.5)), "Invalid learning rate: -0.5");
  EXPECT_THROW_MSG(optim::Adam(ps, optim::AdamOptions().eps(-1)), "Invalid epsilon value: -1");
  EXPECT_THROW_MSG(optim::Adam(ps, optim::AdamOptions().betas({1.0, 0.9})), "Invalid beta parameter at index 0: 1");
  EXPECT_THROW_MSG(optim::Adam(ps, optim::AdamOptions().betas({0.9, -0.1})),
                   "Invalid beta parameter at index 1: -0.1");
  EXPECT_THROW_MSG(optim::Adam(ps, optim::AdamOptions().weight_decay(-2)), "Invalid weight_decay value: -2");
  EXPECT_THROW_MSG(optim::AdamW(ps, optim::AdamWOptions().weight_decay(-1)), "Invalid weight_decay value: -1");
  EXPECT_THROW_MSG(optim::AdamW(ps, optim::AdamWOptions().betas({0.9, 1.5})),
                   "Invalid beta parameter at index 1: 1.5");
  EXPECT_THROW_MSG(optim::RMSprop(ps, optim::RMSpropOptions(-1)), "Invalid learning rate: -1");
  EXPECT_THROW_MSG(optim::RMSprop(ps, optim::RMSpropOptions().alpha(-1)), "Invalid alpha value: -1");
  EXPECT_THROW_MSG(optim::RMSprop(ps, optim::RMSpropOptions().momentum(-1)), "Invalid momentum value: -1");
  EXPECT_THROW_MSG(optim::RMSprop(ps, optim::RMSpropOptions().eps(-1)), "Invalid epsilon value: -1");
  EXPECT_THROW_MSG(optim::RMSprop(ps, optim::RMSpropOptions().weight_decay(-1)), "Invalid weight_decay value: -1");
}

TEST(Optim, ParameterGroupsAreChecked) {
  Tensor p = param({1});
  EXPECT_THROW_MSG(optim::SGD({p * 2}, optim::SGDOptions(0.1)), "can't optimize a non-leaf Tensor");
  // As libtorch 1.13: a parameter in two groups is updated by each; only one that
  // already has state is refused.
  Tensor q = tensor({1.0f, 2.0f}).requires_grad_();
  optim::SGD twice(std::vector<optim::OptimizerParamGroup>{optim::OptimizerParamGroup({q}), optim::OptimizerParamGroup({q})},
                   optim::SGDOptions(0.1));
  q.mutable_grad() = tensor({0.5f, -1.0f});
  twice.step();
  EXPECT_TENSOR(q, {2}, {0.9, 2.2});
  optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9));
  p.mutable_grad() = ones({1});
  opt.step();
  EXPECT_THROW_MSG(opt.add_param_group(optim::OptimizerParamGroup({p})),
                   "some parameters appear in more than one parameter group");
  optim::OptimizerParamGroup bare({p});
  EXPECT_FALSE(bare.has_options());
  EXPECT_THROW_MSG(bare.options(), "This parameter group has no options");
  optim::SGD empty(std::vector<optim::OptimizerParamGroup>{}, optim::SGDOptions(0.1));
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.step().defined());
  EXPECT_THROW_MSG(empty.parameters(), "the optimizer has no parameter groups");
}

TEST(Optim, BadGradientsAreRefusedBeforeAnyStateIsMade) {
  Tensor p = param({1, 2});
  optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9));
  p.mutable_grad() = tensor({1.0, 2.0, 3.0}, kDouble);
  EXPECT_THROW_MSG(opt.step(), "SGD: a parameter of shape [2] has a gradient of shape [3]");
  EXPECT_TRUE(opt.state().empty());
  EXPECT_TENSOR(p, {2}, {1, 2}, 0);

  Tensor n = tensor({1, 2});
  n.mutable_grad() = tensor({1, 1});
  optim::RMSprop rms({n});
  EXPECT_THROW_MSG(rms.step(), "RMSprop supports float32 and float64 parameters, got a parameter of dtype Long");
}
