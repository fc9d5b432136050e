// Tests generated from the op table (tests/op_table*.cpp), without libtorch: every
// sample runs forward (non-contiguous layouts agree with contiguous ones, float32
// with float64), every differentiable op passes gradcheck and gradgradcheck in
// float64, a zero incoming gradient gives zero gradients, and the error cases
// raise with libtorch's wording.
#include <cmath>
#include <ostream>

#include "op_table.h"
#include "support/test_support.h"

namespace tg::optable {
namespace {

struct Case {
  const OpEntry* entry;
  const Sample* sample;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.entry->name << "/" << c.sample->label; }
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return test_name(info.param.entry->name, info.param.sample->label);
}

template <class Keep>
std::vector<Case> cases(Keep keep) {
  std::vector<Case> out;
  for (const OpEntry& e : entries())
    for (const Sample& s : e.samples)
      if (keep(e, s)) out.push_back({&e, &s});
  return out;
}

bool has_differentiated_input(const Sample& s) {
  for (const Input& in : s.inputs)
    if (is_differentiated(in)) return true;
  return false;
}
// gradcheck needs every floating input in float64: no fixed float32 operands.
bool float64_throughout(const Sample& s) {
  for (const Input& in : s.inputs)
    if (in.values.is_floating_point() && !follows_float_dtype(in)) return false;
  return true;
}
bool gradcheckable(const OpEntry& e, const Sample& s) {
  return e.differentiable() && e.no_gradcheck.empty() && s.no_gradcheck.empty() && has_differentiated_input(s) &&
         float64_throughout(s);
}

std::vector<Tensor> realize_all(const Sample& s, ScalarType float_dtype, bool requires_grad, bool contiguous = false) {
  std::vector<Tensor> xs;
  for (const Input& in : s.inputs) {
    Input copy = in;
    if (contiguous) copy.layout = Layout::Contiguous;
    xs.push_back(realize(copy, float_dtype, requires_grad && is_differentiated(in)));
  }
  return xs;
}

// Element by element within rtol * max(1, |expected|); NaNs must match.
::testing::AssertionResult close(const Tensor& got, const Tensor& expected, double rtol) {
  if (!got.sizes().equals(expected.sizes())) {
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " vs " << expected.sizes();
  }
  std::vector<double> a = testing::values(got), b = testing::values(expected);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (a[i] == b[i] || std::abs(a[i] - b[i]) <= rtol * std::max(1.0, std::abs(b[i]))) continue;
    return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

// ---- forward ------------------------------------------------------------------------------------
class OpForward : public ::testing::TestWithParam<Case> {};

TEST_P(OpForward, LayoutsAndDtypesAgree) {
  const OpEntry& e = *GetParam().entry;
  const Sample& s = *GetParam().sample;
  Tensor out = e.fn(realize_all(s, kDouble, false));
  ASSERT_TRUE(out.defined());
  // The same values in contiguous memory give the same result.
  Tensor ref = e.fn(realize_all(s, kDouble, false, true));
  EXPECT_EQ(out.dtype(), ref.dtype());
  EXPECT_TRUE(close(out, ref, 1e-12));
  if (has_differentiated_input(s) && out.is_floating_point()) {
    Tensor out32 = e.fn(realize_all(s, kFloat, false));
    EXPECT_TRUE(close(out32, out, 1e-4)) << "float32 vs float64";
  }
}
INSTANTIATE_TEST_SUITE_P(OpTable, OpForward, ::testing::ValuesIn(cases([](const OpEntry&, const Sample&) {
                           return true;
                         })),
                         case_name);

// ---- gradients ------------------------------------------------------------------------------------
class OpGradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(OpGradcheck, MatchesFiniteDifferences) {
  const OpEntry& e = *GetParam().entry;
  auto r = autograd::gradcheck(e.fn, realize_all(*GetParam().sample, kDouble, true), 1e-6, e.atol, e.rtol);
  EXPECT_TRUE(r) << r.message;
}
INSTANTIATE_TEST_SUITE_P(OpTable, OpGradcheck, ::testing::ValuesIn(cases(gradcheckable)), case_name);

class OpGradgradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(OpGradgradcheck, SecondDerivativesMatchFiniteDifferences) {
  const OpEntry& e = *GetParam().entry;
  auto r = autograd::gradgradcheck(e.fn, realize_all(*GetParam().sample, kDouble, true), 1e-6, e.atol, e.rtol);
  EXPECT_TRUE(r) << r.message;
}
INSTANTIATE_TEST_SUITE_P(OpTable, OpGradgradcheck, ::testing::ValuesIn(cases([](const OpEntry& e, const Sample& s) {
                           return gradcheckable(e, s) && e.no_gradgrad.empty();
                         })),
                         case_name);

// Kinks and ties included: whatever subgradient is chosen, zero in gives zero out.
class OpZeroGrad : public ::testing::TestWithParam<Case> {};

TEST_P(OpZeroGrad, ZeroIncomingGradientGivesZeroGradients) {
  const OpEntry& e = *GetParam().entry;
  std::vector<Tensor> xs = realize_all(*GetParam().sample, kDouble, true), wrt;
  for (const Tensor& x : xs)
    if (x.requires_grad()) wrt.push_back(x);
  Tensor out = e.fn(xs);
  ASSERT_TRUE(out.requires_grad());
  auto grads = autograd::grad({out}, wrt, {zeros_like(out)}, nullopt, false, true);
  for (size_t i = 0; i < wrt.size(); ++i) {
    if (!grads[i].defined()) continue;
    EXPECT_EQ(grads[i].sizes(), wrt[i].sizes());
    EXPECT_EQ(grads[i].dtype(), kDouble);
    for (double v : testing::values(grads[i])) EXPECT_EQ(v, 0.0) << "input " << i;
  }
}
INSTANTIATE_TEST_SUITE_P(OpTable, OpZeroGrad, ::testing::ValuesIn(cases([](const OpEntry& e, const Sample& s) {
                           return e.differentiable() && has_differentiated_input(s);
                         })),
                         case_name);

// ---- errors ----------------------------------------------------------------------------------------
class OpErrors : public ::testing::TestWithParam<ErrCase> {};

TEST_P(OpErrors, RaiseWithLibtorchWording) {
  const ErrCase& c = GetParam();
  std::vector<Tensor> xs;
  for (const Input& in : c.error->inputs)
    xs.push_back(realize(in, kDouble, in.values.is_floating_point() && !in.no_grad));
  EXPECT_THROW_MSG(c.entry->fn(xs), c.error->message);
}
INSTANTIATE_TEST_SUITE_P(OpTable, OpErrors, ::testing::ValuesIn(error_cases()),
                         [](const ::testing::TestParamInfo<ErrCase>& info) {
                           return test_name(info.param.entry->name, info.param.error->label);
                         });

// ---- the table itself ---------------------------------------------------------------------------------
TEST(OpTableCoverage, EveryDifferentiableOpIsGradchecked) {
  size_t checked = 0;
  for (const OpEntry& e : entries()) {
    EXPECT_FALSE(e.samples.empty() && e.errors.empty()) << e.name;
    if (e.samples.empty()) continue;
    if (!e.differentiable() || !e.no_gradcheck.empty()) continue;
    bool any = false;
    for (const Sample& s : e.samples) any |= gradcheckable(e, s);
    EXPECT_TRUE(any) << e.name << " has no sample gradcheck can use";
    checked += any;
  }
  EXPECT_GT(checked, 100u);
}

TEST(OpTableCoverage, NonContiguousVariantsAreGenerated) {
  const OpEntry* add_entry = nullptr;
  for (const OpEntry& e : entries())
    if (e.name == "add") add_entry = &e;
  ASSERT_NE(add_entry, nullptr);
  bool transposed = false;
  for (const Sample& s : add_entry->samples)
    if (s.label == "same_shape_transposed") {
      transposed = true;
      Tensor x = realize(s.inputs[0], kDouble, false);
      EXPECT_FALSE(x.is_contiguous());
      EXPECT_EQ(x.sizes(), IntArrayRef({2, 3}));
      EXPECT_TRUE(close(x, s.inputs[0].values, 0.0));
    }
  EXPECT_TRUE(transposed);
}

}  // namespace
}  // namespace tg::optable
