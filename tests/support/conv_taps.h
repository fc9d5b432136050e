#pragma once
// The taps of a 2-D convolution's windows, written out naively for the tests that
// check the convolution kernels against their definition.
#include <cstdint>

#include "kernels/conv.h"

namespace tg::testing {

// Calls f(c, ki, kj, oh, ow, ih, iw, inside) for every channel c, kernel offset
// (ki, kj) and output pixel (oh, ow) of one image: (ih, iw) is the input pixel
// the tap reads, inside false when it falls in the padding.
template <class F>
void for_each_tap(const kernels::ConvGeometry& g, const F& f) {
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (int64_t kj = 0; kj < g.kernel_w; ++kj)
        for (int64_t oh = 0; oh < g.out_h; ++oh)
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            const int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
            const int64_t iw = ow * g.stride_w - g.pad_w + kj * g.dilation_w;
            f(c, ki, kj, oh, ow, ih, iw, ih >= 0 && ih < g.height && iw >= 0 && iw < g.width);
          }
}

}  // namespace tg::testing
