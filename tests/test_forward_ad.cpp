// Forward-mode AD: for every op with a forward rule, the tangent jvp carries through
// it equals the reverse-mode Jacobian times the tangent, on random inputs; ops
// without a rule raise; the dual-level API; vjp, jacobian and hessian.
#include <functional>

#include "support/test_support.h"

using namespace tg;
namespace ag = tg::autograd;
namespace F = tg::nn::functional;

namespace {

using VF = ag::VectorFunction;

Tensor positive(IntArrayRef shape) { return rand(shape, dtype(kDouble)) + 0.5; }
Tensor normal(IntArrayRef shape) { return randn(shape, dtype(kDouble)); }

// jvp(f, xs, v) against the Jacobian from reverse mode: sum_j J_ij v_j.
void expect_jvp_matches_jacobian(const std::string& name, const VF& f, const ag::variable_list& xs) {
  SCOPED_TRACE(name);
  std::vector<ag::variable_list> J = ag::functional::jacobian(f, xs);
  ag::variable_list v;
  for (const Tensor& x : xs) v.push_back(x.is_floating_point() ? randn_like(x) : Tensor());
  auto [outs, tangents] = ag::jvp(f, xs, v);
  ag::variable_list reference = f(xs);
  ASSERT_EQ(outs.size(), reference.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_TRUE(outs[i].allclose(reference[i])) << "output " << i;
    EXPECT_FALSE(outs[i].requires_grad());
    EXPECT_FALSE(tangents[i].requires_grad());
    Tensor expected = zeros({outs[i].numel()}, dtype(kDouble));
    for (size_t j = 0; j < xs.size(); ++j)
      if (v[j].defined() && xs[j].numel() > 0)
        expected = expected + J[i][j].reshape({outs[i].numel(), xs[j].numel()}).to(kDouble).matmul(
                                  v[j].reshape({-1}).to(kDouble));
    ASSERT_TRUE(tangents[i].sizes().equals(outs[i].sizes())) << tangents[i].sizes() << " vs " << outs[i].sizes();
    EXPECT_TRUE(tangents[i].to(kDouble).allclose(expected.reshape(outs[i].sizes()), 1e-7, 1e-9))
        << "output " << i << "\njvp:\n" << tangents[i] << "\nJ v:\n" << expected.reshape(outs[i].sizes());
  }
}

void check1(const std::string& name, const std::function<Tensor(const Tensor&)>& f, const Tensor& x) {
  expect_jvp_matches_jacobian(name, [&f](const ag::variable_list& v) -> ag::variable_list { return {f(v[0])}; }, {x});
}
void check2(const std::string& name, const std::function<Tensor(const Tensor&, const Tensor&)>& f, const Tensor& a,
            const Tensor& b) {
  expect_jvp_matches_jacobian(name, [&f](const ag::variable_list& v) -> ag::variable_list { return {f(v[0], v[1])}; },
                              {a, b});
}

class ForwardRules : public ::testing::Test {
 protected:
  void SetUp() override { manual_seed(2024); }
};

}  // namespace

TEST_F(ForwardRules, Arithmetic) {
  Tensor a = normal({2, 3}), b = normal({3}), p = positive({2, 3});
  check2("add broadcast", [](const Tensor& x, const Tensor& y) { return x + y; }, a, b);
  check2("add alpha", [](const Tensor& x, const Tensor& y) { return x.add(y, 2.5); }, a, b);
  check2("sub", [](const Tensor& x, const Tensor& y) { return x - y; }, a, b);
  check2("sub alpha", [](const Tensor& x, const Tensor& y) { return x.sub(y, -3); }, a, b);
  check2("mul", [](const Tensor& x, const Tensor& y) { return x * y; }, a, b);
  check2("div", [](const Tensor& x, const Tensor& y) { return x / y; }, a, p);
  check1("add scalar", [](const Tensor& x) { return x + 2; }, a);
  check1("sub scalar", [](const Tensor& x) { return x.sub(2, 3); }, a);
  check1("scalar - tensor", [](const Tensor& x) { return 2 - x; }, a);
  check1("rsub alpha", [](const Tensor& x) { return rsub(x, 1.5, 2); }, a);
  check1("mul scalar", [](const Tensor& x) { return x * 1.5; }, a);
  check1("div scalar", [](const Tensor& x) { return x / 4; }, a);
  check1("scalar / tensor", [](const Tensor& x) { return 3 / x; }, p);
  check1("neg", [](const Tensor& x) { return -x; }, a);
  check1("mixed with a constant integer tensor", [](const Tensor& x) { return x * tensor({1, 2, 3}); }, a);
}

TEST_F(ForwardRules, Pow) {
  Tensor p = positive({2, 3}), e = normal({2, 3});
  for (double k : {0.0, 0.5, 2.0, 3.0, -1.5})
    check1("pow " + std::to_string(k), [k](const Tensor& x) { return x.pow(k); }, p);
  check2("pow tensor", [](const Tensor& x, const Tensor& y) { return x.pow(y); }, p, e);
  check1("scalar base", [](const Tensor& x) { return pow(2.5, x); }, e);
  check1("square", [](const Tensor& x) { return x.square(); }, e);
  // A tangent only on the base: the exponent's term is not evaluated (log of a negative base).
  Tensor neg = -positive({3});
  expect_jvp_matches_jacobian("pow, negative base", [](const ag::variable_list& v) -> ag::variable_list {
    return {v[0].pow(tensor({2.0, 3.0, 4.0}, dtype(kDouble)))};
  }, {neg});
}

TEST_F(ForwardRules, UnaryFunctions) {
  Tensor x = normal({2, 3}), p = positive({2, 3});
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> on_reals = {
      {"exp", [](const Tensor& t) { return t.exp(); }},
      {"erf", [](const Tensor& t) { return t.erf(); }},
      {"abs", [](const Tensor& t) { return t.abs(); }},
      {"sign", [](const Tensor& t) { return t.sign(); }},
      {"tanh", [](const Tensor& t) { return t.tanh(); }},
      {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }},
      {"relu", [](const Tensor& t) { return t.relu(); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(t, 0.1); }},
      {"gelu", [](const Tensor& t) { return gelu(t); }},
      {"gelu tanh", [](const Tensor& t) { return gelu(t, "tanh"); }},
      {"clamp", [](const Tensor& t) { return t.clamp(-0.5, 0.5); }},
      {"clamp_min", [](const Tensor& t) { return t.clamp_min(0.1); }},
      {"clamp_max", [](const Tensor& t) { return t.clamp_max(0.1); }},
  };
  for (const auto& [name, f] : on_reals) check1(name, f, x);
  check1("log", [](const Tensor& t) { return t.log(); }, p);
  check1("sqrt", [](const Tensor& t) { return t.sqrt(); }, p);
  check1("rsqrt", [](const Tensor& t) { return t.rsqrt(); }, p);
  check1("reciprocal", [](const Tensor& t) { return t.reciprocal(); }, p);
}

TEST_F(ForwardRules, SelectionOps) {
  Tensor a = normal({2, 3}), b = normal({2, 3});
  Tensor mask = tensor({true, false, true});
  check2("where", [&](const Tensor& x, const Tensor& y) { return where(mask, x, y); }, a, b);
  check2("maximum", [](const Tensor& x, const Tensor& y) { return maximum(x, y); }, a, b);
  check2("minimum", [](const Tensor& x, const Tensor& y) { return minimum(x, y); }, a, b);
  check1("comparison on the way", [](const Tensor& x) { return x * (x > 0); }, a);
}

TEST_F(ForwardRules, Reductions) {
  Tensor x = normal({2, 3, 4});
  check1("sum", [](const Tensor& t) { return t.sum(); }, x);
  check1("sum dims", [](const Tensor& t) { return t.sum({0, 2}); }, x);
  check1("sum keepdim", [](const Tensor& t) { return t.sum({1}, true); }, x);
  check1("mean", [](const Tensor& t) { return t.mean(); }, x);
  check1("mean dim keepdim", [](const Tensor& t) { return t.mean({-1}, true); }, x);
  check1("max", [](const Tensor& t) { return t.max(); }, x);
  check1("min", [](const Tensor& t) { return t.min(); }, x);
  check1("amax", [](const Tensor& t) { return t.amax({0, 2}); }, x);
  check1("amin keepdim", [](const Tensor& t) { return t.amin({1}, true); }, x);
  check1("max dim", [](const Tensor& t) { return std::get<0>(t.max(1)); }, x);
  check1("min dim keepdim", [](const Tensor& t) { return std::get<0>(t.min(2, true)); }, x);
  check1("logsumexp", [](const Tensor& t) { return t.logsumexp({1}); }, x);
  check1("logsumexp keepdim", [](const Tensor& t) { return t.logsumexp({0, 2}, true); }, x);
  check1("softmax", [](const Tensor& t) { return t.softmax(1); }, x);
  check1("log_softmax", [](const Tensor& t) { return t.log_softmax(-1); }, x);
}

TEST_F(ForwardRules, ViewsAndShapes) {
  Tensor x = normal({2, 3, 4});
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> views = {
      {"transpose", [](const Tensor& t) { return t.transpose(0, 2); }},
      {"permute", [](const Tensor& t) { return t.permute({1, 2, 0}); }},
      {"mT", [](const Tensor& t) { return t.mT(); }},
      {"view", [](const Tensor& t) { return t.view({6, 4}); }},
      {"reshape (view)", [](const Tensor& t) { return t.reshape({4, 6}); }},
      {"reshape (copy)", [](const Tensor& t) { return t.transpose(0, 1).reshape({-1}); }},
      {"flatten", [](const Tensor& t) { return t.flatten(1); }},
      {"unsqueeze squeeze", [](const Tensor& t) { return t.unsqueeze(1).squeeze(1).unsqueeze(0).squeeze(); }},
      {"expand", [](const Tensor& t) { return t.unsqueeze(0).expand({3, 2, 3, 4}); }},
      {"slice", [](const Tensor& t) { return t.slice(2, 1, 4, 2); }},
      {"select", [](const Tensor& t) { return t.select(1, -1); }},
      {"narrow", [](const Tensor& t) { return t.narrow(2, 1, 2); }},
      {"index", [](const Tensor& t) {
         using namespace indexing;
         return t.index({Slice(), None, 1, Slice(1, None)});
       }},
      {"ellipsis", [](const Tensor& t) { return t.index({indexing::Ellipsis}); }},
      {"index_select", [](const Tensor& t) { return t.index_select(2, tensor({3, 0, 3})); }},
      {"view of a view, then math", [](const Tensor& t) { return t.transpose(0, 1).slice(0, 1).exp(); }},
      {"clone", [](const Tensor& t) { return t.clone(); }},
      {"contiguous", [](const Tensor& t) { return t.transpose(1, 2).contiguous(); }},
      {"to float", [](const Tensor& t) { return t.to(kFloat).to(kDouble); }},
  };
  for (const auto& [name, f] : views) check1(name, f, x);
  Tensor w = normal({5, 3});
  check1("embedding", [](const Tensor& t) { return embedding(t, tensor({{0, 4}, {2, 2}})); }, w);
}

TEST_F(ForwardRules, MatrixProducts) {
  check2("mm", [](const Tensor& x, const Tensor& y) { return x.mm(y); }, normal({2, 3}), normal({3, 4}));
  check2("mm transposed", [](const Tensor& x, const Tensor& y) { return x.mm(y.t()); }, normal({2, 3}), normal({4, 3}));
  check2("bmm", [](const Tensor& x, const Tensor& y) { return x.bmm(y); }, normal({2, 2, 3}), normal({2, 3, 2}));
  check2("dot", [](const Tensor& x, const Tensor& y) { return x.matmul(y); }, normal({3}), normal({3}));
  check2("mv", [](const Tensor& x, const Tensor& y) { return x.matmul(y); }, normal({2, 3}), normal({3}));
  check2("vector @ matrix", [](const Tensor& x, const Tensor& y) { return x.matmul(y); }, normal({3}), normal({3, 2}));
  check2("3-D @ 2-D", [](const Tensor& x, const Tensor& y) { return x.matmul(y); }, normal({2, 2, 3}), normal({3, 2}));
  check2("broadcast batch", [](const Tensor& x, const Tensor& y) { return x.matmul(y); }, normal({2, 1, 2, 3}),
         normal({3, 3, 2}));
  expect_jvp_matches_jacobian("addmm", [](const ag::variable_list& v) -> ag::variable_list {
    return {addmm(v[0], v[1], v[2], 0.5, 2.0)};
  }, {normal({4}), normal({2, 3}), normal({3, 4})});
  expect_jvp_matches_jacobian("F::linear", [](const ag::variable_list& v) -> ag::variable_list {
    return {F::linear(v[0], v[1], v[2])};
  }, {normal({5, 3}), normal({2, 3}), normal({2})});
}

TEST_F(ForwardRules, JoinAndCopies) {
  expect_jvp_matches_jacobian("cat", [](const ag::variable_list& v) -> ag::variable_list {
    return {cat({v[0], v[1], v[0]}, 1)};
  }, {normal({2, 3}), normal({2, 1})});
  expect_jvp_matches_jacobian("stack", [](const ag::variable_list& v) -> ag::variable_list {
    return {stack({v[0], v[1]}, -1)};
  }, {normal({2, 3}), normal({2, 3})});
  check1("copy_ into a buffer", [](const Tensor& t) {
    Tensor buffer = zeros({2, 3}, dtype(kDouble));
    buffer.copy_(t);
    return buffer * 2;
  }, normal({3}));
  check1("in-place ops", [](const Tensor& t) {
    Tensor y = t * 1;
    y.mul_(t);
    y.add_(3);
    y.div_(t.exp());
    return y;
  }, normal({2, 3}));
  check1("fill_", [](const Tensor& t) {
    Tensor y = t * 1;
    y.fill_(2);
    return y + t;
  }, normal({3}));
}

TEST_F(ForwardRules, SeveralOutputsAndAnMlp) {
  expect_jvp_matches_jacobian("two outputs", [](const ag::variable_list& v) -> ag::variable_list {
    return {(v[0] * v[1]).sum(), v[0].tanh()};
  }, {normal({3}), normal({3})});
  expect_jvp_matches_jacobian("mlp", [](const ag::variable_list& v) -> ag::variable_list {
    Tensor h = F::linear(v[0], v[1], v[2]).relu();
    return {F::linear(h, v[3]).log_softmax(1)};
  }, {normal({4, 3}), normal({5, 3}), normal({5}), normal({2, 5})});
}

TEST(ForwardAD, Float32TangentsKeepTheDtype) {
  Tensor x = tensor({1.0f, 2.0f}), v = tensor({1.0, 0.5});
  auto [y, t] = ag::jvp([](const Tensor& z) { return (z * z).sum(); }, x, v);
  EXPECT_EQ(t.dtype(), kFloat);
  EXPECT_TENSOR(y, {}, {5.0});
  EXPECT_TENSOR(t, {}, {4.0});  // 2*1*1 + 2*2*0.5
}

TEST(ForwardAD, DualNumbersByHand) {
  // f(x) = x^2 sin-free: (3 + 1e)^2 = 9 + 6e.
  ag::forward_ad::DualLevel level;
  Tensor x = ag::forward_ad::make_dual(tensor(3.0), tensor(1.0));
  Tensor y = x * x;
  auto [primal, tangent] = ag::forward_ad::unpack_dual(y);
  EXPECT_TENSOR(primal, {}, {9.0});
  EXPECT_TENSOR(tangent, {}, {6.0});
  EXPECT_FALSE(ag::forward_ad::unpack_dual(tensor(1.0)).second.defined());
}

TEST(ForwardAD, TangentsDoNotOutliveTheirLevel) {
  Tensor kept;
  {
    ag::forward_ad::DualLevel level;
    kept = ag::forward_ad::make_dual(tensor(2.0), tensor(1.0)) * 3;
  }
  ag::forward_ad::DualLevel level;
  EXPECT_FALSE(ag::forward_ad::unpack_dual(kept).second.defined());
  Tensor y = ag::forward_ad::make_dual(tensor(1.0), tensor(1.0)) * kept;
  EXPECT_TENSOR(ag::forward_ad::unpack_dual(y).second, {}, {6.0});
}

TEST(ForwardAD, LevelErrors) {
  EXPECT_THROW_MSG(ag::forward_ad::make_dual(tensor(1.0), tensor(1.0)), "make_dual: forward AD is not active");
  ag::forward_ad::DualLevel level;
  EXPECT_THROW_MSG(ag::forward_ad::DualLevel(), "nested forward-AD levels are not supported");
  EXPECT_THROW_MSG(ag::forward_ad::make_dual(tensor({1.0, 2.0}), tensor(1.0)),
                   "make_dual: expected tangent to have the same shape as primal, but got tangent of shape [] and "
                   "primal of shape [2]");
  EXPECT_THROW_MSG(ag::forward_ad::make_dual(tensor({1, 2}), tensor({1, 2})),
                   "make_dual: expected primal to be floating point, but got Long");
}

namespace {
struct Cube : ag::Function<Cube> {
  static Tensor forward(ag::AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static ag::variable_list backward(ag::AutogradContext* ctx, ag::variable_list g) {
    Tensor x = ctx->get_saved_variables()[0];
    return {g[0] * 3 * x * x};
  }
};
}  // namespace

TEST(ForwardAD, OpsWithoutARuleRaise) {
  Tensor x = normal({2, 3});
  EXPECT_THROW_MSG(ag::jvp([](const Tensor& t) { return prelu(t, tensor({0.25}, dtype(kDouble))); }, x, ones_like(x)),
                   "tg::autograd::jvp: no forward-mode rule for prelu (its backward is PreluBackward0)");
  EXPECT_THROW_MSG(ag::jvp([](const Tensor& t) { return Cube::apply(t.exp()); }, x, ones_like(x)),
                   "tg::autograd::jvp: no forward-mode rule for cube");
  // The same op on tensors carrying no tangent is fine inside jvp.
  Tensor w = tensor({0.25}, dtype(kDouble));
  auto [y, t] = ag::jvp([&w](const Tensor& a) { return a * prelu(ones({3}, dtype(kDouble)), w); }, tensor(2.0), tensor(1.0));
  EXPECT_TENSOR(t, {3}, {1, 1, 1});
}

TEST(ForwardAD, OutputsKeepHistoryOnlyToOutsideTensors) {
  Tensor w = tensor({1.0, 2.0}, requires_grad());
  auto [y, t] = ag::jvp([&w](const Tensor& x) { return (x * w).sum(); }, tensor({3.0, 4.0}), tensor({1.0, 0.0}));
  EXPECT_TENSOR(y, {}, {11.0});
  EXPECT_TENSOR(t, {}, {1.0});
  ASSERT_TRUE(y.requires_grad());
  ASSERT_TRUE(t.requires_grad());  // dt/dw = v
  y.backward();
  EXPECT_TENSOR(w.grad(), {2}, {3, 4});
  w.zero_grad();
  t.backward();
  EXPECT_TENSOR(w.grad(), {2}, {1, 0});
}

TEST(ForwardAD, PrimalRequiringGradGetsGradientsThroughJvp) {
  // Reverse over forward: d/dx of (J v) for f = x^3 is 6 x v.
  Tensor x = tensor({1.0, 2.0}, requires_grad());
  auto [y, t] = ag::jvp([](const Tensor& z) { return z * z * z; }, x, tensor({1.0, 1.0}));
  EXPECT_TENSOR(t, {2}, {3, 12});
  t.sum().backward();
  EXPECT_TENSOR(x.grad(), {2}, {6, 12});
}

TEST(ForwardAD, JvpArgumentErrors) {
  EXPECT_THROW_MSG(ag::jvp([](const ag::variable_list& v) { return v; }, {tensor(1.0)}, {}),
                   "jvp: expected as many tangents as primals, but got 0 tangents and 1 primals");
  EXPECT_THROW_MSG(ag::jvp([](const ag::variable_list& v) { return v; }, {tensor({1, 2})}, {tensor({1, 2})}),
                   "jvp: primal 0 has dtype Long and cannot carry a tangent");
  auto [out, tan] = ag::jvp([](const ag::variable_list& v) -> ag::variable_list { return {v[0] * v[1]}; },
                            {tensor({1, 2}), tensor({1.0, 1.0})}, {Tensor(), tensor({1.0, 2.0})});
  EXPECT_TENSOR(tan[0], {2}, {1, 4});
}

// ---- vjp / jacobian / hessian -------------------------------------------------------------------
TEST(Functional, VjpOfProduct) {
  auto [out, g] = ag::vjp([](const ag::variable_list& v) -> ag::variable_list { return {v[0] * v[1]}; },
                          {tensor({1.0, 2.0}), tensor({3.0, 4.0})}, {tensor({1.0, 10.0})});
  EXPECT_TENSOR(out[0], {2}, {3, 8});
  EXPECT_TENSOR(g[0], {2}, {3, 40});
  EXPECT_TENSOR(g[1], {2}, {1, 20});
  EXPECT_FALSE(out[0].requires_grad());
  auto [y, gx] = ag::vjp([](const Tensor& x) { return (x * x).sum(); }, tensor({1.0, -2.0}));
  EXPECT_TENSOR(gx, {2}, {2, -4});
  auto [c, zero] = ag::vjp([](const Tensor&) { return tensor(1.0); }, tensor({1.0, 2.0}));
  EXPECT_TENSOR(zero, {2}, {0, 0});
  EXPECT_THROW_MSG(ag::vjp([](const Tensor& x) { return x * 2; }, tensor({1.0, 2.0})),
                   "vjp: output 0 has 2 elements, so its cotangent must be given");
}

TEST(Functional, JacobianOfElementwiseAndMatrixFunctions) {
  Tensor J = ag::functional::jacobian([](const Tensor& x) { return x * x; }, tensor({1.0, 2.0, 3.0}));
  EXPECT_TENSOR(J, {3, 3}, {2, 0, 0, 0, 4, 0, 0, 0, 6});
  Tensor A = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}});
  Tensor JA = ag::functional::jacobian([&A](const Tensor& x) { return A.matmul(x); }, tensor({1.0, 1.0}));
  EXPECT_TRUE(JA.equal(A));
  auto Js = ag::functional::jacobian(
      [](const ag::variable_list& v) -> ag::variable_list { return {v[0] * v[1], v[0].sum()}; },
      {tensor({1.0, 2.0}), tensor({3.0, 4.0})});
  EXPECT_TENSOR(Js[0][0], {2, 2}, {3, 0, 0, 4});
  EXPECT_TENSOR(Js[0][1], {2, 2}, {1, 0, 0, 2});
  EXPECT_TENSOR(Js[1][0], {2}, {1, 1});
  EXPECT_TENSOR(Js[1][1], {2}, {0, 0});
}

TEST(Functional, HessianOfCubesAndOfABilinearForm) {
  Tensor H = ag::functional::hessian([](const Tensor& x) { return x.pow(3).sum(); }, tensor({1.0, 2.0}));
  EXPECT_TENSOR(H, {2, 2}, {6, 0, 0, 12});
  Tensor A = tensor({{1.0, 2.0}, {3.0, 4.0}});
  auto Hs = ag::functional::hessian([&A](const ag::variable_list& v) { return v[0].matmul(A).matmul(v[1]); },
                                    {tensor({1.0, 1.0}), tensor({2.0, 2.0})});
  EXPECT_TENSOR(Hs[0][0], {2, 2}, {0, 0, 0, 0});
  EXPECT_TRUE(Hs[0][1].equal(A));
  EXPECT_TRUE(Hs[1][0].equal(A.t()));
  Tensor linear = ag::functional::hessian([](const Tensor& x) { return (x * 3).sum(); }, tensor({1.0, 2.0}));
  EXPECT_TENSOR(linear, {2, 2}, {0, 0, 0, 0});
  EXPECT_THROW_MSG(ag::functional::hessian([](const Tensor& x) { return x; }, tensor({1.0, 2.0})),
                   "hessian: the function must return a one-element tensor, but it returned one of shape [2]");
}

// Differentiating a tangent (forward-over-reverse) gives a Hessian-vector
// product. Rules that use the op's output (tanh, exp, sigmoid, div, pow, softmax,
// log_softmax, logsumexp) treated it as a constant: the tanh term was lost, and
// exp's tangent did not even require grad. Expected values: PyTorch 1.13's
// torch.autograd.functional.hvp.
TEST(ForwardAD, TangentsAreDifferentiableThroughRulesThatUseTheOutput) {
  const Tensor x = tensor({0.3, -1.2, 0.8}, kDouble).requires_grad_();
  const Tensor v = tensor({1.0, 0.5, -2.0}, kDouble);
  auto [y, t] = ag::jvp([](const Tensor& a) { return a.tanh().sum() + a.pow(3).sum(); }, x, v);
  EXPECT_TENSOR(ag::grad({t}, {x})[0], {3}, {1.26681812179854547, -3.34571867493086295, -8.11506724807012247});

  const Tensor exponents = tensor({2.5, 1.5, 0.5}, kDouble);
  auto f = [&exponents](const Tensor& a) {
    return (a.exp() / a.sigmoid()).softmax(0).pow(exponents).logsumexp(0) + a.log_softmax(0).select(0, 1) +
           pow(2.0, a).sqrt().sum();
  };
  auto [y2, t2] = ag::jvp(f, x, v);
  EXPECT_TRUE(t2.requires_grad());
  EXPECT_TENSOR(ag::grad({t2}, {x})[0], {3}, {-0.54787234100148618, -0.06344592003419230, 0.19734054568398018});

  // A tangent laid out anew for its output (here transposed, after c's layout)
  // kept no history.
  const Tensor x6 = tensor({0.3, -1.2, 0.8, 0.5, -0.1, 0.7}, kDouble).requires_grad_();
  const Tensor v6 = tensor({1.0, 0.5, -2.0, 0.3, 0.2, -1.0}, kDouble);
  const Tensor c = arange(1.0, 7.0, 1.0, dtype(kDouble)).reshape({3, 2}).t();
  auto [y3, t3] = ag::jvp([&c](const Tensor& a) { return (c / a.reshape({2, 3}).exp()).sum() + a.tanh().sum(); }, x6, v6);
  EXPECT_TENSOR(ag::grad({t3}, {x6})[0], {6},
                {0.20763634248026352, 5.23445670917395756, -3.00835688924233580, 0.14585980141250379,
                 0.92360790316233132, -2.21227951265654044});
}

// An expanded primal took a tangent in its own layout, where every row is one
// memory location: the last row's tangent overwrote the others. jvp passes such a
// primal as a copy (as torch.autograd.functional.jvp's numbers); make_dual
// refuses it, as libtorch's.
TEST(ForwardAD, ExpandedPrimalsKeepATangentPerElement) {
  const Tensor x = tensor({1.0, 2.0, 3.0}, kDouble).expand({2, 3});
  auto [y, t] = ag::jvp([](const Tensor& a) { return a * 1.0; }, x, tensor({{1.0, 1.0, 1.0}, {0.0, 0.0, 0.0}}, kDouble));
  EXPECT_TENSOR(t, {2, 3}, {1, 1, 1, 0, 0, 0});
  ag::forward_ad::DualLevel level;
  EXPECT_THROW_MSG(ag::forward_ad::make_dual(x, ones({2, 3}, dtype(kDouble))),
                   "more than one element of the written-to tensor refers to a single memory location");
}

// The Jacobian's zero blocks took the output's dtype; they are gradients with
// respect to the input, in its dtype (as libtorch's).
TEST(ForwardAD, JacobianBlocksHaveTheInputsDtype) {
  const Tensor x = tensor({0.3, -1.2, 0.8}, kDouble);
  EXPECT_EQ(ag::functional::jacobian([](const Tensor& a) { return a.argmax(); }, x).dtype(), kDouble);
  EXPECT_EQ(ag::functional::jacobian([](const Tensor& a) { return (a > 0).to(kDouble); }, x.to(kFloat)).dtype(), kFloat);
  EXPECT_THROW_MSG(ag::jvp([](const Tensor& a) { return a; }, x, ones({4}, dtype(kDouble))),
                   "jvp: tangent 0 has shape [4] but its primal has shape [3]");
}
