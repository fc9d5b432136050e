#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/planes.h"

namespace tg::kernels {
namespace {

using detail::inside;
using detail::Span;

// fn(p) for each (image, channel) plane p of a batch of images.
template <class F>
void for_each_plane(int64_t batch, const ConvGeometry& g, const F& fn) {
  detail::for_each_plane(batch * g.channels, g.kernel_h * g.kernel_w * g.col_cols(), fn);
}

// dst[0, n) = src[0, n) for the short runs of an image row: whole 32-byte chunks,
// the last one overlapping its predecessor, inline rather than a memcpy call.
template <class T>
inline void copy_run(T* dst, const T* src, int64_t n) {
  constexpr int64_t chunk = 32 / sizeof(T);
  if (n < chunk) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return;
  }
  for (int64_t i = 0; i + chunk < n; i += chunk) std::memcpy(dst + i, src + i, 32);
  std::memcpy(dst + n - chunk, src + n - chunk, 32);
}

// One plane's rows of the column matrix, one per kernel offset (ki, kj).
template <class T>
void im2col_plane(const T* plane, T* cols, const ConvGeometry& g) {
  const int64_t L = g.col_cols(), OW = g.out_w, W = g.width;
  for (int64_t ki = 0; ki < g.kernel_h; ++ki)
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      T* row = cols + (ki * g.kernel_w + kj) * L;
      const int64_t row_offset = ki * g.dilation_h - g.pad_h, col_offset = kj * g.dilation_w - g.pad_w;
      const Span r = inside(row_offset, g.height, g.stride_h, g.out_h);
      const Span s = inside(col_offset, W, g.stride_w, OW);
      if (r.begin == r.end || s.begin == s.end) {
        std::fill(row, row + L, T(0));
        continue;
      }
      if (g.stride_h == 1 && g.stride_w == 1 && OW == W) {
        // Consecutive output rows read consecutive input rows ('same' padding):
        // one contiguous copy, then the columns that wrapped around re-zeroed.
        const int64_t shift = row_offset * W + col_offset;
        const int64_t first = r.begin * OW + s.begin, last = (r.end - 1) * OW + s.end;
        std::fill(row, row + first, T(0));
        std::memcpy(row + first, plane + (first + shift), static_cast<size_t>(last - first) * sizeof(T));
        std::fill(row + last, row + L, T(0));
        for (int64_t oh = r.begin; oh < r.end; ++oh) {
          std::fill(row + oh * OW, row + oh * OW + s.begin, T(0));
          std::fill(row + oh * OW + s.end, row + (oh + 1) * OW, T(0));
        }
        continue;
      }
      std::fill(row, row + r.begin * OW, T(0));
      for (int64_t oh = r.begin; oh < r.end; ++oh) {
        T* dst = row + oh * OW;
        const int64_t base = (oh * g.stride_h + row_offset) * W + col_offset;
        for (int64_t ow = 0; ow < s.begin; ++ow) dst[ow] = T(0);
        if (g.stride_w == 1) {
          copy_run(dst + s.begin, plane + (base + s.begin), s.end - s.begin);
        } else {
          for (int64_t ow = s.begin; ow < s.end; ++ow) dst[ow] = plane[base + ow * g.stride_w];
        }
        for (int64_t ow = s.end; ow < OW; ++ow) dst[ow] = T(0);
      }
      std::fill(row + r.end * OW, row + L, T(0));
    }
}

#if defined(__AVX512F__)
// Note [Masked column rows]: a float plane's column matrix with unit stride along
// the width, sixteen columns per vector. Each output row of a column-matrix row is
// one masked load (the lanes whose input column lies inside the image; padding
// lanes load as zero and never touch memory) and one masked store, instead of a
// copy and short fills around it: conv2's 288 x 196 column matrix in the CNN took
// 13.8 us per image before (Zen 4, one core). col2im gathers instead of
// scattering: each input row is the sum of the column entries that read it, added
// in the (ki, kj) order the scatter adds them, so the sums are the same bits.

// The lanes [lo, hi) of a sixteen-lane vector (clamped).
inline __mmask16 lanes(int64_t lo, int64_t hi) {
  lo = std::clamp<int64_t>(lo, 0, 16);
  hi = std::clamp<int64_t>(hi, 0, 16);
  return hi <= lo ? __mmask16(0) : static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

bool has_masked_im2col(const ConvGeometry& g) { return g.stride_w == 1 || g.stride_w == 2; }
bool has_masked_col2im(const ConvGeometry& g) { return g.stride_h == 1 && g.stride_w == 1 && g.kernel_w <= 16; }

// The geometry's fields are copied to locals first: the stores through float
// pointers could alias them otherwise, and reloading one on every row put a load
// and a multiply into the chain of source addresses.
// With a stride of 2 along the width (Stride2), sixteen output columns read 32
// input columns: two masked loads, the even elements picked by one permute. A
// stride-2 3 x 3 convolution of 32 x 32 x 32 images spent 35% of its time in
// im2col element by element.
template <bool Stride2>
void im2col_plane_masked(const float* plane, float* cols, const ConvGeometry& g) {
  const int64_t L = g.col_cols(), OW = g.out_w, OH = g.out_h, W = g.width, step = g.stride_h * g.width;
  constexpr int64_t S = Stride2 ? 2 : 1;
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
    const int64_t row_offset = ki * g.dilation_h - g.pad_h;
    const Span r = inside(row_offset, g.height, g.stride_h, OH);
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      float* row = cols + (ki * g.kernel_w + kj) * L;
      const int64_t col_offset = kj * g.dilation_w - g.pad_w;
      for (int64_t ow = 0; ow < OW; ow += 16) {
        // Output column o reads input column S * o + col_offset; element e of the
        // loads is input column S * ow + col_offset + e.
        const __mmask16 store = lanes(0, OW - ow);
        const int64_t first = -col_offset - S * ow, end = W - col_offset - S * ow;
        const bool any = r.begin < r.end;
        const __mmask16 low = any ? (Stride2 ? lanes(first, end) : store & lanes(first, end)) : __mmask16(0);
        const __mmask16 high = any && Stride2 ? lanes(first - 16, end - 16) : __mmask16(0);
        float* dst = row + ow;
        int64_t oh = 0;
        const bool load = low || high;
        for (; oh < (load ? r.begin : OH); ++oh, dst += OW) _mm512_mask_storeu_ps(dst, store, _mm512_setzero_ps());
        if (!load) continue;
        const float* src = plane + (r.begin * step + row_offset * W + col_offset + S * ow);
        for (; oh < r.end; ++oh, src += step, dst += OW) {
          __m512 v = _mm512_maskz_loadu_ps(low, src);
          if constexpr (Stride2) v = _mm512_permutex2var_ps(v, evens, _mm512_maskz_loadu_ps(high, src + 16));
          _mm512_mask_storeu_ps(dst, store, v);
        }
        for (; oh < OH; ++oh, dst += OW) _mm512_mask_storeu_ps(dst, store, _mm512_setzero_ps());
      }
    }
  }
}

// Two input rows at a time: each row's sum is one chain of dependent additions
// (kept in order, for the same bits), and two chains overlap.
void col2im_plane_masked(const float* cols, float* plane, const ConvGeometry& g) {
  const int64_t L = g.col_cols(), OW = g.out_w, OH = g.out_h, W = g.width, H = g.height;
  const int64_t kh = g.kernel_h, kw = g.kernel_w;  // kw at most 16 (has_masked_col2im)
  const int64_t dilation_h = g.dilation_h, pad_h = g.pad_h, pad_w = g.pad_w, next_kj = L - g.dilation_w;
  for (int64_t iw = 0; iw < W; iw += 16) {
    // The lanes of input columns [iw, iw + 16) that kernel column kj reads
    // (input column i is read by output column i - col_offset).
    __mmask16 read[16];
    const __mmask16 in_row = lanes(0, W - iw);
    for (int64_t kj = 0; kj < kw; ++kj) {
      const int64_t col_offset = kj * g.dilation_w - pad_w;
      read[kj] = in_row & lanes(col_offset - iw, OW + col_offset - iw);
    }
    // The sum of the entries that read input row ih.
    auto add_row = [&](int64_t ih, int64_t ki, __m512 sum) {
      const int64_t oh = ih - (ki * dilation_h - pad_h);
      if (oh < 0 || oh >= OH) return sum;
      const float* src = cols + ki * kw * L + oh * OW + iw + pad_w;
      for (int64_t kj = 0; kj < kw; ++kj, src += next_kj)
        if (read[kj]) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(read[kj], src));
      return sum;
    };
    int64_t ih = 0;
    for (; ih + 2 <= H; ih += 2) {
      __m512 first = _mm512_setzero_ps(), second = _mm512_setzero_ps();
      for (int64_t ki = 0; ki < kh; ++ki) {
        first = add_row(ih, ki, first);
        second = add_row(ih + 1, ki, second);
      }
      _mm512_mask_storeu_ps(plane + ih * W + iw, in_row, first);
      _mm512_mask_storeu_ps(plane + (ih + 1) * W + iw, in_row, second);
    }
    if (ih < H) {
      __m512 last = _mm512_setzero_ps();
      for (int64_t ki = 0; ki < kh; ++ki) last = add_row(ih, ki, last);
      _mm512_mask_storeu_ps(plane + ih * W + iw, in_row, last);
    }
  }
}

// col2im_plane's scatter with a width stride of 2, sixteen output columns at a
// time: the entries are spread over the even lanes of two vectors (permutes) and
// added into the 32 input columns they read by masked loads and stores. Within
// one (ki, kj) no two entries meet, so each input element receives its entries
// in (ki, kj) order, as there: the same bits.
bool has_stride2_col2im(const ConvGeometry& g) { return g.stride_w == 2; }

void col2im_plane_stride2(const float* cols, float* plane, const ConvGeometry& g) {
  const int64_t L = g.col_cols(), OW = g.out_w, OH = g.out_h, W = g.width, step = g.stride_h * g.width;
  std::fill(plane, plane + g.height * W, 0.0f);
  const __m512i low_half = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i high_half = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  constexpr __mmask16 kEven = 0x5555;
  for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
    const int64_t row_offset = ki * g.dilation_h - g.pad_h;
    const Span r = inside(row_offset, g.height, g.stride_h, OH);
    if (r.begin == r.end) continue;
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      const float* row = cols + (ki * g.kernel_w + kj) * L;
      const int64_t col_offset = kj * g.dilation_w - g.pad_w;
      for (int64_t ow = 0; ow < OW; ow += 16) {
        // Element e of the two vectors is input column 2 ow + col_offset + e.
        const int64_t n = std::min<int64_t>(16, OW - ow), first = -col_offset - 2 * ow, end = W - col_offset - 2 * ow;
        const __mmask16 low = kEven & lanes(0, 2 * n) & lanes(first, end);
        const __mmask16 high = kEven & lanes(0, 2 * n - 16) & lanes(first - 16, end - 16);
        if (!low && !high) continue;
        const __mmask16 entries = lanes(0, n);
        const float* src = row + r.begin * OW + ow;
        float* dst = plane + (r.begin * step + row_offset * W + col_offset + 2 * ow);
        for (int64_t oh = r.begin; oh < r.end; ++oh, src += OW, dst += step) {
          const __m512 v = _mm512_maskz_loadu_ps(entries, src);
          const __m512 spread_low = _mm512_permutex2var_ps(v, low_half, v);
          const __m512 spread_high = _mm512_permutex2var_ps(v, high_half, v);
          if (low) _mm512_mask_storeu_ps(dst, low, _mm512_add_ps(_mm512_maskz_loadu_ps(low, dst), spread_low));
          if (high)
            _mm512_mask_storeu_ps(dst + 16, high, _mm512_add_ps(_mm512_maskz_loadu_ps(high, dst + 16), spread_high));
        }
      }
    }
  }
}
#endif

// With Scratch, the rows may be overwritten: in the 'same' padding case the
// entries that fall in the left / right padding are zeroed, so that each row adds
// into the plane as one contiguous run instead of one short run per output row.
template <bool Scratch, class T>
void col2im_plane(std::conditional_t<Scratch, T*, const T*> cols, T* plane, const ConvGeometry& g) {
  const int64_t L = g.col_cols(), OW = g.out_w, W = g.width;
  std::fill(plane, plane + g.height * W, T(0));
  for (int64_t ki = 0; ki < g.kernel_h; ++ki)
    for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
      auto* row = cols + (ki * g.kernel_w + kj) * L;
      const int64_t row_offset = ki * g.dilation_h - g.pad_h, col_offset = kj * g.dilation_w - g.pad_w;
      const Span r = inside(row_offset, g.height, g.stride_h, g.out_h);
      const Span s = inside(col_offset, W, g.stride_w, OW);
      if (r.begin == r.end || s.begin == s.end) continue;
      if constexpr (Scratch) {
        if (g.stride_h == 1 && g.stride_w == 1 && OW == W) {
          for (int64_t oh = r.begin; oh < r.end; ++oh) {
            std::fill(row + oh * OW, row + oh * OW + s.begin, T(0));
            std::fill(row + oh * OW + s.end, row + (oh + 1) * OW, T(0));
          }
          const int64_t shift = row_offset * W + col_offset;
          const int64_t first = r.begin * OW + s.begin, last = (r.end - 1) * OW + s.end;
          T* dst = plane + (first + shift);
          for (int64_t i = 0; i < last - first; ++i) dst[i] += row[first + i];
          continue;
        }
      }
      for (int64_t oh = r.begin; oh < r.end; ++oh) {
        const T* src = row + oh * OW;
        const int64_t base = (oh * g.stride_h + row_offset) * W + col_offset;
        if (g.stride_w == 1) {
          for (int64_t ow = s.begin; ow < s.end; ++ow) plane[base + ow] += src[ow];
        } else {
          for (int64_t ow = s.begin; ow < s.end; ++ow) plane[base + ow * g.stride_w] += src[ow];
        }
      }
    }
}

}  // namespace

template <class T>
void im2col(const T* x, T* cols, int64_t batch, const ConvGeometry& g) {
  const int64_t plane_cols = g.kernel_h * g.kernel_w * g.col_cols(), plane = g.height * g.width;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (has_masked_im2col(g))
      return for_each_plane(batch, g, [&](int64_t p) {
        if (g.stride_w == 1) im2col_plane_masked<false>(x + p * plane, cols + p * plane_cols, g);
        else im2col_plane_masked<true>(x + p * plane, cols + p * plane_cols, g);
      });
  }
#endif
  for_each_plane(batch, g, [&](int64_t p) { im2col_plane(x + p * plane, cols + p * plane_cols, g); });
}

template <bool Scratch, class T>
void col2im_planes(std::conditional_t<Scratch, T*, const T*> cols, T* x, int64_t batch, const ConvGeometry& g) {
  const int64_t plane_cols = g.kernel_h * g.kernel_w * g.col_cols(), plane = g.height * g.width;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (has_masked_col2im(g))
      return for_each_plane(batch, g, [&](int64_t p) { col2im_plane_masked(cols + p * plane_cols, x + p * plane, g); });
    if (has_stride2_col2im(g))
      return for_each_plane(batch, g,
                            [&](int64_t p) { col2im_plane_stride2(cols + p * plane_cols, x + p * plane, g); });
  }
#endif
  for_each_plane(batch, g, [&](int64_t p) { col2im_plane<Scratch, T>(cols + p * plane_cols, x + p * plane, g); });
}

template <class T>
void col2im(const T* cols, T* x, int64_t batch, const ConvGeometry& g) {
  col2im_planes<false, T>(cols, x, batch, g);
}

template <class T>
void col2im_scratch(T* cols, T* x, int64_t batch, const ConvGeometry& g) {
  col2im_planes<true, T>(cols, x, batch, g);
}

template void im2col<float>(const float*, float*, int64_t, const ConvGeometry&);
template void im2col<double>(const double*, double*, int64_t, const ConvGeometry&);
template void col2im<float>(const float*, float*, int64_t, const ConvGeometry&);
template void col2im<double>(const double*, double*, int64_t, const ConvGeometry&);
template void col2im_scratch<float>(float*, float*, int64_t, const ConvGeometry&);
template void col2im_scratch<double>(double*, double*, int64_t, const ConvGeometry&);

}  // namespace tg::kernels
