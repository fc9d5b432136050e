#pragma once
// im2col / col2im: a 2-D convolution's input windows unfolded into the columns of
// a matrix, so that the convolution becomes one GEMM with the weight. col2im is
// the adjoint of im2col (each column entry is added back to the pixel it was read
// from), which makes it the backward of im2col and vice versa.
#include <cstdint>

namespace tg::kernels {

// One image [channels, height, width] convolved with a kernel_h x kernel_w window.
// pad_h / pad_w are the top / left padding; the bottom / right padding is implied
// by out_h / out_w (padding='same' pads asymmetrically).
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0;

  // Rows of the column matrix: one per (channel, kernel row, kernel column).
  int64_t col_rows() const { return channels * kernel_h * kernel_w; }
  // Columns: one per output pixel.
  int64_t col_cols() const { return out_h * out_w; }
  int64_t image_size() const { return channels * height * width; }
  // The column matrix is the image itself (a 1x1 kernel, stride 1, no padding).
  bool is_identity() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0 &&
           out_h == height && out_w == width;
  }
};

// cols[b] = im2col(x[b]) for b < batch: x is [batch, C, H, W] and cols
// [batch, C*kh*kw, out_h*out_w], both contiguous; padding reads as zero.
template <class T>
void im2col(const T* x, T* cols, int64_t batch, const ConvGeometry& g);

// x[b] = col2im(cols[b]) for b < batch (x is overwritten): every column entry is
// summed into the input pixel it corresponds to; entries in the padding are dropped.
template <class T>
void col2im(const T* cols, T* x, int64_t batch, const ConvGeometry& g);

// col2im for columns the caller no longer needs: it may overwrite their padding
// entries, which lets it add whole rows at once (faster for 'same' padding).
template <class T>
void col2im_scratch(T* cols, T* x, int64_t batch, const ConvGeometry& g);

}  // namespace tg::kernels
