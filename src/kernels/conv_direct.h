#pragma once
// Float convolutions by oneDNN's direct convolution kernels instead of im2col and
// a GEMM (Note [Direct convolution] in conv_direct.cpp). Tensors stay in plain
// NCHW / OIHW at this interface; the blocked layouts oneDNN computes in live only
// inside a call.
#include <cstdint>
#include <memory>

#include "kernels/conv.h"

namespace tg::kernels {

class DirectConv {
 public:
  // A convolution of one group, images of the geometry g, out_channels filters
  // [out_channels, g.channels, kernel_h, kernel_w] at `weight` (read by forward
  // and backward_data, so it must outlive the object; null when only
  // backward_weights is called); nullptr when oneDNN has no direct kernel for it
  // or the GEMM path is as fast (few channels, 1x1).
  static std::unique_ptr<DirectConv> make(const ConvGeometry& g, int64_t out_channels, const float* weight);
  ~DirectConv();
  DirectConv(const DirectConv&) = delete;
  DirectConv& operator=(const DirectConv&) = delete;

  // Each runs on the calling thread over `images` consecutive images, and may be
  // called from several threads at once on disjoint images.
  // out = conv(x) (+ bias when non-null).
  void forward(const float* x, const float* bias, float* out, int64_t images) const;
  // gx = the input gradient for the output gradient gy.
  void backward_data(const float* gy, float* gx, int64_t images) const;
  // gw = the weight gradient summed over these images (overwritten).
  void backward_weights(const float* x, const float* gy, float* gw, int64_t images) const;

 private:
  struct State;
  explicit DirectConv(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tg::kernels
