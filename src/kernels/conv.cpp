#include "kernels/conv.h"

#include <algorithm>
#include <cstring>

#include "core/parallel.h"

namespace tg::kernels {
namespace {

// The output positions o in [0, out) whose input position o * stride + offset lies
// inside [0, size): a contiguous range, so each row needs no per-element test.
struct Span {
  int64_t begin, end;
};
Span inside(int64_t offset, int64_t size, int64_t stride, int64_t out) {
  const int64_t b = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t e = offset >= size ? 0 : (size - 1 - offset) / stride + 1;
  const int64_t begin = std::min(b, out);
  return {begin, std::max(begin, std::min(e, out))};
}

// Work on one (image, channel) plane is independent of every other plane, in
// both directions: the unit of parallelism.
template <class F>
void for_each_plane(int64_t batch, const ConvGeometry& g, const F& fn) {
  const int64_t per_plane = std::max<int64_t>(1, g.kernel_h * g.kernel_w * g.col_cols());
  core::parallel_for(batch * g.channels, std::max<int64_t>(1, core::kElementwiseGrain / per_plane),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t p = begin; p < end; ++p) fn(p);
                     });
}

}  // namespace

template <class T>
void im2col(const T* x, T* cols, int64_t batch, const ConvGeometry& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, L = g.col_cols(), OW = g.out_w;
  for_each_plane(batch, g, [&](int64_t p) {
    const T* plane = x + p * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        T* row = cols + (p * kk + ki * g.kernel_w + kj) * L;
        const int64_t col_offset = kj * g.dilation_w - g.pad_w;
        const Span s = inside(col_offset, g.width, g.stride_w, OW);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          T* dst = row + oh * OW;
          const int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (ih < 0 || ih >= g.height) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T* src = plane + ih * g.width;
          std::fill(dst, dst + s.begin, T(0));
          if (g.stride_w == 1) {
            std::memcpy(dst + s.begin, src + (col_offset + s.begin), static_cast<size_t>(s.end - s.begin) * sizeof(T));
          } else {
            for (int64_t ow = s.begin; ow < s.end; ++ow) dst[ow] = src[col_offset + ow * g.stride_w];
          }
          std::fill(dst + s.end, dst + OW, T(0));
        }
      }
  });
}

template <class T>
void col2im(const T* cols, T* x, int64_t batch, const ConvGeometry& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, L = g.col_cols(), OW = g.out_w;
  for_each_plane(batch, g, [&](int64_t p) {
    T* plane = x + p * g.height * g.width;
    std::fill(plane, plane + g.height * g.width, T(0));
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const T* row = cols + (p * kk + ki * g.kernel_w + kj) * L;
        const int64_t col_offset = kj * g.dilation_w - g.pad_w;
        const Span s = inside(col_offset, g.width, g.stride_w, OW);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (ih < 0 || ih >= g.height) continue;
          T* dst = plane + ih * g.width;
          const T* src = row + oh * OW;
          if (g.stride_w == 1) {
            for (int64_t ow = s.begin; ow < s.end; ++ow) dst[col_offset + ow] += src[ow];
          } else {
            for (int64_t ow = s.begin; ow < s.end; ++ow) dst[col_offset + ow * g.stride_w] += src[ow];
          }
        }
      }
  });
}

template void im2col<float>(const float*, float*, int64_t, const ConvGeometry&);
template void im2col<double>(const double*, double*, int64_t, const ConvGeometry&);
template void col2im<float>(const float*, float*, int64_t, const ConvGeometry&);
template void col2im<double>(const double*, double*, int64_t, const ConvGeometry&);

}  // namespace tg::kernels
