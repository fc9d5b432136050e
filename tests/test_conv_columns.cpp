// im2col / col2im (src/kernels/conv.cpp) against their definition, written out
// naively here, on geometries that take every path: float32 rows with a width
// stride of 1 or 2 go through masked vectors (Note [Masked column rows]) sixteen
// columns at a time, so widths below, at and above sixteen; strided, padded,
// dilated and 'same'-shaped windows; float64 through the scalar loops. Copies
// must be exact, and col2im's sums the same bits as adding the entries in
// (ki, kj) order.
#include <cstring>
#include <vector>

#include "kernels/conv.h"
#include "support/conv_taps.h"
#include "support/test_support.h"

using namespace tg;
using kernels::ConvGeometry;

namespace {

ConvGeometry geometry(int64_t channels, int64_t height, int64_t width, int64_t kernel, int64_t stride, int64_t pad,
                      int64_t dilation) {
  ConvGeometry g;
  g.channels = channels;
  g.height = height;
  g.width = width;
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  g.pad_h = g.pad_w = pad;
  g.dilation_h = g.dilation_w = dilation;
  g.out_h = (height + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
  g.out_w = (width + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
  return g;
}

template <class T>
void check(const ConvGeometry& g, int64_t batch) {
  SCOPED_TRACE(::testing::Message() << "channels " << g.channels << ", " << g.height << "x" << g.width << ", kernel "
                                    << g.kernel_h << ", stride " << g.stride_h << ", pad " << g.pad_h
                                    << ", dilation " << g.dilation_h << ", " << sizeof(T) * 8 << "-bit");
  const int64_t L = g.col_cols(), rows = g.col_rows();
  std::vector<T> x(static_cast<size_t>(batch * g.image_size()));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(1.0 + static_cast<double>(i % 97) / 7.0);
  std::vector<T> cols(static_cast<size_t>(batch * rows * L), T(-1));
  kernels::im2col<T>(x.data(), cols.data(), batch, g);
  // Column entries with values of mixed magnitudes, so that another order of the
  // sums would round differently.
  std::vector<T> entries(cols.size());
  for (size_t i = 0; i < entries.size(); ++i) entries[i] = static_cast<T>((i % 13 == 0 ? 1e7 : 0.1) * (1 + i % 11));
  std::vector<T> back(x.size(), T(-1)), back_scratch(x.size(), T(-1));
  std::vector<T> scratch = entries;
  kernels::col2im<T>(entries.data(), back.data(), batch, g);
  kernels::col2im_scratch<T>(scratch.data(), back_scratch.data(), batch, g);

  std::vector<T> expected_back(x.size(), T(0));
  int64_t mismatches = 0;
  for (int64_t n = 0; n < batch; ++n)
    tg::testing::for_each_tap(g, [&](int64_t c, int64_t ki, int64_t kj, int64_t oh, int64_t ow, int64_t ih,
                                     int64_t iw, bool inside) {
      const auto at =
          static_cast<size_t>(((n * rows + (c * g.kernel_h + ki) * g.kernel_w + kj) * L) + oh * g.out_w + ow);
      const auto pixel = static_cast<size_t>(((n * g.channels + c) * g.height + ih) * g.width + iw);
      const T want = inside ? x[pixel] : T(0);
      if (std::memcmp(&cols[at], &want, sizeof(T)) != 0) ++mismatches;
      if (inside) expected_back[pixel] += entries[at];
    });
  EXPECT_EQ(mismatches, 0) << "im2col entries differ from the input pixels they read";
  EXPECT_EQ(std::memcmp(back.data(), expected_back.data(), back.size() * sizeof(T)), 0) << "col2im";
  EXPECT_EQ(std::memcmp(back_scratch.data(), expected_back.data(), back.size() * sizeof(T)), 0) << "col2im_scratch";
}

}  // namespace

TEST(ConvColumns, Im2colAndCol2imFollowTheirDefinitionOnEveryPath) {
  struct Case {
    int64_t channels, height, width, kernel, stride, pad, dilation;
  };
  const Case cases[] = {
      {2, 14, 14, 3, 1, 1, 1},  // the CNN's second layer: 'same', one vector per row
      {1, 28, 28, 3, 1, 1, 1},  // its first: two vectors per row
      {3, 5, 16, 3, 1, 1, 1},   // exactly one vector
      {2, 6, 17, 3, 1, 1, 1},   // one lane past it
      {2, 7, 33, 4, 1, 2, 1},   // even kernel, wider padding than needed
      {2, 9, 20, 3, 1, 2, 2},   // dilated
      {1, 4, 5, 5, 1, 0, 1},    // a kernel as wide as the image
      {2, 3, 4, 3, 1, 3, 1},    // padding wider than the image: rows of zeros
      {2, 11, 19, 3, 2, 1, 1},  // stride 2: two loads and a permute per vector
      {2, 9, 32, 3, 2, 1, 1},   // stride 2, sixteen output columns: the second load ends the row
      {1, 7, 70, 3, 2, 1, 1},   // stride 2, three vectors per row
      {2, 8, 37, 4, 2, 3, 2},   // stride 2, dilated, padding wider than needed
      {1, 5, 6, 5, 2, 4, 1},    // stride 2, padding wider than the image
      {2, 11, 19, 3, 3, 1, 1},  // stride 3: the scalar loops
      {1, 8, 21, 2, 1, 0, 3},   // no padding, dilated
      {3, 10, 10, 1, 1, 0, 1},  // 1x1
  };
  for (const Case& c : cases) {
    const ConvGeometry g = geometry(c.channels, c.height, c.width, c.kernel, c.stride, c.pad, c.dilation);
    check<float>(g, 2);
    check<double>(g, 2);
  }
}
