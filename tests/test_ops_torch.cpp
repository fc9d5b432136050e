// Parity with libtorch 1.13, generated from the op table (tests/op_table*.cpp): the
// same call, compiled against both libraries, on the same inputs. Forward values
// (float64 to 1e-12, float32 to 1e-5 relative), shapes, dtypes (type promotion),
// grad_fn names, gradients (float64, and float32 for the common ops) and error
// messages must agree; where libtorch's output is a view of an input (or the
// input itself), tensorgrad's must be one too, with the same strides and offset,
// and where it is new memory, tensorgrad's must have its strides.
#include <ostream>
#include <random>
#include <sstream>

#include "op_table.h"
#include "support/test_support.h"
#include "support/torch_support.h"

namespace tg::optable {
namespace {

struct Case {
  const OpEntry* entry;
  const Sample* sample;
  ScalarType dtype;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.entry->name << "/" << c.sample->label << "/" << c.dtype; }
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return test_name(info.param.entry->name, info.param.sample->label) + "_" + to_string(info.param.dtype);
}

bool has_differentiated_input(const Sample& s) {
  for (const Input& in : s.inputs)
    if (is_differentiated(in)) return true;
  return false;
}

bool has_floating_input(const Sample& s) {
  for (const Input& in : s.inputs)
    if (in.values.is_floating_point()) return true;
  return false;
}

// Float64 for every sample; float32 too where a differentiated input exists.
// Gradients: for differentiable ops on samples with a floating input.
std::vector<Case> cases(bool gradients) {
  std::vector<Case> out;
  for (const OpEntry& e : entries()) {
    if (gradients && !e.differentiable()) continue;
    for (const Sample& s : e.samples) {
      if (gradients && !has_floating_input(s)) continue;
      out.push_back({&e, &s, kDouble});
      if (has_differentiated_input(s) && (!gradients || e.float32_grad)) out.push_back({&e, &s, kFloat});
    }
  }
  return out;
}

using testing::matches_torch;

double tolerance(ScalarType t) { return t == kDouble ? 1e-12 : 1e-5; }

// Where libtorch's output shares memory with one of its inputs (a view, or the
// input itself), tensorgrad's must share memory with the same input, with the
// same sizes, strides, contiguity and storage offset (relative to the input's:
// to_torch copies an input's memory from its first element). Otherwise it must
// be new memory with libtorch's strides.
::testing::AssertionResult same_view(const Tensor& got, const torch::Tensor& expected, const std::vector<Tensor>& tg_in,
                                     const std::vector<torch::Tensor>& torch_in) {
  if (!got.defined() || !expected.defined() || expected.numel() == 0) return ::testing::AssertionSuccess();
  for (size_t i = 0; i < torch_in.size(); ++i) {
    if (!torch_in[i].defined() || !expected.storage().is_alias_of(torch_in[i].storage())) continue;
    std::ostringstream os;
    if (!got.is_view_of(tg_in[i])) {
      os << "libtorch's output is a view of input " << i << ", tensorgrad's is not";
    } else if (got.strides().vec() != expected.strides().vec()) {
      os << "view of input " << i << ": strides " << got.strides() << " vs libtorch " << expected.strides();
    } else if (got.is_contiguous() != expected.is_contiguous()) {
      os << "view of input " << i << ": is_contiguous " << got.is_contiguous() << " vs libtorch "
         << expected.is_contiguous();
    } else if (got.storage_offset() - tg_in[i].storage_offset() !=
               expected.storage_offset() - torch_in[i].storage_offset()) {
      os << "view of input " << i << ": storage offset " << got.storage_offset() - tg_in[i].storage_offset()
         << " vs libtorch " << expected.storage_offset() - torch_in[i].storage_offset() << " (from the input's)";
    } else {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << os.str();
  }
  // libtorch's output is new memory: tensorgrad's must not alias an input either.
  for (size_t i = 0; i < tg_in.size(); ++i)
    if (tg_in[i].defined() && got.numel() > 0 && got.is_view_of(tg_in[i]))
      return ::testing::AssertionFailure() << "tensorgrad's output shares memory with input " << i
                                           << ", libtorch's is a copy";
  // New memory is laid out as libtorch lays it out (Note [Elementwise output
  // layout]: an op on x.t() gives a transposed result); a size-1 dim's stride is
  // never used to step, so it may differ.
  for (int64_t d = 0; d < got.dim(); ++d)
    if (got.size(d) != 1 && got.stride(d) != expected.stride(d))
      return ::testing::AssertionFailure() << "strides " << got.strides() << " vs libtorch " << expected.strides();
  return ::testing::AssertionSuccess();
}

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }
std::string grad_fn_name(const torch::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }

// The sample's inputs for both libraries, the same values; floating inputs
// require grad (also for ops without a derivative: their results must not).
struct Inputs {
  std::vector<Tensor> tg;
  std::vector<torch::Tensor> torch;
};
Inputs make_inputs(const std::vector<Input>& inputs, ScalarType dtype) {
  Inputs r;
  for (const Input& in : inputs) {
    const bool grad = in.values.is_floating_point() && !in.no_grad;
    r.tg.push_back(realize(in, dtype, grad));
    r.torch.push_back(to_torch(r.tg.back()).requires_grad_(grad));
  }
  return r;
}

// ---- forward ---------------------------------------------------------------------------------------
class TorchForward : public ::testing::TestWithParam<Case> {};

TEST_P(TorchForward, ValuesDtypeAndGradFnMatch) {
  const Case& c = GetParam();
  Inputs in = make_inputs(c.sample->inputs, c.dtype);
  torch::Tensor expected = c.entry->torch_fn(in.torch);
  Tensor got = c.entry->fn(in.tg);
  EXPECT_TRUE(matches_torch(got, expected, tolerance(c.dtype)));
  EXPECT_TRUE(same_view(got, expected, in.tg, in.torch));
  if (c.entry->tg_grad_fn.empty()) EXPECT_EQ(grad_fn_name(got), grad_fn_name(expected));
  else EXPECT_EQ(grad_fn_name(got), c.entry->tg_grad_fn) << c.entry->tg_grad_fn_why;
  EXPECT_EQ(got.requires_grad(), expected.requires_grad());
}
INSTANTIATE_TEST_SUITE_P(OpTable, TorchForward, ::testing::ValuesIn(cases(false)), case_name);

// ---- gradients ---------------------------------------------------------------------------------------
class TorchGradient : public ::testing::TestWithParam<Case> {};

TEST_P(TorchGradient, GradientsMatch) {
  const Case& c = GetParam();
  Inputs in = make_inputs(c.sample->inputs, c.dtype);
  torch::Tensor expected = c.entry->torch_fn(in.torch);
  Tensor got = c.entry->fn(in.tg);
  ASSERT_TRUE(expected.requires_grad());
  ASSERT_TRUE(got.requires_grad());
  // The same pseudo-random incoming gradient for both.
  std::mt19937_64 gen(42);
  std::normal_distribution<double> dist;
  std::vector<double> gv(static_cast<size_t>(got.numel()));
  for (double& v : gv) v = dist(gen);
  Tensor g = tensor(gv, dtype(kDouble)).reshape(got.sizes()).to(got.dtype());
  got.backward(g);
  expected.backward(to_torch(g));
  for (size_t i = 0; i < in.tg.size(); ++i) {
    if (!in.tg[i].requires_grad()) continue;
    EXPECT_TRUE(matches_torch(in.tg[i].grad(), in.torch[i].grad(), tolerance(c.dtype))) << "gradient of input " << i;
  }
}
INSTANTIATE_TEST_SUITE_P(OpTable, TorchGradient, ::testing::ValuesIn(cases(true)), case_name);

// ---- errors --------------------------------------------------------------------------------------------
class TorchErrors : public ::testing::TestWithParam<ErrCase> {};

TEST_P(TorchErrors, BothRaiseWithTheSameWording) {
  const ErrCase& c = GetParam();
  Inputs in = make_inputs(c.error->inputs, kDouble);
  std::string torch_message;
  try {
    c.entry->torch_fn(in.torch);
  } catch (const std::exception& ex) {
    torch_message = ex.what();
  }
  EXPECT_NE(torch_message.find(c.error->message), std::string::npos)
      << "libtorch says: " << torch_message.substr(0, torch_message.find('\n'));
  EXPECT_THROW_MSG(c.entry->fn(in.tg), c.error->message);
}
INSTANTIATE_TEST_SUITE_P(OpTable, TorchErrors, ::testing::ValuesIn(error_cases()),
                         [](const ::testing::TestParamInfo<ErrCase>& info) {
                           return test_name(info.param.entry->name, info.param.error->label);
                         });

}  // namespace
}  // namespace tg::optable
