#include "kernels/pool.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/planes.h"

namespace tg::kernels {
namespace {

using detail::for_each_plane;
using detail::inside;
using detail::Span;

// The 2x2 windows of stride 2 that CNNs use most, each inside the image (the
// general loop below handles any window, 4-5x slower on these). Same scan order,
// same comparison, so the same results (Note [Pooling scan order]).
bool is_plain_2x2(const PoolGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 && g.pad_w == 0 &&
         g.dilation_h == 1 && g.dilation_w == 1 && 2 * g.out_h <= g.height && 2 * g.out_w <= g.width;
}

#if defined(__AVX512F__)
// One output row of a 2x2 float window of stride 2, sixteen outputs per vector:
// masked loads of the two input rows, split into the even (left) and odd (right)
// columns of the windows, then the four offsets in scan order as below. Rows of
// 14 or 7 outputs (the CNNs of Fashion-MNIST) were too short for the compiler's
// vector loop, which left them to its scalar remainder: 1.7 ms for [64,32,28,28]
// on 2 threads, 0.2 ms this way.
void max_pool2x2_row(const float* top, int64_t width, int64_t out_w, int32_t row_offset, float* best,
                     int64_t* best_idx) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const float* bottom = top + width;
  for (int64_t c0 = 0; c0 < out_w; c0 += 16) {
    const int64_t n = std::min<int64_t>(16, out_w - c0), inputs = 2 * n;
    const __mmask16 lo = static_cast<__mmask16>((1u << std::min<int64_t>(inputs, 16)) - 1);
    const __mmask16 hi = static_cast<__mmask16>((1u << std::max<int64_t>(inputs - 16, 0)) - 1);
    const __mmask16 out = static_cast<__mmask16>((1u << n) - 1);
    const float* t = top + 2 * c0;
    const float* b = bottom + 2 * c0;
    const __m512 t_lo = _mm512_maskz_loadu_ps(lo, t), t_hi = _mm512_maskz_loadu_ps(hi, t + 16);
    const __m512 b_lo = _mm512_maskz_loadu_ps(lo, b), b_hi = _mm512_maskz_loadu_ps(hi, b + 16);
    const __m512 candidates[4] = {
        _mm512_permutex2var_ps(t_lo, even, t_hi), _mm512_permutex2var_ps(t_lo, odd, t_hi),
        _mm512_permutex2var_ps(b_lo, even, b_hi), _mm512_permutex2var_ps(b_lo, odd, b_hi)};
    __m512 m = candidates[0];
    __m512i code = _mm512_setzero_si512();
    for (int k = 1; k < 4; ++k) {
      const __m512 v = candidates[k];
      const __mmask16 take = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      m = _mm512_mask_blend_ps(take, m, v);
      code = _mm512_mask_blend_epi32(take, code, _mm512_set1_epi32(k));
    }
    _mm512_mask_storeu_ps(best + c0, out, m);
    // index = row offset + 2 * column + (code & 1) + (code >> 1) * width
    __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(row_offset + 2 * static_cast<int32_t>(c0)), even);
    idx = _mm512_add_epi32(idx, _mm512_and_si512(code, _mm512_set1_epi32(1)));
    const __mmask16 lower = _mm512_cmpge_epi32_mask(code, _mm512_set1_epi32(2));
    idx = _mm512_mask_add_epi32(idx, lower, idx, _mm512_set1_epi32(static_cast<int32_t>(width)));
    // Halves through memory and the maskz conversion: GCC 12 warns that the plain
    // extract and conversion intrinsics read an uninitialised value.
    alignas(64) int32_t lanes[16];
    _mm512_store_si512(lanes, idx);
    _mm512_mask_storeu_epi64(best_idx + c0, static_cast<__mmask8>(out & 0xff),
                             _mm512_maskz_cvtepi32_epi64(0xff, _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes))));
    _mm512_mask_storeu_epi64(best_idx + c0 + 8, static_cast<__mmask8>(out >> 8),
                             _mm512_maskz_cvtepi32_epi64(0xff, _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes + 8))));
  }
}
#endif

template <class T>
void max_pool2x2(const T* x, T* out, int64_t* indices, int64_t planes, const PoolGeometry& g) {
  const int64_t W = g.width, in_plane = g.height * W, out_plane = g.out_h * g.out_w, OW = g.out_w;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (in_plane <= INT32_MAX) {
      for_each_plane(planes, 4 * out_plane, [&](int64_t p) {
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t row = 2 * oh * W;
          max_pool2x2_row(x + p * in_plane + row, W, OW, static_cast<int32_t>(row), out + p * out_plane + oh * OW,
                          indices + p * out_plane + oh * OW);
        }
      });
      return;
    }
  }
#endif
  // Each pass over a piece of an output row visits one of the four window
  // offsets for all its outputs, so the loops vectorise; which offset won is kept
  // as a 32-bit code (the float lanes' width) and turned into an index at the end.
  constexpr int64_t kPiece = 64;
  for_each_plane(planes, 4 * out_plane, [&](int64_t p) {
    const T* src = x + p * in_plane;
    T m[kPiece];
    int32_t code[kPiece];
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t row = 2 * oh * W;
      T* __restrict best = out + p * out_plane + oh * OW;
      int64_t* __restrict best_idx = indices + p * out_plane + oh * OW;
      for (int64_t c0 = 0; c0 < OW; c0 += kPiece) {
        const int64_t n = std::min(kPiece, OW - c0);
        const T* first = src + row + 2 * c0;
        for (int64_t j = 0; j < n; ++j) {
          m[j] = first[2 * j];
          code[j] = 0;
        }
        for (int32_t k = 1; k < 4; ++k) {
          const T* __restrict v = first + (k & 1) + (k >> 1) * W;
          for (int64_t j = 0; j < n; ++j) {
            const bool take = (v[2 * j] > m[j]) | (v[2 * j] != v[2 * j]);
            m[j] = take ? v[2 * j] : m[j];
            code[j] = take ? k : code[j];
          }
        }
        for (int64_t j = 0; j < n; ++j) {
          best[c0 + j] = m[j];
          best_idx[c0 + j] = row + 2 * (c0 + j) + (code[j] & 1) + (code[j] >> 1) * W;
        }
      }
    }
  });
}

}  // namespace

// Note [Pooling scan order]: libtorch scans each window row by row and keeps the
// first maximum (a NaN always replaces the running maximum). The kernel visits the
// kernel offsets (ki, kj) in that order for a whole output row at once, so each
// window still sees its elements in scan order while the loop over the output
// row vectorises (the comparisons are data-dependent: branches would mispredict).
template <class T>
void max_pool2d(const T* x, T* out, int64_t* indices, int64_t planes, const PoolGeometry& g) {
  if (is_plain_2x2(g)) return max_pool2x2(x, out, indices, planes, g);
  const int64_t in_plane = g.height * g.width, out_plane = g.out_h * g.out_w, OW = g.out_w;
  // Per output column: the valid output range for each kernel column, and the
  // first in-image input column of its window (-1 if none).
  std::vector<Span> col_spans(static_cast<size_t>(g.kernel_w));
  for (int64_t kj = 0; kj < g.kernel_w; ++kj)
    col_spans[static_cast<size_t>(kj)] = inside(kj * g.dilation_w - g.pad_w, g.width, g.stride_w, OW);
  std::vector<int64_t> first_col(static_cast<size_t>(OW));
  for (int64_t ow = 0; ow < OW; ++ow) {
    int64_t w0 = ow * g.stride_w - g.pad_w;
    const int64_t w1 = std::min(w0 + (g.kernel_w - 1) * g.dilation_w + 1, g.width);
    while (w0 < 0) w0 += g.dilation_w;
    first_col[static_cast<size_t>(ow)] = w0 < w1 ? w0 : -1;
  }
  for_each_plane(planes, out_plane * g.kernel_h * g.kernel_w, [&](int64_t p) {
    const T* __restrict src = x + p * in_plane;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      T* __restrict best = out + p * out_plane + oh * OW;
      int64_t* __restrict best_idx = indices + p * out_plane + oh * OW;
      int64_t h0 = oh * g.stride_h - g.pad_h;
      const int64_t h1 = std::min(h0 + (g.kernel_h - 1) * g.dilation_h + 1, g.height);
      while (h0 < 0) h0 += g.dilation_h;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = first_col[static_cast<size_t>(ow)];
        best[ow] = -std::numeric_limits<T>::infinity();
        best_idx[ow] = h0 < h1 && w0 >= 0 ? h0 * g.width + w0 : -1;
      }
      // Locals, not g's fields: the index stores could alias them otherwise.
      const int64_t stride_w = g.stride_w;
      for (int64_t h = h0; h < h1; h += g.dilation_h)
        for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
          const Span s = col_spans[static_cast<size_t>(kj)];
          const int64_t base = h * g.width + kj * g.dilation_w - g.pad_w;
          for (int64_t ow = s.begin; ow < s.end; ++ow) {
            const int64_t i = base + ow * stride_w;
            const T v = src[i];
            const bool take = (v > best[ow]) | (v != v);
            best[ow] = take ? v : best[ow];
            best_idx[ow] = take ? i : best_idx[ow];
          }
        }
    }
  });
}

template <class T>
void scatter_add_planes(const T* src, const int64_t* index, T* out, int64_t planes, int64_t src_plane,
                        int64_t out_plane) {
  for_each_plane(planes, src_plane + out_plane, [&](int64_t p) {
    T* dst = out + p * out_plane;
    std::fill(dst, dst + out_plane, T(0));
    const T* s = src + p * src_plane;
    const int64_t* idx = index + p * src_plane;
    for (int64_t i = 0; i < src_plane; ++i)
      if (idx[i] >= 0) dst[idx[i]] += s[i];
  });
}

template <class T>
void gather_planes(const T* src, const int64_t* index, T* out, int64_t planes, int64_t src_plane,
                   int64_t index_plane) {
  for_each_plane(planes, index_plane, [&](int64_t p) {
    const T* s = src + p * src_plane;
    const int64_t* idx = index + p * index_plane;
    T* dst = out + p * index_plane;
    for (int64_t i = 0; i < index_plane; ++i) dst[i] = idx[i] >= 0 ? s[idx[i]] : T(0);
  });
}

template void max_pool2d<float>(const float*, float*, int64_t*, int64_t, const PoolGeometry&);
template void max_pool2d<double>(const double*, double*, int64_t*, int64_t, const PoolGeometry&);
template void scatter_add_planes<float>(const float*, const int64_t*, float*, int64_t, int64_t, int64_t);
template void scatter_add_planes<double>(const double*, const int64_t*, double*, int64_t, int64_t, int64_t);
template void gather_planes<float>(const float*, const int64_t*, float*, int64_t, int64_t, int64_t);
template void gather_planes<double>(const double*, const int64_t*, double*, int64_t, int64_t, int64_t);

}  // namespace tg::kernels
