// The vectorisable exp, log, log1p, tanh, erf and erfc of kernels/vec_math.h, against correctly
// rounded references (the double functions of libm, rounded to float), and the
// elementwise ops built on them: accuracy, special values, and bits that do not
// depend on where an element falls (vector body or scalar tail, thread chunk).
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <random>

#include "kernels/vec_math.h"
#include "support/test_support.h"

using namespace tg;

namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr double kInf = std::numeric_limits<double>::infinity();

// |a - b| in units of b's last place (0 when both are NaN or equal).
template <class T>
double ulps(T a, T b) {
  if ((std::isnan(a) && std::isnan(b)) || a == b) return 0;
  if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) return kInf;
  const T ulp = std::nextafter(std::abs(b), std::numeric_limits<T>::infinity()) - std::abs(b);
  return std::abs(static_cast<double>(a) - static_cast<double>(b)) / static_cast<double>(ulp);
}

// The largest distance in ulps between f(x) and reference(x) (in double, rounded
// to float), over 400,000 x drawn from [-limit, limit] times each scale in turn.
template <class F, class Reference>
double worst_float_ulps(const F& f, const Reference& reference, float limit, std::initializer_list<float> scales,
                        unsigned seed) {
  std::mt19937 rng(seed);
  double worst = 0;
  for (int i = 0; i < 400000; ++i) {
    const float scale = scales.begin()[static_cast<size_t>(i) % scales.size()];
    const float x = std::uniform_real_distribution<float>(-limit, limit)(rng) * scale;
    worst = std::max(worst, ulps(f(x), static_cast<float>(reference(static_cast<double>(x)))));
  }
  return worst;
}

}  // namespace

TEST(VecExp, WithinOneUlpForFloatAndTwoForDoubleOverTheWholeRange) {
  std::mt19937 rng(1);
  double worst_float = 0, worst_double = 0;
  for (int i = 0; i < 400000; ++i) {
    // Floats from below the subnormal range to overflow; doubles likewise.
    const float xf = std::uniform_real_distribution<float>(-110.0f, 95.0f)(rng);
    worst_float = std::max(worst_float, ulps(kernels::vec_exp(xf), static_cast<float>(std::exp(double(xf)))));
    const double xd = std::uniform_real_distribution<double>(-750.0, 715.0)(rng);
    worst_double = std::max(worst_double, ulps(kernels::vec_exp(xd), std::exp(xd)));
  }
  EXPECT_LE(worst_float, 1.0);
  EXPECT_LE(worst_double, 2.0);
  EXPECT_EQ(kernels::vec_exp(0.0f), 1.0f);
  EXPECT_EQ(kernels::vec_exp(0.0), 1.0);
  EXPECT_EQ(kernels::vec_exp(89.0f), kInfF);
  EXPECT_EQ(kernels::vec_exp(710.0), kInf);
  EXPECT_EQ(kernels::vec_exp(kInfF), kInfF);
  EXPECT_EQ(kernels::vec_exp(-kInfF), 0.0f);
  EXPECT_EQ(kernels::vec_exp(-kInf), 0.0);
  EXPECT_GT(kernels::vec_exp(-100.0f), 0.0f);  // subnormal, as std::exp's
  EXPECT_LE(ulps(kernels::vec_exp(-100.0f), static_cast<float>(std::exp(-100.0))), 1.0);
  EXPECT_TRUE(std::isnan(kernels::vec_exp(std::nanf(""))));
  EXPECT_TRUE(std::isnan(kernels::vec_exp(std::nan(""))));
}

TEST(VecLog, WithinOneUlpForFloatAndFourForDouble) {
  std::mt19937 rng(2);
  double worst_float = 0, worst_double = 0;
  for (int i = 0; i < 400000; ++i) {
    // Across the whole range, subnormals included, and closely around 1.
    const float xf = i % 2 ? std::exp(std::uniform_real_distribution<float>(-103.0f, 88.0f)(rng))
                           : std::uniform_real_distribution<float>(0.5f, 2.0f)(rng);
    worst_float = std::max(worst_float, ulps(kernels::vec_log(xf), static_cast<float>(std::log(double(xf)))));
    const double xd = i % 2 ? std::exp(std::uniform_real_distribution<double>(-744.0, 709.0)(rng))
                            : std::uniform_real_distribution<double>(0.5, 2.0)(rng);
    worst_double = std::max(worst_double, ulps(kernels::vec_log(xd), std::log(xd)));
  }
  EXPECT_LE(worst_float, 1.0);
  EXPECT_LE(worst_double, 4.0);
  EXPECT_EQ(kernels::vec_log(1.0), 0.0);
  EXPECT_EQ(kernels::vec_log(2.0), std::log(2.0));
  EXPECT_NEAR(kernels::vec_log(4.9406564584124654e-324), std::log(4.9406564584124654e-324), 1e-12);
  EXPECT_EQ(kernels::vec_log(0.0), -kInf);
  EXPECT_EQ(kernels::vec_log(-0.0f), -kInfF);
  EXPECT_EQ(kernels::vec_log(kInf), kInf);
  EXPECT_TRUE(std::isnan(kernels::vec_log(-1.0)));
  EXPECT_TRUE(std::isnan(kernels::vec_log(std::nanf(""))));
}

TEST(VecLog1p, WithinOneUlpForFloatAndFourForDoubleDownToTinyArguments) {
  std::mt19937 rng(7);
  double worst_float = 0, worst_double = 0;
  for (int i = 0; i < 400000; ++i) {
    // x = exp(-z) as in softplus, from 1 down to the subnormals, and x near -1
    // and up to large values.
    const float zf = std::uniform_real_distribution<float>(0.0f, 100.0f)(rng);
    const float xf = i % 3 == 0 ? std::exp(-zf)
                     : i % 3 == 1 ? std::uniform_real_distribution<float>(-0.999f, 1.0f)(rng)
                                  : std::exp(zf * 0.8f);
    worst_float = std::max(worst_float, ulps(kernels::vec_log1p(xf), static_cast<float>(std::log1p(double(xf)))));
    const double zd = std::uniform_real_distribution<double>(0.0, 740.0)(rng);
    const double xd = i % 3 == 0 ? std::exp(-zd)
                      : i % 3 == 1 ? std::uniform_real_distribution<double>(-0.999999, 1.0)(rng)
                                   : std::exp(zd * 0.9);
    worst_double = std::max(worst_double, ulps(kernels::vec_log1p(xd), std::log1p(xd)));
  }
  EXPECT_LE(worst_float, 1.0);
  EXPECT_LE(worst_double, 4.0);
  EXPECT_EQ(kernels::vec_log1p(0.0), 0.0);
  EXPECT_EQ(kernels::vec_log1p(1e-300), 1e-300);
  EXPECT_EQ(kernels::vec_log1p(1e-40f), 1e-40f);
  EXPECT_EQ(kernels::vec_log1p(-1.0), -kInf);
  EXPECT_EQ(kernels::vec_log1p(-1.0f), -kInfF);
  EXPECT_EQ(kernels::vec_log1p(kInf), kInf);
  EXPECT_EQ(kernels::vec_log1p(kInfF), kInfF);
  EXPECT_TRUE(std::isnan(kernels::vec_log1p(-2.0)));
  EXPECT_TRUE(std::isnan(kernels::vec_log1p(std::nanf(""))));
}

TEST(VecTanh, WithinOneUlpAndExactAtTheEnds) {
  // Tiny (the series below 2^-13), large and moderate arguments.
  const auto tanh = [](double x) { return std::tanh(x); };
  EXPECT_LE(worst_float_ulps([](float x) { return kernels::vec_tanh(x); }, tanh, 12.0f, {1e-4f, 1.0f, 1e-6f}, 3), 1.0);
  EXPECT_EQ(kernels::vec_tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(kernels::vec_tanh(-0.0f)));
  EXPECT_EQ(kernels::vec_tanh(100.0f), 1.0f);
  EXPECT_EQ(kernels::vec_tanh(-kInfF), -1.0f);
  EXPECT_EQ(kernels::vec_tanh(1e-30f), 1e-30f);
  EXPECT_TRUE(std::isnan(kernels::vec_tanh(std::nanf(""))));
}

TEST(VecTanh, DoubleWithinTwoUlpOfLongDouble) {
  // The fitted series below 0.625 and the exponential form above, against long
  // double's tanh; special values as libm's.
  std::mt19937_64 rng(12);
  double worst = 0;
  for (int i = 0; i < 600000; ++i) {
    const double scale = i % 3 == 0 ? 1e-3 : i % 3 == 1 ? 1.0 : 25.0;
    const double x = std::uniform_real_distribution<double>(-scale, scale)(rng);
    const long double reference = std::tanh(static_cast<long double>(x));
    const double rounded = static_cast<double>(reference);
    const double ulp = std::nextafter(std::abs(rounded), kInf) - std::abs(rounded);
    worst = std::max(worst, static_cast<double>(std::abs(kernels::vec_tanh(x) - reference) / ulp));
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_TRUE(std::signbit(kernels::vec_tanh(-0.0)));
  EXPECT_EQ(kernels::vec_tanh(1e-300), 1e-300);
  EXPECT_EQ(kernels::vec_tanh(20.0), 1.0);
  EXPECT_EQ(kernels::vec_tanh(-kInf), -1.0);
  EXPECT_TRUE(std::isnan(kernels::vec_tanh(std::nan(""))));
}

TEST(VecErf, WithinOneUlpAndExactAtTheEnds) {
  // Across the Taylor part (below 0.75), the Chebyshev part (to 4) and beyond.
  const auto erf = [](double x) { return std::erf(x); };
  EXPECT_LE(worst_float_ulps([](float x) { return kernels::vec_erf(x); }, erf, 6.0f, {1e-3f, 1.0f, 1.0f, 1.0f}, 6), 1.0);
  EXPECT_EQ(kernels::vec_erf(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(kernels::vec_erf(-0.0f)));
  EXPECT_EQ(kernels::vec_erf(4.0f), 1.0f);
  EXPECT_EQ(kernels::vec_erf(-kInfF), -1.0f);
  EXPECT_TRUE(std::isnan(kernels::vec_erf(std::nanf(""))));
}

// The largest distance in ulps between f(x) and reference(x) over 400,000 x
// drawn from [low, high).
template <class F, class Reference>
double worst_float_ulps_between(const F& f, const Reference& reference, float low, float high, unsigned seed) {
  std::mt19937 rng(seed);
  double worst = 0;
  for (int i = 0; i < 400000; ++i) {
    const float x = std::uniform_real_distribution<float>(low, high)(rng);
    worst = std::max(worst, ulps(f(x), static_cast<float>(reference(static_cast<double>(x)))));
  }
  return worst;
}

TEST(VecErfc, WithinTwoUlpBelowThreeQuartersAndEightAbove) {
  const auto f = [](float x) { return kernels::vec_erfc(x); };
  const auto erfc = [](double x) { return std::erfc(x); };
  // The series part (|x| < 0.75) and 2 - erfc(|x|) below it.
  EXPECT_LE(worst_float_ulps_between(f, erfc, -0.75f, 0.75f, 7), 2.0);
  EXPECT_LE(worst_float_ulps_between(f, erfc, -12.0f, -0.75f, 8), 2.0);
  // erfc itself, relatively, down to its subnormals (erfc(9.2) = 1.5e-38).
  EXPECT_LE(worst_float_ulps_between(f, erfc, 0.75f, 9.2f, 9), 8.0);
  EXPECT_EQ(f(0.0f), 1.0f);
  EXPECT_EQ(f(-kInfF), 2.0f);
  EXPECT_EQ(f(kInfF), 0.0f);
  EXPECT_EQ(f(10.5f), 0.0f);
  EXPECT_GT(f(9.5f), 0.0f);  // erfc(9.5) = 7.2e-41, a subnormal float
  EXPECT_TRUE(std::isnan(f(std::nanf(""))));
}

TEST(VecSincosTurns, WithinOneAndAHalfUlpOfOneAndExactAtQuarterTurns) {
  std::mt19937_64 rng(10);
  const long double two_pi = 6.283185307179586476925286766559L;
  long double worst = 0;
  for (int i = 0; i < 1000000; ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // randn's angles
    double sine, cosine;
    kernels::vec_sincos_turns(u, sine, cosine);
    worst = std::max({worst, std::abs(sine - std::sin(two_pi * u)), std::abs(cosine - std::cos(two_pi * u))});
  }
  EXPECT_LE(worst, 3 * 0x1.0p-53);
  const double expected[5][2] = {{0, 1}, {1, 0}, {0, -1}, {-1, 0}, {0, 1}};  // sine, cosine at k / 4 turns
  for (int k = 0; k <= 4; ++k) {
    double sine, cosine;
    kernels::vec_sincos_turns(0.25 * k, sine, cosine);
    EXPECT_EQ(std::abs(sine), std::abs(expected[k][0])) << k;
    EXPECT_EQ(cosine, expected[k][1]) << k;
  }
}

TEST(VecMathOps, TheOpsGiveTheSameBitsWhereverAnElementFalls) {
  // 100,003 elements: vector bodies, scalar tails, and chunks over the threads.
  // Each element must come out as it does alone (a 1-element tensor runs the
  // scalar path), with one thread or two, and within a few float ulps of the
  // float64 result.
  manual_seed(4);
  const Tensor x = randn({100003}) * 6;
  const Tensor positive = x.abs() + 1e-3;
  struct Case {
    const char* name;
    Tensor (*op)(const Tensor&);
    const Tensor* input;
  };
  const Case cases[] = {{"exp", [](const Tensor& t) { return t.exp(); }, &x},
                        {"log", [](const Tensor& t) { return t.log(); }, &positive},
                        {"tanh", [](const Tensor& t) { return t.tanh(); }, &x},
                        {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }, &x},
                        {"erf", [](const Tensor& t) { return t.erf(); }, &x},
                        {"gelu", [](const Tensor& t) { return nn::functional::gelu(t); }, &x}};
  const int threads = get_num_threads();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    set_num_threads(1);
    const Tensor one = c.op(*c.input);
    set_num_threads(2);
    const Tensor two = c.op(*c.input);
    set_num_threads(threads);
    EXPECT_TRUE(equal(one, two));
    for (int64_t i : {int64_t(0), int64_t(15), int64_t(16), int64_t(32767), int64_t(50001), int64_t(100002)}) {
      const Tensor alone = c.op(c.input->narrow(0, i, 1).clone());
      EXPECT_EQ(alone.item<float>(), one[i].item<float>()) << "element " << i;
    }
    // gelu of negative x takes erfc(-x / sqrt 2), where 1 + erf(x / sqrt 2) would
    // cancel (libtorch's float formula is within an absolute 1e-7 there, not a
    // relative one); the rounding of z = -x / sqrt 2 alone moves erfc(z) by up to
    // 2 z^2 2^-24 relatively (1e-5 at x = -13, where gelu is 1e-37).
    const Tensor reference = c.op(c.input->to(kDouble));
    EXPECT_TRUE(allclose(one.to(kDouble), reference, std::string(c.name) == "gelu" ? 1e-5 : 3e-7, 1e-30));
  }
}

// Loops over three or more operands, some of them one broadcast element (a
// loss's 0-dim weight, the gradient of its mean), read those from blocks of
// copies (kernels/elementwise.h): the bits must not depend on where an element
// falls, relative to the blocks, the vector body or the threads' chunks.
TEST(VecMathOps, LossesWithBroadcastOperandsGiveTheSameBitsWhereverAnElementFalls) {
  namespace F = nn::functional;
  manual_seed(5);
  const Tensor x = randn({100003}) * 6, target = rand({100003});
  const Tensor weight = tensor(0.7), pos_weight = tensor({1.5});
  const auto options = F::BinaryCrossEntropyWithLogitsFuncOptions().weight(weight).pos_weight(pos_weight);
  auto loss = [&](const Tensor& logits, const Tensor& t) {
    return F::binary_cross_entropy_with_logits(logits, t,
                                               F::BinaryCrossEntropyWithLogitsFuncOptions(options).reduction(kNone));
  };
  auto gradient = [&](const Tensor& logits, const Tensor& t) {
    const Tensor leaf = logits.detach().requires_grad_();
    F::binary_cross_entropy_with_logits(leaf, t, options).backward();
    return leaf.grad();
  };
  const int threads = get_num_threads();
  set_num_threads(1);
  const Tensor one = loss(x, target), one_grad = gradient(x, target);
  set_num_threads(2);
  EXPECT_TRUE(equal(one, loss(x, target)));
  EXPECT_TRUE(equal(one_grad, gradient(x, target)));
  set_num_threads(threads);
  for (int64_t i : {int64_t(0), int64_t(255), int64_t(256), int64_t(32767), int64_t(32768), int64_t(100002)})
    EXPECT_EQ(loss(x.narrow(0, i, 1).clone(), target.narrow(0, i, 1).clone()).item<float>(), one[i].item<float>())
        << "element " << i;
  // Against float64: (1 - t) x + (1 + (pw - 1) t) softplus(-x), times w. Where
  // x < 0 the first term and softplus(-x) nearly cancel, so the float result is
  // within a few ulps of |x| (at most 30), not of itself.
  const Tensor xd = x.to(kDouble), td = target.to(kDouble);
  const Tensor softplus = (1 + (-xd.abs()).exp()).log() + (-xd).clamp_min(0);
  const Tensor reference = ((1 - td) * xd + (1 + 0.5 * td) * softplus) * 0.7;
  EXPECT_TRUE(allclose(one.to(kDouble), reference, 1e-6, 1e-5));
  // Likewise the gradient's two terms, of size 0.7 * 1.5 / 100003 = 1e-5.
  const Tensor sigmoid = 1 / (1 + (-xd).exp());
  const Tensor reference_grad = ((1.5 * td + 1 - td) * sigmoid - 1.5 * td) * 0.7 / 100003;
  EXPECT_TRUE(allclose(one_grad.to(kDouble), reference_grad, 1e-6, 1e-11));
}
