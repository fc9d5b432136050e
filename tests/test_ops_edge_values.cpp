// Every op of the op table (tests/op_table*.cpp) and its backward on edge values,
// without libtorch, so that the sanitizer build runs it too (test_ops_zero_size_torch
// and test_numerics_torch check the values against libtorch in the plain build):
// zero-size inputs (test_ops_zero_size_torch's variants) and inputs holding NaN, +Inf
// or -Inf. An op may refuse them with a tg::Error, nothing else; when it computes, its
// backward runs and gives every differentiated input a gradient of its own shape.
#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>

#include "op_table_variants.h"
#include "support/test_support.h"

namespace tg::optable {
namespace {

// Runs the op on the inputs (leaves, float64) and its backward from ones.
void run_forward_and_backward(const OpEntry& entry, const std::vector<Tensor>& inputs) {
  Tensor out;
  try {
    out = entry.fn(inputs);
  } catch (const Error&) {
    return;  // a refusal is a fine answer to edge values
  }
  ASSERT_TRUE(out.defined());
  if (!out.requires_grad()) return;
  try {
    out.backward(ones_like(out));
  } catch (const Error& e) {
    FAIL() << "the backward raises \"" << e.what() << "\" after the forward computed " << out.sizes();
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& g = inputs[k].grad();
    if (inputs[k].requires_grad() && g.defined()) {
      EXPECT_EQ(g.sizes().vec(), inputs[k].sizes().vec()) << "gradient of input " << k;
    }
  }
}

class ZeroSizeInputs : public ::testing::TestWithParam<Variant> {};

TEST_P(ZeroSizeInputs, OnlyRefuseWithTgErrorAndBackwardGivesInputShapes) {
  const Variant& v = GetParam();
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < v.sample->inputs.size(); ++k) {
    const Input in = variant_input(v, k);
    inputs.push_back(realize(in, kDouble, is_differentiated(in)));
  }
  run_forward_and_backward(*v.entry, inputs);
}

INSTANTIATE_TEST_SUITE_P(OpTable, ZeroSizeInputs, ::testing::ValuesIn(zero_size_variants()),
                         [](const ::testing::TestParamInfo<Variant>& info) { return variant_name(info.param); });

// A sample with element 0 of its floating inputs set to a non-finite value.
struct NonFinite {
  const OpEntry* entry;
  const Sample* sample;
  double value;
};

std::string non_finite_name(const NonFinite& v) {
  const char* what = std::isnan(v.value) ? "nan" : v.value > 0 ? "inf" : "minus_inf";
  return test_name(v.entry->name, v.sample->label) + "_" + what;
}
void PrintTo(const NonFinite& v, std::ostream* os) { *os << non_finite_name(v); }

std::vector<NonFinite> non_finite_variants() {
  std::vector<NonFinite> out;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (const OpEntry& e : entries()) {
    for (const Sample& s : e.samples) {
      const bool any_float = std::any_of(s.inputs.begin(), s.inputs.end(), [](const Input& in) {
        return in.values.is_floating_point() && in.values.numel() > 0;
      });
      if (!any_float || s.inputs.front().layout != Layout::Contiguous) continue;
      for (double value : {std::numeric_limits<double>::quiet_NaN(), kInf, -kInf}) out.push_back({&e, &s, value});
    }
  }
  return out;
}

class NonFiniteInputs : public ::testing::TestWithParam<NonFinite> {};

TEST_P(NonFiniteInputs, OnlyRefuseWithTgErrorAndBackwardGivesInputShapes) {
  const NonFinite& v = GetParam();
  std::vector<Tensor> inputs;
  for (const Input& sample_input : v.sample->inputs) {
    Input in = sample_input;
    if (in.values.is_floating_point() && in.values.numel() > 0) {
      in.values = in.values.clone();
      in.values.view({-1})[0].fill_(v.value);
    }
    inputs.push_back(realize(in, kDouble, is_differentiated(in)));
  }
  run_forward_and_backward(*v.entry, inputs);
}

INSTANTIATE_TEST_SUITE_P(OpTable, NonFiniteInputs, ::testing::ValuesIn(non_finite_variants()),
                         [](const ::testing::TestParamInfo<NonFinite>& info) { return non_finite_name(info.param); });

}  // namespace
}  // namespace tg::optable
