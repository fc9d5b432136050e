// The tensor core against libtorch 1.13: every view op gives the same sizes,
// strides, storage offset and contiguity as libtorch's and shares memory exactly
// when libtorch's does (reshape and flatten copy only when libtorch's copy);
// creation functions give the same values and dtypes; operator<< prints the same
// text. The calls are written once and compiled for both libraries.
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/test_support.h"
#include "support/torch_support.h"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using TgFn = std::function<tg::Tensor(const tg::Tensor&)>;
using TorchFn = std::function<torch::Tensor(const torch::Tensor&)>;

// `expr` of the base tensor `b`, compiled for both libraries (`N` is tg or torch).
#define BOTH(expr)                                  \
  TgFn([](const tg::Tensor& b) -> tg::Tensor {      \
    namespace N = tg;                               \
    using namespace tg::indexing;                   \
    (void)b;                                        \
    return expr;                                    \
  }),                                               \
      TorchFn([](const torch::Tensor& b) -> torch::Tensor { \
        namespace N = torch;                        \
        using namespace torch::indexing;            \
        (void)b;                                    \
        return expr;                                \
      })

struct ViewCase {
  std::string name;
  TgFn tg_fn;
  TorchFn torch_fn;
};

// Each case runs on three bases holding the same values 0..23 of shape {2,3,4}:
// contiguous, stored permuted (strides {3,1,6}), and a narrowed view of a bigger
// tensor (storage offset 4, strides {20,4,1}).
std::vector<ViewCase> view_cases() {
  return {
      {"transpose", BOTH(b.transpose(0, 2))},
      {"transpose_negative", BOTH(N::transpose(b, -1, -2))},
      {"permute", BOTH(b.permute({1, 2, 0}))},
      {"permute_negative", BOTH(b.permute({-1, 0, -2}))},
      {"slice", BOTH(b.slice(2, 1, 3))},
      {"slice_step", BOTH(b.slice(2, 1, 4, 2))},
      {"slice_step_3", BOTH(b.slice(1, 0, 100, 3))},
      {"slice_negative_start", BOTH(b.slice(-1, -3))},
      {"slice_end_past_size", BOTH(b.slice(0, 1, 100))},
      {"slice_empty", BOTH(b.slice(1, 2, 1))},
      {"select", BOTH(b.select(1, 2))},
      {"select_negative", BOTH(b.select(-1, -1))},
      {"subscript", BOTH(b[1])},
      {"narrow", BOTH(b.narrow(2, 1, 2))},
      {"narrow_negative", BOTH(b.narrow(-2, -2, 2))},
      {"expand_new_dim", BOTH(b.expand({5, 2, 3, 4}))},
      {"expand_size_one", BOTH(b.narrow(1, 0, 1).expand({2, 3, 4}))},
      {"expand_keep", BOTH(b.narrow(2, 0, 1).expand({-1, -1, 6}))},
      {"index_slice_none_ellipsis_int", BOTH(b.index({Slice(1, None), None, Ellipsis, -1}))},
      {"index_ellipsis_step", BOTH(b.index({Ellipsis, Slice(None, None, 3)}))},
      {"index_int_step_none", BOTH(b.index({1, Slice(0, 3, 2), None}))},
      {"index_ints", BOTH(b.index({0, -1}))},
      {"index_none_first", BOTH(b.index({None, Slice(), 2}))},
      {"index_ellipsis_only", BOTH(b.index({Ellipsis}))},
      {"index_negative_slice", BOTH(b.index({Slice(-2, None), Slice(None, -1)}))},
      {"t_matrix", BOTH(b.select(0, 1).t())},
      {"t_vector", BOTH(b.select(0, 1).select(0, 2).t())},
      {"t_function", BOTH(N::t(b.select(2, 3)))},
      {"mT", BOTH(b.mT())},
      {"mT_matrix", BOTH(b.select(1, 0).mT())},
      {"squeeze", BOTH(b.narrow(1, 1, 1).squeeze())},
      {"squeeze_dim", BOTH(b.narrow(2, 0, 1).squeeze(-1))},
      {"squeeze_not_one", BOTH(b.squeeze(0))},
      {"unsqueeze_front", BOTH(b.unsqueeze(0))},
      {"unsqueeze_middle", BOTH(b.unsqueeze(2))},
      {"unsqueeze_back", BOTH(b.unsqueeze(-1))},
      {"view", BOTH(b.contiguous().view({4, 6}))},
      {"view_inferred", BOTH(b.select(0, 0).view({-1}))},
      {"view_split_dim", BOTH(b.narrow(1, 0, 2).view({2, 2, 2, 2}))},
      {"view_as", BOTH(b.select(1, 1).view_as(N::zeros({8})))},
      {"view_not_viewable", BOTH(b.transpose(1, 2).view({2, 12}))},
      {"reshape_same", BOTH(b.reshape({2, 3, 4}))},
      {"reshape_merge", BOTH(b.reshape({6, 4}))},
      {"reshape_flat", BOTH(b.reshape({-1}))},
      {"reshape_split_last", BOTH(b.reshape({2, 3, 2, 2}))},
      {"reshape_of_transposed", BOTH(b.transpose(1, 2).reshape({2, 12}))},
      {"reshape_of_transposed_viewable", BOTH(b.transpose(1, 2).reshape({2, 2, 2, 3}))},
      {"reshape_of_expanded", BOTH(b.narrow(2, 0, 1).expand({2, 3, 4}).reshape({6, 4}))},
      {"reshape_of_expanded_copy", BOTH(b.narrow(2, 0, 1).expand({2, 3, 4}).reshape({24}))},
      {"reshape_of_slice", BOTH(b.slice(2, 0, 4, 2).reshape({6, 2}))},
      {"reshape_of_slice_copy", BOTH(b.slice(2, 0, 4, 2).reshape({12}))},
      {"reshape_as", BOTH(b.reshape_as(b.select(0, 0).t().unsqueeze(0).expand({2, 4, 3})))},
      {"flatten", BOTH(b.flatten())},
      {"flatten_range", BOTH(b.flatten(1))},
      {"flatten_of_transposed", BOTH(b.transpose(0, 1).flatten(1))},
      {"flatten_zero_dim", BOTH(b.select(0, 0).select(0, 0).select(0, 0).flatten())},
      {"contiguous", BOTH(b.contiguous())},
      {"view_of_view", BOTH(b.transpose(0, 1).select(2, 1).slice(0, 1, 3))},
  };
}

enum class Base { Contiguous, Permuted, Offset };
const char* base_name(Base b) {
  switch (b) {
    case Base::Contiguous: return "contiguous";
    case Base::Permuted: return "permuted";
    case Base::Offset: return "offset";
  }
  return "";
}

// The {2,3,4} base, values 0..23 in row-major order, laid out as asked.
tg::Tensor tg_base(Base b) {
  switch (b) {
    case Base::Contiguous: return tg::arange(24, tg::kFloat).reshape({2, 3, 4});
    // Stored as {4,2,3} and permuted back: strides {3,1,6}.
    case Base::Permuted: return tg::arange(24, tg::kFloat).reshape({2, 3, 4}).permute({2, 0, 1}).contiguous().permute({1, 2, 0});
    // Rows 1..3 of a {2,5,4}: storage offset 4, strides {20,4,1}.
    case Base::Offset: return tg::arange(40, tg::kFloat).reshape({2, 5, 4}).narrow(1, 1, 3).sub_(4).add_(tg::tensor({0.0f, -8.0f}).reshape({2, 1, 1}));
  }
  return {};
}
torch::Tensor torch_base(Base b) {
  switch (b) {
    case Base::Contiguous: return torch::arange(24, torch::kFloat).reshape({2, 3, 4});
    case Base::Permuted:
      return torch::arange(24, torch::kFloat).reshape({2, 3, 4}).permute({2, 0, 1}).contiguous().permute({1, 2, 0});
    case Base::Offset:
      return torch::arange(40, torch::kFloat).reshape({2, 5, 4}).narrow(1, 1, 3).sub_(4).add_(torch::tensor({0.0f, -8.0f}).reshape({2, 1, 1}));
  }
  return {};
}

std::vector<double> torch_values(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

struct Param {
  const ViewCase* c;
  Base base;
};
std::vector<Param> params() {
  static const std::vector<ViewCase> all = view_cases();
  std::vector<Param> out;
  for (const ViewCase& c : all)
    for (Base b : {Base::Contiguous, Base::Permuted, Base::Offset}) out.push_back({&c, b});
  return out;
}

class ViewLayout : public ::testing::TestWithParam<Param> {};

TEST_P(ViewLayout, SizesStridesOffsetAndSharingMatchLibtorch) {
  const Param& p = GetParam();
  tg::Tensor tb = tg_base(p.base);
  torch::Tensor rb = torch_base(p.base);
  // The bases themselves agree (a precondition of the comparison).
  ASSERT_EQ(tb.strides().vec(), rb.strides().vec());
  ASSERT_EQ(tb.storage_offset(), rb.storage_offset());
  ASSERT_EQ(tg::testing::values(tb), torch_values(rb));

  // Where libtorch refuses (view() of a layout it cannot view), tensorgrad must
  // refuse with libtorch's message.
  torch::Tensor expected;
  std::string torch_error;
  try {
    expected = p.c->torch_fn(rb);
  } catch (const std::exception& e) {
    torch_error = e.what();
    torch_error = torch_error.substr(0, torch_error.find('\n'));
  }
  if (!torch_error.empty()) {
    EXPECT_THROW_MSG(p.c->tg_fn(tb), torch_error);
    return;
  }
  tg::Tensor got = p.c->tg_fn(tb);
  EXPECT_EQ(got.sizes().vec(), expected.sizes().vec());
  EXPECT_EQ(got.strides().vec(), expected.strides().vec());
  EXPECT_EQ(got.is_contiguous(), expected.is_contiguous());
  const bool torch_shares = expected.storage().is_alias_of(rb.storage());
  EXPECT_EQ(got.is_view_of(tb), torch_shares) << "libtorch's result " << (torch_shares ? "is a view" : "is a copy");
  if (torch_shares) EXPECT_EQ(got.storage_offset(), expected.storage_offset());
  else EXPECT_EQ(got.storage_offset(), 0);
  EXPECT_EQ(tg::testing::values(got), torch_values(expected));
}

INSTANTIATE_TEST_SUITE_P(Views, ViewLayout, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return info.param.c->name + "_" + base_name(info.param.base);
                         });

// Writing through a view changes the base in both libraries, at the same elements.
TEST(ViewLayout, WritesThroughViewsReachTheBaseAsInLibtorch) {
  for (Base base : {Base::Contiguous, Base::Permuted, Base::Offset}) {
    tg::Tensor tb = tg_base(base);
    torch::Tensor rb = torch_base(base);
    tb.transpose(0, 2).select(1, 1).fill_(-1);
    rb.transpose(0, 2).select(1, 1).fill_(-1);
    tb.slice(2, 0, 4, 3).narrow(1, 1, 2).mul_(10);
    rb.slice(2, 0, 4, 3).narrow(1, 1, 2).mul_(10);
    tb.index({tg::indexing::Ellipsis, 1}).copy_(tg::tensor({7.0f, 8.0f, 9.0f}));
    rb.index({torch::indexing::Ellipsis, 1}).copy_(torch::tensor({7.0f, 8.0f, 9.0f}));
    tb.reshape({-1}).narrow(0, 0, 1).add_(100);  // a view only when the base is contiguous
    rb.reshape({-1}).narrow(0, 0, 1).add_(100);
    EXPECT_EQ(tg::testing::values(tb), torch_values(rb)) << base_name(base);
  }
}

// One source for both libraries: in-place edits through const references (libtorch's
// in-place methods are const), including the gradient reached through grad(), and
// assignments to temporaries (views), which write into the tensor.
template <class Tensor>
void edit_through_const_references(const Tensor& t, const Tensor& w) {
  t.add_(1).mul_(3).sub_(1, 2).div_(4);
  w.requires_grad_();
  (w * t).sum().backward();
  w.grad().mul_(10).add_(t);
  t[0] = 5;
  t.slice(0, 1) = t.slice(0, 0, 2) + 1;
}

TEST(InPlace, ConstReferencesEditTheSameValuesAsInLibtorch) {
  static_assert(std::is_same_v<decltype(std::declval<const torch::Tensor&>().add_(1)), torch::Tensor&>);
  static_assert(std::is_same_v<decltype(std::declval<const tg::Tensor&>().add_(1)), tg::Tensor&>);
  static_assert(std::is_same_v<decltype(std::declval<const torch::Tensor&>().requires_grad_()),
                               const torch::Tensor&>);
  static_assert(std::is_same_v<decltype(std::declval<const tg::Tensor&>().requires_grad_()), const tg::Tensor&>);
  const tg::Tensor t = tg::tensor({1.0, 2.0, 3.0}), w = tg::tensor({0.5, -1.0, 2.0});
  const torch::Tensor rt = torch::tensor({1.0, 2.0, 3.0}), rw = torch::tensor({0.5, -1.0, 2.0});
  edit_through_const_references(t, w);
  edit_through_const_references(rt, rw);
  EXPECT_EQ(tg::testing::values(t), torch_values(rt));
  EXPECT_EQ(tg::testing::values(t), (std::vector<double>{5.0, 6.0, 2.75}));
  EXPECT_EQ(tg::testing::values(w.grad()), torch_values(rw.grad()));
  EXPECT_EQ(tg::testing::values(w.grad()), (std::vector<double>{11.0, 19.25, 27.5}));
}

// contiguous() returns the tensor itself when it is contiguous, a copy otherwise.
TEST(ViewLayout, ContiguousReturnsSelfExactlyWhenLibtorchDoes) {
  for (Base base : {Base::Contiguous, Base::Permuted, Base::Offset}) {
    tg::Tensor tb = tg_base(base);
    torch::Tensor rb = torch_base(base);
    EXPECT_EQ(tb.contiguous().is_same(tb), rb.contiguous().is_same(rb)) << base_name(base);
    EXPECT_EQ(tb.contiguous().data_ptr() == tb.data_ptr(), rb.contiguous().data_ptr() == rb.data_ptr());
  }
}

// ---- creation -------------------------------------------------------------------------------------
struct Created {
  std::string name;
  std::function<tg::Tensor()> tg_fn;
  std::function<torch::Tensor()> torch_fn;
};
#define CREATE(expr)                               \
  [] {                                             \
    namespace N = tg;                              \
    return expr;                                   \
  },                                               \
      [] {                                         \
        namespace N = torch;                       \
        return expr;                               \
      }

using tg::testing::from_torch;

TEST(Creation, ValuesShapesDtypesAndStridesMatchLibtorch) {
  const std::vector<Created> cases = {
      {"eye", CREATE(N::eye(3))},
      {"eye_rect", CREATE(N::eye(2, 4))},
      {"eye_double", CREATE(N::eye(3, N::dtype(N::kDouble)))},
      {"eye_long", CREATE(N::eye(2, 3, N::kLong))},
      {"eye_zero", CREATE(N::eye(0))},
      {"arange_end", CREATE(N::arange(5))},
      {"arange_float_end", CREATE(N::arange(2.5))},
      {"arange_start_end", CREATE(N::arange(-2, 3))},
      {"arange_step", CREATE(N::arange(0, 10, 3))},
      {"arange_float_step", CREATE(N::arange(0.0, 1.0, 0.25))},
      {"arange_negative_step", CREATE(N::arange(5, 0, -2))},
      {"arange_double", CREATE(N::arange(4, N::kDouble))},
      {"arange_empty", CREATE(N::arange(3, 3))},
      {"full_float", CREATE(N::full({2, 3}, 1.5))},
      {"full_int", CREATE(N::full({2}, 7))},
      {"full_bool", CREATE(N::full({2, 2}, true))},
      {"full_dtype", CREATE(N::full({3}, 2, N::kDouble))},
      {"full_zero_dim", CREATE(N::full({}, -4.25))},
      {"zeros", CREATE(N::zeros({2, 0, 3}))},
      {"ones_long", CREATE(N::ones({2, 2}, N::kLong))},
      {"zeros_like", CREATE(N::zeros_like(N::ones({2, 3}, N::kDouble)))},
      {"zeros_like_dtype", CREATE(N::zeros_like(N::ones({3}), N::kLong))},
      {"ones_like", CREATE(N::ones_like(N::arange(4)))},
      {"zeros_like_transposed", CREATE(N::zeros_like(N::ones({2, 3}).t()))},
      {"full_like", CREATE(N::full_like(N::ones({2}, N::kLong), 3))},
      {"tensor_nested", CREATE(N::tensor({{1.5, 2.0}, {3.0, -4.0}}))},
      {"tensor_long", CREATE(N::tensor({1, 2, 3}))},
      {"tensor_bool", CREATE(N::tensor({true, false}))},
      {"tensor_scalar", CREATE(N::tensor(2.5))},
      {"tensor_vector", CREATE(N::tensor(std::vector<double>{1.0, 2.0}))},
      {"tensor_vector_double", CREATE(N::tensor(std::vector<double>{0.1, 2.0}, N::kDouble))},
      {"tensor_vector_float", CREATE(N::tensor(std::vector<float>{0.1f, 2.0f}))},
      {"tensor_vector_long", CREATE(N::tensor(std::vector<int64_t>{4, -2}))},
  };
  for (const Created& c : cases) {
    SCOPED_TRACE(c.name);
    tg::Tensor got = c.tg_fn();
    torch::Tensor expected = c.torch_fn();
    EXPECT_EQ(got.sizes().vec(), expected.sizes().vec());
    EXPECT_EQ(got.strides().vec(), expected.strides().vec());
    EXPECT_EQ(got.dtype(), from_torch(expected.scalar_type()));
    EXPECT_EQ(tg::testing::values(got), torch_values(expected));
  }
}

// ---- printing --------------------------------------------------------------------------------------
TEST(Printing, OperatorShiftPrintsWhatLibtorchPrints) {
  const std::vector<Created> cases = {
      {"float_matrix", CREATE(N::tensor({{1.5, -2.0, 3.25}, {0.0, 4.0, -5.5}}))},
      {"float_vector", CREATE(N::tensor({0.5, 1.0}))},
      {"float_integral", CREATE(N::arange(6, N::kFloat).reshape({2, 3}))},
      {"float_negative_integral", CREATE(N::tensor({-1.0, 20.0}))},
      {"double", CREATE(N::tensor({1.0, 2.5}, N::kDouble))},
      {"long_vector", CREATE(N::tensor({1, 2, 3}))},
      {"long_matrix", CREATE(N::tensor({{10, -2}, {3, 400}}))},
      {"bool", CREATE(N::tensor({true, false}))},
      {"zero_dim_float", CREATE(N::tensor(3.5))},
      {"zero_dim_long", CREATE(N::tensor(7))},
      {"zero_dim_integral_float", CREATE(N::tensor(2.0))},
      {"small_and_large", CREATE(N::tensor({0.001, 1000.0}))},
      {"eye", CREATE(N::eye(3))},
      {"eye_long", CREATE(N::eye(3, N::kLong))},
      {"transposed", CREATE(N::arange(6, N::kLong).reshape({2, 3}).t())},
      {"three_dims", CREATE(N::arange(12, N::kLong).reshape({2, 2, 3}))},
      {"five_dims", CREATE(N::arange(24).reshape({2, 3, 2, 1, 2}))},
      {"three_dims_float", CREATE(N::arange(8, N::kFloat).reshape({2, 2, 2}).div(4))},
      {"wide", CREATE(N::arange(30, N::kFloat).reshape({2, 15}).div(3))},
      {"wide_long", CREATE(N::arange(60).reshape({2, 30}))},
      {"scaled", CREATE(N::tensor({1.0e6, 2.5e6}))},
      {"scaled_fraction", CREATE(N::tensor({1500000.5, 2250000.25}))},
      {"scaled_matrix", CREATE(N::tensor({{1.5e6, -2.0e5}, {3.0e5, 7.0e5}}))},
      {"scaled_small", CREATE(N::tensor({0.0012, 0.0034}))},
      {"negative_large", CREATE(N::tensor({-123456.5, 1.5}))},
      {"special_values", CREATE(N::tensor({std::nan(""), kInf, -kInf, 1.5}))},
      {"all_nan", CREATE(N::tensor({std::nan(""), std::nan("")}))},
      {"large_ints", CREATE(N::tensor({123456789, 1}))},
      {"huge_ints", CREATE(N::tensor({int64_t{10000000000}, int64_t{-3}}))},
      {"wide_exponents", CREATE(N::tensor({1.0e-120, 1.5e120}, N::kDouble))},
      {"zero_dim_third", CREATE(N::tensor(1.0, N::kDouble).div(3))},
      {"zero_dim_bool", CREATE(N::tensor(true))},
      {"four_dims_scaled", CREATE(N::arange(16, N::kDouble).reshape({2, 2, 2, 2}).mul(1.0e6).add(0.5))},
      {"empty", CREATE(N::zeros({2, 0}))},
      {"empty_three_dims", CREATE(N::zeros({2, 0, 3}))},
      {"empty_vector", CREATE(N::zeros({0}, N::kLong))},
  };
  for (const Created& c : cases) {
    std::ostringstream got, expected;
    got << c.tg_fn();
    expected << c.torch_fn();
    EXPECT_EQ(got.str(), expected.str()) << c.name;
  }
  std::ostringstream got, expected;
  got << tg::Tensor();
  expected << torch::Tensor();
  EXPECT_EQ(got.str(), expected.str()) << "undefined";
}

// A 0-dim tensor follows the stream's precision; the stream's format is restored after.
TEST(Printing, StreamFormatIsUsedForZeroDimAndRestored) {
  std::ostringstream got, expected;
  got << std::setprecision(10) << tg::tensor(1.0, tg::kDouble).div(3) << " " << tg::tensor({0.5, 1.0}) << " " << 0.1 / 3;
  expected << std::setprecision(10) << torch::tensor(1.0, torch::kDouble).div(3) << " " << torch::tensor({0.5, 1.0})
           << " " << 0.1 / 3;
  EXPECT_EQ(got.str(), expected.str());
}

}  // namespace
