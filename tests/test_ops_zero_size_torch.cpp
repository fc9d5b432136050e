// Zero-size tensors through every op of the op table (tests/op_table*.cpp) and its
// backward, against libtorch 1.13. Each sample gets variants in which one input,
// or every input, has one of its dims emptied (size 0); libtorch decides what is
// right: where it raises, tensorgrad must raise a tg::Error; where it computes,
// tensorgrad must give the same shape, dtype and values, and the same gradients.
#include <ostream>

#include "op_table_variants.h"
#include "support/test_support.h"
#include "support/torch_support.h"

namespace tg::optable {
namespace {

// Same definedness, shape, dtype and values (NaN for NaN).
::testing::AssertionResult same(const Tensor& got, const torch::Tensor& expected) {
  return testing::matches_torch(got, expected, 1e-12);
}

// conv2d over zero input channels: libtorch 1.13 returns an empty [N, 0, H', W']
// (its shortcut for empty inputs, which drops the bias too); tensorgrad sums over
// no channels: zeros plus the bias, of shape [N, out_channels, H', W'].
bool zero_channel_conv(const Variant& v) {
  return v.entry->name.starts_with("conv2d") && v.input < 0 && v.dim == 1;
}
::testing::AssertionResult is_zero_channel_conv(const Tensor& got, const torch::Tensor& expected,
                                                const std::vector<Tensor>& in) {
  const std::vector<int64_t> shape = {expected.size(0), in[1].size(0), expected.size(2), expected.size(3)};
  if (got.sizes().vec() != shape) return ::testing::AssertionFailure() << "shape " << got.sizes();
  const Tensor want = in.size() > 2 && in[2].defined() ? in[2].detach().reshape({1, -1, 1, 1}).expand(shape)
                                                       : zeros(shape, got.dtype());
  return got.equal(want) ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << "values";
}

class ZeroSize : public ::testing::TestWithParam<Variant> {};

TEST_P(ZeroSize, MatchesLibtorch) {
  const Variant& v = GetParam();
  std::vector<Tensor> tg_in;
  std::vector<torch::Tensor> torch_in;
  for (size_t k = 0; k < v.sample->inputs.size(); ++k) {
    const Input in = variant_input(v, k);
    const bool grad = in.values.is_floating_point() && !in.no_grad;
    tg_in.push_back(realize(in, kDouble, grad));
    torch_in.push_back(to_torch(tg_in.back()).requires_grad_(grad));
  }
  torch::Tensor expected;
  std::string torch_error;
  try {
    expected = v.entry->torch_fn(torch_in);
  } catch (const std::exception& e) {
    torch_error = e.what();
  }
  if (!torch_error.empty()) {
    const std::string first_line = torch_error.substr(0, torch_error.find('\n'));
    EXPECT_THROW_MSG(v.entry->fn(tg_in), "") << "libtorch raises: " << first_line;
    return;
  }
  Tensor got;
  try {
    got = v.entry->fn(tg_in);
  } catch (const Error& e) {
    FAIL() << "tensorgrad raises \"" << e.what() << "\" where libtorch gives " << expected.sizes();
  }
  if (zero_channel_conv(v)) {
    EXPECT_TRUE(is_zero_channel_conv(got, expected, tg_in));
    return;
  }
  ASSERT_TRUE(same(got, expected));
  ASSERT_EQ(got.requires_grad(), expected.requires_grad());
  if (!expected.requires_grad()) return;
  const Tensor g = ones_like(got);
  got.backward(g);
  expected.backward(to_torch(g));
  for (size_t k = 0; k < tg_in.size(); ++k)
    if (tg_in[k].requires_grad()) EXPECT_TRUE(same(tg_in[k].grad(), torch_in[k].grad())) << "gradient of input " << k;
}

INSTANTIATE_TEST_SUITE_P(OpTable, ZeroSize, ::testing::ValuesIn(zero_size_variants()),
                         [](const ::testing::TestParamInfo<Variant>& info) { return variant_name(info.param); });

}  // namespace
}  // namespace tg::optable
