#include "kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.h"

namespace tg::kernels {
namespace {

// Planes are independent: the unit of parallelism, with enough of them per
// thread to cover the cost of waking it.
template <class F>
void for_each_plane(int64_t planes, int64_t work_per_plane, const F& fn) {
  core::parallel_for(planes, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(work_per_plane, 1)),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t p = begin; p < end; ++p) fn(p);
                     });
}

}  // namespace

template <class T>
void max_pool2d(const T* x, T* out, int64_t* indices, int64_t planes, const PoolGeometry& g) {
  const int64_t in_plane = g.height * g.width, out_plane = g.out_h * g.out_w;
  for_each_plane(planes, out_plane * g.kernel_h * g.kernel_w, [&](int64_t p) {
    const T* src = x + p * in_plane;
    T* dst = out + p * out_plane;
    int64_t* idx = indices + p * out_plane;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      int64_t h0 = oh * g.stride_h - g.pad_h;
      const int64_t h1 = std::min(h0 + (g.kernel_h - 1) * g.dilation_h + 1, g.height);
      while (h0 < 0) h0 += g.dilation_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        int64_t w0 = ow * g.stride_w - g.pad_w;
        const int64_t w1 = std::min(w0 + (g.kernel_w - 1) * g.dilation_w + 1, g.width);
        while (w0 < 0) w0 += g.dilation_w;
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_idx = h0 < h1 && w0 < w1 ? h0 * g.width + w0 : -1;
        for (int64_t h = h0; h < h1; h += g.dilation_h)
          for (int64_t w = w0; w < w1; w += g.dilation_w) {
            const T v = src[h * g.width + w];
            if (v > best || std::isnan(v)) {
              best = v;
              best_idx = h * g.width + w;
            }
          }
        dst[oh * g.out_w + ow] = best;
        idx[oh * g.out_w + ow] = best_idx;
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
