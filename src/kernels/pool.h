#pragma once
// 2-D max pooling over planes ([planes, height, width], contiguous), and the
// per-plane scatter / gather through its argmax indices that its backward and
// double backward are made of.
#include <cstdint>

namespace tg::kernels {

struct PoolGeometry {
  int64_t height = 0, width = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0;
};

// out / indices [planes, out_h, out_w]: each window's maximum and its flat index
// in the plane (h * width + w). The first maximum in scan order wins; NaN counts as
// the maximum (the last NaN wins, as libtorch's kernel). A window holding no input
// pixel (possible with dilation) gives -inf and index -1.
template <class T>
void max_pool2d(const T* x, T* out, int64_t* indices, int64_t planes, const PoolGeometry& g);

// out[p] = zeros(out_plane); out[p][index[p][i]] += src[p][i] for i < src_plane.
// Negative indices are skipped.
template <class T>
void scatter_add_planes(const T* src, const int64_t* index, T* out, int64_t planes, int64_t src_plane,
                        int64_t out_plane);

// out[p][i] = src[p][index[p][i]] for i < index_plane (0 for a negative index).
template <class T>
void gather_planes(const T* src, const int64_t* index, T* out, int64_t planes, int64_t src_plane,
                   int64_t index_plane);

}  // namespace tg::kernels
