#pragma once
// The op table (DESIGN.md "Testing pattern"): one entry per op, each naming the
// op, the call written once and compiled against both tensorgrad and libtorch,
// and sample inputs (broadcast shapes, non-contiguous views, negative dims, edge
// values). The tests generated from it are in test_ops_gradcheck.cpp (gradcheck,
// gradgradcheck, zero gradients, layouts, error texts) and test_ops_torch.cpp
// (forward, gradient, dtype and grad_fn name parity with libtorch).
//
// Entries live in one file per area, tests/op_table_<area>.cpp (a new file is
// picked up by tests/CMakeLists.txt; adding an op is one entry):
//
//   namespace tg::optable {
//   TG_OP_TABLE_AREA(arithmetic) {
//     add(TG_OP("add", x[0] + x[1]))
//         .sample("same_shape", {normal({2, 3}), normal({2, 3})})
//         .sample("broadcast", {normal({2, 3}), normal({3})});
//   }
//   }  // namespace tg::optable
//
// Every contiguous sample also gets a non-contiguous variant (transposed, else
// strided) unless the entry says contiguous_only().
//
// Inside TG_OP the inputs are `x` (std::vector of tg::Tensor or torch::Tensor), the
// namespace is `T` (tg or torch) and T::indexing is in scope. This file is
// compiled twice: without libtorch for test_ops_gradcheck and with it
// (TG_OP_TABLE_TORCH) for test_ops_torch.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <random>
#include <string>
#include <vector>

#include "tensorgrad/tensorgrad.h"

#ifdef TG_OP_TABLE_TORCH
#include <torch/torch.h>
#endif

namespace tg::optable {

// How an input sits in memory; its values are the same in every layout.
enum class Layout { Contiguous, Transposed, Strided };

struct Input {
  Tensor values;  // contiguous; float64 for floating inputs unless fixed_dtype
  Layout layout = Layout::Contiguous;
  // Keeps its dtype when the tests sweep float32/float64 (indices, masks, and the
  // operands of type promotion cases); never differentiated by gradcheck.
  bool fixed_dtype = false;
  // Follows the float32/float64 sweep but never requires grad (loss weights,
  // which libtorch refuses to differentiate).
  bool no_grad = false;
};

// A recipe for an input, turned into values when the entry is registered, with a
// generator seeded from the entry and sample names (reproducible, order-free).
class InputSpec {
 public:
  using Maker = std::function<Tensor(std::mt19937_64&)>;
  explicit InputSpec(Maker make) : make_(std::move(make)) {}
  // Stored transposed (last two dims swapped) and viewed back: non-contiguous.
  InputSpec transposed() const;
  // Every other element of a buffer twice as long in the last dim: non-contiguous.
  InputSpec strided() const;
  InputSpec fixed() const;
  InputSpec no_grad() const;
  Input make(std::mt19937_64& gen) const;
  bool has_layout() const { return layout_ != Layout::Contiguous; }

 private:
  Maker make_;
  Layout layout_ = Layout::Contiguous;
  bool fixed_ = false;
  bool no_grad_ = false;
};

// Standard normal float64 values.
InputSpec normal(std::vector<int64_t> shape);
// Uniform float64 values in [lo, hi).
InputSpec uniform(std::vector<int64_t> shape, double lo, double hi);
// Uniform in [0.5, 2): for log, sqrt, pow with a real exponent.
InputSpec positive(std::vector<int64_t> shape);
// |values| in [0.5, 2) with random signs: for divisors and reciprocals.
InputSpec away_from_zero(std::vector<int64_t> shape);
// Given float64 values (edge cases: zeros at kinks, ties, large logits).
InputSpec values(Tensor t);
// A tensor used as is, whatever its dtype, in every sweep: indices, masks, and
// promotion operands (tensor(...) of int64, bool, float32 or float64).
InputSpec constant(Tensor t);
// Random booleans (masks for where).
InputSpec mask(std::vector<int64_t> shape);

struct Sample {
  std::string label;
  std::vector<Input> inputs;
  // Empty, or why finite differences cannot check this sample (a kink, a tie).
  std::string no_gradcheck;
};

// An input that must make the op raise, and a substring of the message (libtorch's
// wording: the torch test checks libtorch's message contains it too).
struct ErrorCase {
  std::string label;
  std::vector<Input> inputs;
  std::string message;
};

using TgFn = std::function<Tensor(const std::vector<Tensor>&)>;
#ifdef TG_OP_TABLE_TORCH
using TorchFn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;
#endif

struct OpEntry {
  std::string name;
  TgFn fn;
#ifdef TG_OP_TABLE_TORCH
  TorchFn torch_fn;
#endif
  std::vector<Sample> samples;
  std::vector<ErrorCase> errors;
  // Empty for ops with a derivative; else why not (comparisons, argmax).
  std::string not_differentiable;
  // Empty, or why gradgradcheck is skipped (not twice differentiable).
  std::string no_gradgrad;
  // Empty, or why gradcheck cannot run at all (e.g. the output is float32).
  std::string no_gradcheck;
  double atol = 1e-5, rtol = 1e-3;
  // Gradient parity with libtorch also in float32 (the common ops).
  bool float32_grad = true;
  // Whether to add a non-contiguous variant of each sample automatically.
  bool auto_layouts = true;
  // A known difference from libtorch's grad_fn name: tensorgrad's name, and why.
  std::string tg_grad_fn, tg_grad_fn_why;

  bool differentiable() const { return not_differentiable.empty(); }
};

// Builds an entry: chain sample()/error()/flags, the entry is registered complete.
class EntryBuilder {
 public:
  explicit EntryBuilder(OpEntry* e) : e_(e) {}
  EntryBuilder& sample(const std::string& label, std::vector<InputSpec> inputs);
  // A sample at a non-differentiable point: parity only, no finite differences.
  EntryBuilder& edge(const std::string& label, std::vector<InputSpec> inputs, const std::string& why);
  EntryBuilder& error(const std::string& label, std::vector<InputSpec> inputs, const std::string& message);
  EntryBuilder& not_differentiable(const std::string& why);
  EntryBuilder& no_gradgrad(const std::string& why);
  EntryBuilder& no_gradcheck(const std::string& why);
  EntryBuilder& tolerance(double atol, double rtol);
  EntryBuilder& float64_grad_only();
  EntryBuilder& contiguous_only();
  // Records that tensorgrad's grad_fn name differs from libtorch's (values and
  // gradients are still compared); the parity test asserts tensorgrad's name.
  EntryBuilder& known_grad_fn(const std::string& name, const std::string& why);

 private:
  std::vector<Input> make(const std::string& label, const std::vector<InputSpec>& specs);
  OpEntry* e_;
};

// All entries of every area, in registration order, with the automatic layout
// variants added (finalised on first call).
const std::vector<OpEntry>& entries();

// One error case of one entry, as the error tests take it, and all of them.
struct ErrCase {
  const OpEntry* entry;
  const ErrorCase* error;
};
void PrintTo(const ErrCase& c, std::ostream* os);
std::vector<ErrCase> error_cases();

#ifdef TG_OP_TABLE_TORCH
EntryBuilder add(const std::string& name, TgFn fn, TorchFn torch_fn);
#else
EntryBuilder add(const std::string& name, TgFn fn);
#endif

// Records an area's registration function before main (see TG_OP_TABLE_AREA);
// areas run, sorted by name, on the first call of entries().
struct AreaRegistrar {
  AreaRegistrar(const char* name, void (*area)());
};

// The tensor an input stands for, in `float_dtype` unless its dtype is fixed, laid
// out as the input says; a fresh leaf (requiring grad if asked).
Tensor realize(const Input& in, ScalarType float_dtype, bool requires_grad);
// The inputs that tests differentiate: floating point, not fixed, not no_grad.
bool is_differentiated(const Input& in);
// Whether the input is converted by the float32/float64 sweep.
bool follows_float_dtype(const Input& in);
// "<entry>__<sample>": a GoogleTest-safe name.
std::string test_name(const std::string& entry, const std::string& label);

#ifdef TG_OP_TABLE_TORCH
// The same values, dtype and memory layout as a libtorch tensor.
torch::Tensor to_torch(const Tensor& t);
#endif

}  // namespace tg::optable

#define TG_OPTABLE_TG_FN(...)                                                         \
  [](const std::vector<::tg::Tensor>& x) -> ::tg::Tensor {                            \
    namespace T = ::tg;                                                               \
    using namespace ::tg::indexing;                                                   \
    (void)x;                                                                          \
    return __VA_ARGS__;                                                               \
  }
#ifdef TG_OP_TABLE_TORCH
#define TG_OPTABLE_TORCH_FN(...)                                                      \
  [](const std::vector<::torch::Tensor>& x) -> ::torch::Tensor {                      \
    namespace T = ::torch;                                                            \
    using namespace ::torch::indexing;                                                \
    (void)x;                                                                          \
    return __VA_ARGS__;                                                               \
  }
#define TG_OP(name, ...) name, TG_OPTABLE_TG_FN(__VA_ARGS__), TG_OPTABLE_TORCH_FN(__VA_ARGS__)
#else
#define TG_OP(name, ...) name, TG_OPTABLE_TG_FN(__VA_ARGS__)
#endif

// Defines the registration function of one area file.
#define TG_OP_TABLE_AREA(area)                                                           \
  static void tg_op_table_area_##area();                                                 \
  static const ::tg::optable::AreaRegistrar tg_op_table_registrar_##area(#area, &tg_op_table_area_##area); \
  static void tg_op_table_area_##area()
