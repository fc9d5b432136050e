// The op table's registry, input recipes and layouts (see op_table.h).
#include "op_table.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <limits>
#include <ostream>
#include <set>
#include <stdexcept>
#include <utility>

namespace tg::optable {
namespace {

struct Registry {
  std::vector<std::pair<std::string, void (*)()>> areas;
  std::deque<OpEntry> building;  // stable addresses while builders chain
};

Registry& registry() {
  static Registry r;
  return r;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

template <class Draw>
InputSpec generated(std::vector<int64_t> shape, Draw draw) {
  return InputSpec([shape, draw](std::mt19937_64& gen) mutable {
    std::vector<double> v(static_cast<size_t>(numel(shape)));
    for (double& e : v) e = draw(gen);
    return tensor(v, dtype(kDouble)).reshape(shape);
  });
}

// The inputs a layout variant changes: differentiated ones with room for it.
bool can_transpose(const Input& in) {
  const Tensor& v = in.values;
  return is_differentiated(in) && v.dim() >= 2 && v.size(-1) > 1 && v.size(-2) > 1;
}
bool can_stride(const Input& in) { return is_differentiated(in) && in.values.dim() >= 1 && in.values.size(-1) > 1; }

// One non-contiguous variant of a contiguous sample: transposed where possible,
// else strided.
void add_layout_variant(const Sample& s, std::vector<Sample>& out) {
  for (const Input& in : s.inputs)
    if (in.layout != Layout::Contiguous) return;
  const bool transpose = std::any_of(s.inputs.begin(), s.inputs.end(), can_transpose);
  const bool stride = std::any_of(s.inputs.begin(), s.inputs.end(), can_stride);
  if (!transpose && !stride) return;
  Sample v = s;
  v.label += transpose ? "_transposed" : "_strided";
  for (Input& in : v.inputs) {
    if (transpose && can_transpose(in)) in.layout = Layout::Transposed;
    else if (!transpose && can_stride(in)) in.layout = Layout::Strided;
  }
  out.push_back(std::move(v));
}

std::vector<OpEntry> finalize() {
  Registry& r = registry();
  std::sort(r.areas.begin(), r.areas.end());
  for (auto& [name, area] : r.areas) area();
  std::vector<OpEntry> all;
  std::set<std::string> names;
  for (OpEntry& e : r.building) {
    if (!names.insert(e.name).second) throw std::logic_error("op table: duplicate entry " + e.name);
    if (e.auto_layouts) {
      std::vector<Sample> with_variants;
      for (const Sample& s : e.samples) {
        with_variants.push_back(s);
        add_layout_variant(s, with_variants);
      }
      e.samples = std::move(with_variants);
    }
    std::set<std::string> labels;
    for (const Sample& s : e.samples)
      if (!labels.insert(s.label).second) throw std::logic_error("op table: duplicate sample " + e.name + "/" + s.label);
    all.push_back(std::move(e));
  }
  r.building.clear();
  return all;
}

}  // namespace

// ---- input recipes ------------------------------------------------------------------------------
InputSpec InputSpec::transposed() const {
  InputSpec s = *this;
  s.layout_ = Layout::Transposed;
  return s;
}
InputSpec InputSpec::strided() const {
  InputSpec s = *this;
  s.layout_ = Layout::Strided;
  return s;
}
InputSpec InputSpec::fixed() const {
  InputSpec s = *this;
  s.fixed_ = true;
  return s;
}
InputSpec InputSpec::no_grad() const {
  InputSpec s = *this;
  s.no_grad_ = true;
  return s;
}
Input InputSpec::make(std::mt19937_64& gen) const { return Input{make_(gen), layout_, fixed_, no_grad_}; }

InputSpec normal(std::vector<int64_t> shape) {
  return generated(std::move(shape), [d = std::normal_distribution<double>()](std::mt19937_64& g) mutable {
    return d(g);
  });
}
InputSpec uniform(std::vector<int64_t> shape, double lo, double hi) {
  return generated(std::move(shape), [d = std::uniform_real_distribution<double>(lo, hi)](std::mt19937_64& g) mutable {
    return d(g);
  });
}
InputSpec positive(std::vector<int64_t> shape) { return uniform(std::move(shape), 0.5, 2.0); }
InputSpec away_from_zero(std::vector<int64_t> shape) {
  return generated(std::move(shape), [d = std::uniform_real_distribution<double>(0.5, 2.0),
                                      coin = std::bernoulli_distribution(0.5)](std::mt19937_64& g) mutable {
    const double m = d(g);
    return coin(g) ? m : -m;
  });
}
InputSpec values(Tensor t) {
  return InputSpec([t](std::mt19937_64&) { return t.to(kDouble).contiguous(); });
}
InputSpec constant(Tensor t) {
  return InputSpec([t](std::mt19937_64&) { return t.contiguous(); }).fixed();
}
InputSpec mask(std::vector<int64_t> shape) {
  return InputSpec([shape, coin = std::bernoulli_distribution(0.5)](std::mt19937_64& g) mutable {
    std::vector<int64_t> v(static_cast<size_t>(numel(shape)));
    for (int64_t& e : v) e = coin(g) ? 1 : 0;
    return tensor(v).reshape(shape).to(kBool);
  }).fixed();
}

// ---- building entries ----------------------------------------------------------------------------
std::vector<Input> EntryBuilder::make(const std::string& label, const std::vector<InputSpec>& specs) {
  std::mt19937_64 gen(fnv1a(e_->name + "/" + label));
  std::vector<Input> inputs;
  for (const InputSpec& s : specs) inputs.push_back(s.make(gen));
  return inputs;
}

EntryBuilder& EntryBuilder::sample(const std::string& label, std::vector<InputSpec> inputs) {
  e_->samples.push_back(Sample{label, make(label, inputs), {}});
  return *this;
}
EntryBuilder& EntryBuilder::edge(const std::string& label, std::vector<InputSpec> inputs, const std::string& why) {
  e_->samples.push_back(Sample{label, make(label, inputs), why});
  return *this;
}
EntryBuilder& EntryBuilder::error(const std::string& label, std::vector<InputSpec> inputs,
                                  const std::string& message) {
  e_->errors.push_back(ErrorCase{label, make(label, inputs), message});
  return *this;
}
EntryBuilder& EntryBuilder::not_differentiable(const std::string& why) {
  e_->not_differentiable = why;
  return *this;
}
EntryBuilder& EntryBuilder::no_gradgrad(const std::string& why) {
  e_->no_gradgrad = why;
  return *this;
}
EntryBuilder& EntryBuilder::no_gradcheck(const std::string& why) {
  e_->no_gradcheck = why;
  return *this;
}
EntryBuilder& EntryBuilder::tolerance(double atol, double rtol) {
  e_->atol = atol;
  e_->rtol = rtol;
  return *this;
}
EntryBuilder& EntryBuilder::float64_grad_only() {
  e_->float32_grad = false;
  return *this;
}
EntryBuilder& EntryBuilder::contiguous_only() {
  e_->auto_layouts = false;
  return *this;
}
EntryBuilder& EntryBuilder::known_grad_fn(const std::string& name, const std::string& why) {
  e_->tg_grad_fn = name;
  e_->tg_grad_fn_why = why;
  return *this;
}

#ifdef TG_OP_TABLE_TORCH
EntryBuilder add(const std::string& name, TgFn fn, TorchFn torch_fn) {
  OpEntry& e = registry().building.emplace_back();
  e.name = name;
  e.fn = std::move(fn);
  e.torch_fn = std::move(torch_fn);
  return EntryBuilder(&e);
}
#else
EntryBuilder add(const std::string& name, TgFn fn) {
  OpEntry& e = registry().building.emplace_back();
  e.name = name;
  e.fn = std::move(fn);
  return EntryBuilder(&e);
}
#endif

AreaRegistrar::AreaRegistrar(const char* name, void (*area)()) { registry().areas.emplace_back(name, area); }

const std::vector<OpEntry>& entries() {
  static const std::vector<OpEntry> all = finalize();
  return all;
}

// ---- using entries ---------------------------------------------------------------------------------
bool follows_float_dtype(const Input& in) { return !in.fixed_dtype && in.values.is_floating_point(); }
bool is_differentiated(const Input& in) { return follows_float_dtype(in) && !in.no_grad; }

Tensor realize(const Input& in, ScalarType float_dtype, bool requires_grad) {
  Tensor v = in.values;
  if (follows_float_dtype(in)) v = v.to(float_dtype);
  Tensor out;
  switch (in.layout) {
    case Layout::Contiguous:
      out = v.clone();
      break;
    case Layout::Transposed:
      out = v.transpose(-1, -2).contiguous().transpose(-1, -2);
      break;
    case Layout::Strided: {
      std::vector<int64_t> shape = v.sizes().vec();
      shape.back() *= 2;
      // NaN in the gaps: a kernel that reads them shows it in its result.
      Tensor buffer = full(shape, std::numeric_limits<double>::quiet_NaN(), v.dtype());
      buffer.slice(-1, 0, nullopt, 2).copy_(v);
      out = buffer.slice(-1, 0, nullopt, 2);
      break;
    }
  }
  out = out.detach();
  if (requires_grad) out.requires_grad_(true);
  return out;
}

void PrintTo(const ErrCase& c, std::ostream* os) { *os << c.entry->name << "/" << c.error->label; }

std::vector<ErrCase> error_cases() {
  std::vector<ErrCase> out;
  for (const OpEntry& e : entries())
    for (const ErrorCase& c : e.errors) out.push_back({&e, &c});
  return out;
}

std::string test_name(const std::string& entry, const std::string& label) {
  std::string n = entry + "__" + label;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

#ifdef TG_OP_TABLE_TORCH
torch::Tensor to_torch(const Tensor& t) {
  torch::ScalarType st = torch::kDouble;
  switch (t.dtype()) {
    case kFloat: st = torch::kFloat; break;
    case kDouble: st = torch::kDouble; break;
    case kLong: st = torch::kLong; break;
    case kBool: st = torch::kBool; break;
    default: throw std::logic_error("to_torch: unsupported dtype");
  }
  // The memory from the first element to the last, copied, and viewed with t's
  // strides: libtorch sees the same layout (and the same gaps).
  int64_t span = t.numel() == 0 ? 0 : 1;
  for (int64_t d = 0; d < t.dim(); ++d) span += (t.size(d) - 1) * t.stride(d);
  if (t.numel() == 0) return torch::empty(t.sizes().vec(), torch::dtype(st));
  torch::Tensor memory = torch::from_blob(t.data_ptr(), {span}, torch::dtype(st)).clone();
  return memory.as_strided(t.sizes().vec(), t.strides().vec()).detach();
}
#endif

}  // namespace tg::optable
