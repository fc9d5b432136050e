// oneDNN's direct convolution behind float conv2d (src/kernels/conv_direct.cpp):
// which geometries take it, and its forward, input gradient and weight gradient
// against the definition summed naively in double, over blocks of 1 to 3 images.
// Tolerance: each element within 1e-5 of the sum of its terms' magnitudes
// (float32 sums them in another order; the weight gradient's 600 terms cancel).
// The op's results against libtorch are in test_layers_torch.cpp; its
// thread-count independence in test_layers.cpp.
#include <cmath>
#include <vector>

#include "kernels/conv_direct.h"
#include "support/conv_taps.h"
#include "support/test_support.h"

using namespace tg;
using kernels::ConvGeometry;
using kernels::DirectConv;

namespace {

struct Shape {
  int64_t channels, height, width, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t out_channels;
  int64_t pad_bottom = -1, pad_right = -1;  // -1: as pad_h / pad_w
};

ConvGeometry geometry(const Shape& s) {
  ConvGeometry g;
  g.channels = s.channels;
  g.height = s.height;
  g.width = s.width;
  g.kernel_h = s.kernel_h;
  g.kernel_w = s.kernel_w;
  g.stride_h = s.stride_h;
  g.stride_w = s.stride_w;
  g.pad_h = s.pad_h;
  g.pad_w = s.pad_w;
  g.dilation_h = s.dilation_h;
  g.dilation_w = s.dilation_w;
  const int64_t bottom = s.pad_bottom < 0 ? s.pad_h : s.pad_bottom, right = s.pad_right < 0 ? s.pad_w : s.pad_right;
  g.out_h = (s.height + s.pad_h + bottom - s.dilation_h * (s.kernel_h - 1) - 1) / s.stride_h + 1;
  g.out_w = (s.width + s.pad_w + right - s.dilation_w * (s.kernel_w - 1) - 1) / s.stride_w + 1;
  return g;
}

std::vector<float> values(size_t n, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(std::sin(static_cast<double>(i) * 0.37 + seed) * 2.0);
  return v;
}

// |got - want| <= 1e-5 * magnitude, element by element (magnitude: the sum of
// the absolute values of the element's terms).
::testing::AssertionResult close(const std::vector<float>& got, const std::vector<double>& want,
                                 const std::vector<double>& magnitude) {
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(static_cast<double>(got[i]) - want[i]) <= 1e-5 * magnitude[i]))
      return ::testing::AssertionFailure() << "element " << i << ": " << got[i] << " vs " << want[i]
                                           << " (terms' magnitude " << magnitude[i] << ")";
  return ::testing::AssertionSuccess();
}

void check(const Shape& s, int64_t images) {
  const ConvGeometry g = geometry(s);
  const int64_t oc = s.out_channels, L = g.out_h * g.out_w, image = g.image_size();
  SCOPED_TRACE(::testing::Message() << g.channels << " -> " << oc << " channels, " << g.height << "x" << g.width
                                    << ", kernel " << g.kernel_h << "x" << g.kernel_w << ", " << images << " images");
  const std::vector<float> x = values(static_cast<size_t>(images * image), 1);
  const std::vector<float> w = values(static_cast<size_t>(oc * g.channels * g.kernel_h * g.kernel_w), 2);
  const std::vector<float> bias = values(static_cast<size_t>(oc), 3);
  const std::vector<float> gy = values(static_cast<size_t>(images * oc * L), 4);
  const auto direct = DirectConv::make(g, oc, w.data());
  ASSERT_TRUE(direct) << "expected oneDNN's direct convolution to take this geometry";

  std::vector<float> out(static_cast<size_t>(images * oc * L), -1.0f), gx(x.size(), -1.0f), gw(w.size(), -1.0f);
  direct->forward(x.data(), bias.data(), out.data(), images);
  direct->backward_data(gy.data(), gx.data(), images);
  direct->backward_weights(x.data(), gy.data(), gw.data(), images);

  std::vector<double> want_out(out.size()), want_gx(gx.size(), 0.0), want_gw(gw.size(), 0.0);
  std::vector<double> mag_out(out.size()), mag_gx(gx.size(), 0.0), mag_gw(gw.size(), 0.0);
  for (int64_t n = 0; n < images; ++n)
    for (int64_t o = 0; o < oc; ++o)
      for (int64_t l = 0; l < L; ++l) {
        const auto yi = static_cast<size_t>((n * oc + o) * L + l);
        want_out[yi] = bias[static_cast<size_t>(o)];
        mag_out[yi] = std::abs(want_out[yi]);
      }
  for (int64_t n = 0; n < images; ++n)
    for (int64_t o = 0; o < oc; ++o)
      tg::testing::for_each_tap(g, [&](int64_t c, int64_t ki, int64_t kj, int64_t oh, int64_t ow, int64_t ih,
                                       int64_t iw, bool inside) {
        if (!inside) return;
        const auto xi = static_cast<size_t>(n * image + (c * g.height + ih) * g.width + iw);
        const auto wi = static_cast<size_t>(((o * g.channels + c) * g.kernel_h + ki) * g.kernel_w + kj);
        const auto yi = static_cast<size_t>((n * oc + o) * L + oh * g.out_w + ow);
        const double to_out = static_cast<double>(x[xi]) * w[wi], to_gx = static_cast<double>(gy[yi]) * w[wi];
        const double to_gw = static_cast<double>(gy[yi]) * x[xi];
        want_out[yi] += to_out;
        mag_out[yi] += std::abs(to_out);
        want_gx[xi] += to_gx;
        mag_gx[xi] += std::abs(to_gx);
        want_gw[wi] += to_gw;
        mag_gw[wi] += std::abs(to_gw);
      });
  EXPECT_TRUE(close(out, want_out, mag_out)) << "forward";
  EXPECT_TRUE(close(gx, want_gx, mag_gx)) << "input gradient";
  EXPECT_TRUE(close(gw, want_gw, mag_gw)) << "weight gradient";
}

}  // namespace

TEST(DirectConv, FollowsTheDefinitionOnTheGeometriesItTakes) {
  const Shape shapes[] = {
      {32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 64},          // the CNN's second layer
      {16, 10, 9, 3, 3, 2, 2, 0, 0, 1, 1, 32},           // strided: the last input row is not reached
      {16, 11, 12, 3, 2, 2, 1, 1, 0, 1, 2, 16},          // rectangular kernel, strides and dilations per axis
      {16, 7, 6, 4, 2, 1, 1, 1, 0, 1, 1, 24, 2, 1},      // 'same' for an even kernel: more padding at the end
      {20, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1, 17},            // channel counts that are not multiples of 16
  };
  for (const Shape& s : shapes)
    for (int64_t images : {1, 3}) check(s, images);
}

TEST(DirectConv, LeavesFewChannelsAndPointwiseKernelsToTheGemmPath) {
  const std::vector<float> w(64 * 32 * 9, 1.0f);
  EXPECT_TRUE(DirectConv::make(geometry({32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 64}), 64, w.data()));
  EXPECT_FALSE(DirectConv::make(geometry({1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 32}), 32, w.data()))
      << "one input channel (the CNN's first layer)";
  EXPECT_FALSE(DirectConv::make(geometry({32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 8}), 8, w.data()))
      << "eight output channels";
  EXPECT_FALSE(DirectConv::make(geometry({32, 14, 14, 1, 1, 1, 1, 0, 0, 1, 1, 64}), 64, w.data())) << "1x1";
}
