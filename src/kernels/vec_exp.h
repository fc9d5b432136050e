#pragma once
// exp written so that loops over arrays vectorise (std::exp is a library call the
// compiler cannot vectorise without -ffast-math): Cody-Waite range reduction
// x = n ln2 + r, |r| <= ln2 / 2, then Cephes' approximations of exp(r) —
// a degree-7 polynomial for float, a Pade form for double — scaled by 2^n
// built in the exponent bits. Accurate to about 1 ulp; NaN gives NaN.
//
// Inputs are expected to be at most about 0 (exp(x - max) in softmax-like
// kernels): below -87 (float) or -708 (double) the result is 0, and large
// positive inputs are clamped rather than overflowing to infinity.
#include <bit>
#include <cstdint>

namespace tg::kernels {

inline float vec_exp(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low bits
  const bool underflow = x < -87.0f;
  x = x > 88.0f ? 88.0f : x;
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
  const float scale = std::bit_cast<float>((n + 127) << 23);
  return underflow ? 0.0f : p * scale;
}

inline double vec_exp(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  const bool underflow = x < -708.0;
  x = x > 709.0 ? 709.0 : x;
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
  const double scale = std::bit_cast<double>(static_cast<uint64_t>(n + 1023) << 52);
  return underflow ? 0.0 : e * scale;
}

}  // namespace tg::kernels
