#pragma once
// exp, log, log1p, tanh, erf, erfc and sin/cos written so that loops over arrays
// vectorise (std::exp and the others are library calls the compiler cannot
// vectorise without -ffast-math).
// Always inlined: in a file with many kernels GCC called them out of line, and
// a loop with a call in it does not vectorise (exp on 1M floats: 2.9 ms, 0.35
// inlined).
//
// exp: Cody-Waite range reduction
// x = n ln2 + r, |r| <= ln2 / 2, then Cephes' approximations of exp(r) —
// a degree-7 polynomial for float, a Pade form for double — scaled by 2^n
// built in the exponent bits. Accurate to about 1 ulp; NaN gives NaN.
//
// Results below the smallest normal number are subnormal, as std::exp's, and
// results too large overflow to infinity.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

// For a lambda that calls them, passed to a kernel's loop: GCC called such
// lambdas out of line too, and the loop did not vectorise.
#define TG_VECTOR_INLINE __attribute__((always_inline))

namespace tg::kernels {

// cond ? a : b, selected through the bits. GCC 12 may turn a select of floats
// or doubles into a branch: it sinks an arm's arithmetic into it (tanh's
// exp), or threads a clamp's jump through a function inlined after it (exp,
// then log), and then cannot convert the branch back when the arithmetic may
// trap (a division). A loop with a branch does not vectorise; masks of
// integers it leaves alone.
template <class T>
[[gnu::always_inline]] inline T select_bits(bool cond, T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const Bits mask = Bits(0) - static_cast<Bits>(cond);
  return std::bit_cast<T>((std::bit_cast<Bits>(a) & mask) | (std::bit_cast<Bits>(b) & ~mask));
}

[[gnu::always_inline]] inline float vec_exp(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low bits
  // Beyond these exp(x) overflows or rounds to 0; clamping keeps n in range, and
  // the scaling below then gives inf and 0 by itself. NaN passes through.
  x = select_bits(x > 89.0f, 89.0f, x);
  x = select_bits(x < -104.0f, -104.0f, x);
  const float k = x * 1.44269504088896341f + kMagic;
  const int32_t n = std::bit_cast<int32_t>(k) - std::bit_cast<int32_t>(kMagic);
  const float fn = k - kMagic;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n as two normal factors (n is in [-150, 128]): the second product rounds to
  // a subnormal, or overflows to infinity, as exp(x) does.
  const int32_t half = n >> 1;
  return p * std::bit_cast<float>((half + 127) << 23) * std::bit_cast<float>((n - half + 127) << 23);
}

[[gnu::always_inline]] inline double vec_exp(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  x = select_bits(x > 710.0, 710.0, x);
  x = select_bits(x < -746.0, -746.0, x);
  const double k = x * 1.4426950408889634073599 + kMagic;
  const int64_t n = std::bit_cast<int64_t>(k) - std::bit_cast<int64_t>(kMagic);
  const double fn = k - kMagic;
  double r = x - fn * 6.93145751953125e-1;
  r = r - fn * 1.42860682030941723212e-6;
  const double rr = r * r;
  const double p = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 9.99999999999999999910e-1);
  const double q =
      ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr + 2.27265548208155028766e-1) * rr +
      2.00000000000000000009e0;
  const double e = 1.0 + 2.0 * (p / (q - p));
  const int64_t half = n >> 1;  // n is in [-1076, 1025]
  return e * std::bit_cast<double>(static_cast<uint64_t>(half + 1023) << 52) *
         std::bit_cast<double>(static_cast<uint64_t>(n - half + 1023) << 52);
}

// log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then log m = 2 atanh(f) with f =
// (m - 1) / (m + 1), |f| < 0.1716, summed as the series 2 (f + f^3/3 + f^5/5 +
// ...): to f^23/23 for a double (the first term left out is below 2^-60 of the
// sum), to f^9/9 for a float taken in double (below 2^-28). log(0) is -inf,
// log(inf) inf, and a negative x or NaN gives NaN.
template <bool kForFloat>
[[gnu::always_inline]] inline double log_series(double x) {
  // A subnormal double is scaled into the normal range first (no float is one).
  const bool subnormal = !kForFloat && x < 2.2250738585072014e-308;
  const auto bits = std::bit_cast<uint64_t>(subnormal ? x * 18014398509481984.0 : x);  // 2^54
  const bool high = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL) > 1.4142135623730951;
  // m in [sqrt(1/2), sqrt(2)): the mantissa taken in [1, 2), or in [1/2, 1) when above sqrt(2).
  const double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) |
                                         (high ? 0x3fe0000000000000ULL : 0x3ff0000000000000ULL));
  const double e = static_cast<double>(static_cast<int64_t>((bits >> 52) & 0x7ff) - (high ? 1022 : 1023) -
                                       (subnormal ? 54 : 0));
  const double f = (m - 1.0) / (m + 1.0);
  const double f2 = f * f;
  double p;
  if constexpr (kForFloat) {
    p = 1.0 / 9;
  } else {
    p = 1.0 / 23;
    p = p * f2 + 1.0 / 21;
    p = p * f2 + 1.0 / 19;
    p = p * f2 + 1.0 / 17;
    p = p * f2 + 1.0 / 15;
    p = p * f2 + 1.0 / 13;
    p = p * f2 + 1.0 / 11;
    p = p * f2 + 1.0 / 9;
  }
  p = p * f2 + 1.0 / 7;
  p = p * f2 + 1.0 / 5;
  p = p * f2 + 1.0 / 3;
  p = p * f2 + 1.0;
  // ln 2 in two parts (fdlibm's): e times the first is exact for |e| < 2^11.
  const double log_x = e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + 2.0 * f * p);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const double special = x == 0.0 ? -kInf : (x > 0.0 ? kInf : std::numeric_limits<double>::quiet_NaN());
  // Selected through the bits: a select of doubles let GCC sink log_x's arithmetic
  // into a branch, which then does not vectorise.
  return select_bits((x > 0.0) & (x < kInf), log_x, special);
}

[[gnu::always_inline]] inline double vec_log(double x) { return log_series<false>(x); }

// log of a float, in double: its result rounds to the float nearest log(x) but
// for rare near-ties.
[[gnu::always_inline]] inline float vec_log(float x) {
  return static_cast<float>(log_series<true>(static_cast<double>(x)));
}

// log(1 + x): with u = 1 + x rounded, log(u) * x / (u - 1) cancels u's rounding
// error, so that small x keep their relative accuracy (Goldberg, "What every
// computer scientist should know about floating-point arithmetic", theorem 4).
// log1p(-1) is -inf, log1p(inf) inf, and x < -1 or NaN gives NaN.
template <bool kForFloat>
[[gnu::always_inline]] inline double log1p_series(double x) {
  const double u = 1.0 + x;
  const double ratio = log_series<kForFloat>(u) * (x / (u - 1.0));
  // Where u rounds to 1 the ratio is 0 / 0, and at u = inf inf / inf.
  return select_bits(u == 1.0, x, select_bits(u == std::numeric_limits<double>::infinity(), u, ratio));
}

[[gnu::always_inline]] inline double vec_log1p(double x) { return log1p_series<false>(x); }

[[gnu::always_inline]] inline float vec_log1p(float x) {
  return static_cast<float>(log1p_series<true>(static_cast<double>(x)));
}

// tanh of a float, in double: 1 - 2 / (exp(2|x|) + 1) with x's sign, which loses
// about log2(1/|x|) of double's 53 bits to cancellation; below |x| = 2^-13 the
// series x - x^3/3 instead. -0 stays -0 and NaN NaN.
[[gnu::always_inline]] inline float vec_tanh(float x) {
  const double ax = std::fabs(static_cast<double>(x));
  const double far = 1.0 - 2.0 / (vec_exp(2.0 * ax) + 1.0);
  const double near = ax - ax * ax * ax / 3.0;
  return static_cast<float>(std::copysign(select_bits(ax < 0x1p-13, near, far), static_cast<double>(x)));
}

// c[0] + c[1] t + ... + c[N-1] t^(N-1) by Estrin's scheme: neighbouring
// coefficients paired with t, the pairs paired with t^2, and so on. Its chain of
// dependent multiply-adds is log2(N) long, Horner's N - 1: in an elementwise loop
// the evaluation is latency-bound, and erf's two series (10 and 16 terms, by
// Horner and Clenshaw) took 2.96 ms for 1M floats, 2.42 by Estrin (one Zen 4 core).
// The terms c[B, B + L) (L a power of two) with t^(2^k) in power[k].
template <size_t B, size_t L, class T, size_t N>
[[gnu::always_inline]] inline T estrin_block(const T (&c)[N], const T* power) {
  if constexpr (L == 1) {
    return c[B];
  } else if constexpr (B + L / 2 >= N) {
    return estrin_block<B, L / 2>(c, power);
  } else {
    return estrin_block<B, L / 2>(c, power) +
           estrin_block<B + L / 2, L / 2>(c, power) * power[std::bit_width(L / 2) - 1];
  }
}

template <class T, size_t N>
[[gnu::always_inline]] inline T estrin(const T (&c)[N], T t) {
  constexpr size_t kLevels = std::bit_width(N - 1);  // N <= 2^kLevels
  T power[kLevels + 1];
  power[0] = t;
  for (size_t k = 1; k <= kLevels; ++k) power[k] = power[k - 1] * power[k - 1];
  return estrin_block<0, size_t(1) << kLevels>(c, power);
}

// tanh of a double. Below |x| = 0.625, x + x^3 P(x^2), P of degree 11 fitted
// (least squares on 1000 Chebyshev nodes, in long double) to within 9e-18 of
// tanh, relatively; above, 1 - 2 / (exp(2|x|) + 1), which cancels by less than
// a bit there (tanh(0.625) = 0.55). libm's tanh per element took 17 ms for 1M
// doubles, libtorch's 5. -0 stays -0 and NaN NaN.
[[gnu::always_inline]] inline double vec_tanh(double x) {
  constexpr double kSeries[12] = {-0.33333333333333315,   0.13333333333330197,    -0.053968253966265589,
                                  0.021869488473552665,   -0.0088632343795873418, 0.0035921145911988884,
                                  -0.0014557293995451808, 0.00058946529536452706, -0.0002370467168045555,
                                  9.1616108763339953e-05, -3.0242027214780152e-05, 6.0652979189925012e-06};
  const double ax = std::fabs(x);
  const double x2 = ax * ax;
  const double near = ax + ax * x2 * estrin(kSeries, x2);
  const double far = 1.0 - 2.0 / (vec_exp(2.0 * ax) + 1.0);
  return std::copysign(select_bits(ax < 0.625, near, far), x);
}

// The coefficient of x^(2n+1) in erf's Taylor series: 2 / sqrt(pi) (-1)^n / (n! (2n+1)).
constexpr double erf_taylor_coefficient(int n) {
  double c = 1.1283791670955126;  // 2 / sqrt(pi)
  for (int k = 1; k <= n; ++k) c /= -k;
  return c / (2 * n + 1);
}

// erf of a float, in double. Below |x| = 0.75 its Taylor series to x^19 (within
// 5e-11 of erf there); up to 4, 1 - exp(-x^2) g(x) with g(x) = erfc(x) exp(x^2),
// smooth there, as a 16-term Chebyshev series (fitted at 64 Chebyshev nodes to
// libm's erfc; within 5e-11 of erf), here in its monomial form; from 4 up, +-1
// (erfc(4) = 1.5e-8 is below half a float ulp of 1). NaN stays NaN.
[[gnu::always_inline]] inline float vec_erf(float x) {
  constexpr double kTaylor[10] = {erf_taylor_coefficient(0), erf_taylor_coefficient(1), erf_taylor_coefficient(2),
                                  erf_taylor_coefficient(3), erf_taylor_coefficient(4), erf_taylor_coefficient(5),
                                  erf_taylor_coefficient(6), erf_taylor_coefficient(7), erf_taylor_coefficient(8),
                                  erf_taylor_coefficient(9)};
  // The Chebyshev series sum c_k T_k(t), t in [-1, 1], expanded into powers of t.
  constexpr double kSeries[16] = {
      0.2205056921626637,     -0.13158783468944515,   0.07442604881559142,    -0.04015741629215384,
      0.020774272289827936,   -0.010345721284045373,  0.004977209440977459,   -0.002318795237827742,
      0.0010450359422193856,  -0.00045942048159774984, 0.0002046747081729805, -8.597254897679818e-05,
      2.5982122444645483e-05, -1.0183846015365816e-05, 9.638431947678328e-06, -3.75194551338609e-06};
  const double ax = std::fabs(static_cast<double>(x));
  const double x2 = ax * ax;  // exact: a float's square fits in a double
  const double near = ax * estrin(kTaylor, x2);
  const double t = (2.0 * ax - 4.75) * (1.0 / 3.25);  // [0.75, 4] mapped to [-1, 1]
  const double far = 1.0 - vec_exp(-x2) * estrin(kSeries, t);
  const double r = select_bits(ax >= 4.0, 1.0, select_bits(ax < 0.75, near, far));
  return static_cast<float>(std::copysign(r, static_cast<double>(x)));
}

// erfc of a float, in float arithmetic (16 lanes to a vector; vec_erf's double
// took 2.4 ms for 1M floats), for gelu = x erfc(-x / sqrt 2) / 2. For x >= 0.75
// it is computed as such, keeping its relative accuracy where 1 - erf(x)
// cancels (gelu of negative inputs):
// - below |x| = 0.75, 1 - x (2/sqrt(pi) + x^2 Q(x^2)), Q of degree 5 fitted
//   (least squares on 600 Chebyshev nodes of [0, 1], in long double) to within
//   1.4e-8 of erf, relatively, 2/sqrt(pi) in two parts so its rounding does not count;
// - from 0.75 up, exp(-x^2) R(|x|) with R(x) = erfc(x) exp(x^2), of degree 10 in
//   w = 1 / (|x| + 2) mapped to [-1, 1] (fitted as Q on [0.75, 9.5], within 4e-8
//   of R relatively: in w, R is smooth out to infinity), x^2's rounding error
//   carried into the exponential; 2 - erfc(|x|) for negative x.
// Within 2 ulp below x = 0.75, and within 8 ulp relatively above, down to
// erfc's subnormals (tests/test_vec_math.cpp).
[[gnu::always_inline]] inline float vec_erfc(float x) {
  constexpr float kTwoOverSqrtPiHigh = 1.128379226e+00f, kTwoOverSqrtPiLow = -5.863538277e-08f;
  constexpr float kNear[6] = {-3.761263192e-01f, 1.128362715e-01f, -2.685531229e-02f,
                              5.190899130e-03f,  -8.031139150e-04f, 7.919117343e-05f};
  constexpr float kFar[11] = {2.154674679e-01f, 2.112301886e-01f,  6.691551208e-02f, 1.301986817e-02f,
                              6.594927981e-04f, -3.267322609e-04f, -4.312944657e-05f, 1.390895341e-05f,
                              1.890823683e-06f, -7.463540328e-07f, -7.106596911e-08f};
  constexpr float kFarCentre = 0.225296443f, kFarHalfWidth = 0.138339921f;
  // erfc(10.5) = 1.4e-49 rounds to 0 as erfc of anything larger (and infinity's
  // square would not subtract below); NaN stays NaN.
  const float ax = select_bits(std::fabs(x) > 10.5f, 10.5f, std::fabs(x));
  const float x2 = ax * ax;
  const float erf_near = std::fma(x, kTwoOverSqrtPiHigh, x * (kTwoOverSqrtPiLow + x2 * estrin(kNear, x2)));
  const float x2_error = std::fma(ax, ax, -x2);  // ax^2 = x2 + x2_error exactly
  // (1 / (ax + 2) - centre) / half-width, as one quotient: 1 / (ax + 2) rounded
  // first put 6 times its rounding error into R.
  const float w = std::fma(-kFarCentre, ax, 1.0f - 2.0f * kFarCentre) / (kFarHalfWidth * (ax + 2.0f));
  const float far = vec_exp(-x2) * (1.0f - x2_error) * estrin(kFar, w);
  return select_bits(ax < 0.75f, 1.0f - erf_near, select_bits(x > 0.0f, far, 2.0f - far));
}

// sin(2 pi u) and cos(2 pi u) of a double u in [0, 1] (randn's Box-Muller angle,
// taken in turns so that the reduction is exact): u = q / 4 + f with q the
// nearest quarter turn, |f| <= 1/8 exactly, then Taylor series of 2 pi f (to the
// 17th and 18th powers: the first term left out is below 2^-60 of the result),
// rotated by q quarter turns. Within about 1 ulp.
[[gnu::always_inline]] inline void vec_sincos_turns(double u, double& sine, double& cosine) {
  constexpr double kSin[9] = {1.0,  -1.0 / 6,        1.0 / 120,          -1.0 / 5040,          1.0 / 362880,
                              -1.0 / 39916800, 1.0 / 6227020800, -1.0 / 1307674368000, 1.0 / 355687428096000};
  constexpr double kCos[10] = {1.0,           -1.0 / 2,          1.0 / 24,           -1.0 / 720,
                               1.0 / 40320,   -1.0 / 3628800,    1.0 / 479001600,    -1.0 / 87178291200,
                               1.0 / 20922789888000, -1.0 / 6402373705728000};
  const double q = std::nearbyint(4.0 * u);
  const double theta = 6.283185307179586 * (u - 0.25 * q);
  const double t2 = theta * theta;
  const double s = theta * estrin(kSin, t2), c = estrin(kCos, t2);
  const int64_t quadrant = static_cast<int64_t>(q) & 3;
  sine = quadrant == 0 ? s : quadrant == 1 ? c : quadrant == 2 ? -s : -c;
  cosine = quadrant == 0 ? c : quadrant == 1 ? -s : quadrant == 2 ? -c : s;
}

}  // namespace tg::kernels
