// Fuzzes the ops and the autograd engine: the input bytes are decoded into a small
// program over a handful of tensor slots (creation with zero-size dims and every
// dtype, broadcasting pairs, views, in-place ops, reductions, losses, backward,
// double backward, hooks). Every failure must be a tg::Error; anything else (a
// crash, a sanitizer report, another exception, a hang) is a bug.
//
// Sizes are capped (kMaxNumel per tensor, kMaxWork per binary op) so that each
// input runs in milliseconds.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_set>

#include "memory_file.h"
#include "tensorgrad/tensorgrad.h"

namespace F = tg::nn::functional;
using tg::Tensor;
using namespace tg::indexing;

namespace {

constexpr int64_t kMaxNumel = 512;
constexpr int64_t kMaxWork = int64_t{1} << 14;
constexpr size_t kSlots = 6;

// Reads the program: each call consumes bytes, and returns zeros once they run out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t byte() { return p_ == end_ ? 0 : *p_++; }
  // A value in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) { return lo + byte() % (hi - lo + 1); }
  bool flag() { return byte() & 1; }
  // Small dims and offsets, negative ones (counted from the end) included.
  int64_t dim_arg() { return range(-5, 4); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

double special_value(Bytes& in) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  static constexpr std::array<double, 12> values = {0.0,  -0.0, 1.0,   -1.0,  0.5,   2.0,
                                                    inf,  -inf, 1e4,   -1e4,  1e-30, std::numeric_limits<double>::quiet_NaN()};
  return values[in.byte() % values.size()];
}

tg::ScalarType pick_dtype(Bytes& in) {
  static constexpr std::array<tg::ScalarType, 5> types = {tg::kFloat, tg::kDouble, tg::kLong, tg::kBool, tg::kFloat};
  return types[in.byte() % types.size()];
}

std::vector<int64_t> pick_shape(Bytes& in) {
  std::vector<int64_t> shape(static_cast<size_t>(in.range(0, 4)));
  for (int64_t& s : shape) s = in.range(0, 4);
  return shape;
}

tg::Scalar pick_scalar(Bytes& in) {
  switch (in.range(0, 2)) {
    case 0: return tg::Scalar(in.range(-3, 3));
    case 1: return tg::Scalar(special_value(in));
    default: return tg::Scalar(in.flag());
  }
}

class Program {
 public:
  explicit Program(Bytes in) : in_(in) {}

  void run() {
    tg::manual_seed(0);
    while (!in_.empty()) {
      const bool no_grad = in_.byte() % 8 == 0;
      tg::AutoGradMode mode(!no_grad);
      try {
        step();
      } catch (const tg::Error& e) {
        tg::fuzz::check_expected_error(e.what());
      }
    }
    // A .grad() computed with create_graph holds a graph that leads back to its
    // tensor: a reference cycle, as in libtorch (which warns about it), that the
    // user breaks by resetting the gradient. So does the program, at its end.
    for (const Tensor& t : with_grad_) t.mutable_grad() = Tensor();
  }

 private:
  // With TG_FUZZ_TRACE set, the program prints its choices and the slots it uses
  // (to read what a crashing input does: TG_FUZZ_TRACE=1 fuzz_op_sequence crash-file).
  static bool tracing() {
    static const bool trace = std::getenv("TG_FUZZ_TRACE") != nullptr;
    return trace;
  }

  Tensor& slot() {
    const size_t i = in_.byte() % kSlots;
    if (tracing()) std::fprintf(stderr, "  slot %zu%s\n", i, slots_[i].defined() ? "" : " (empty)");
    return slots_[i];
  }

  static std::string describe(const Tensor& t) {
    std::ostringstream os;
    os << t.dtype() << t.sizes() << (t.requires_grad() ? " requires grad" : "")
       << (t.grad_fn() ? " " + t.grad_fn()->name() : std::string());
    return os.str();
  }

  // Picks one of cases 0..last.
  int64_t choose(const char* what, int64_t last) {
    const int64_t c = in_.range(0, last);
    if (tracing()) std::fprintf(stderr, "%s %lld\n", what, static_cast<long long>(c));
    return c;
  }

  // A slot's tensor as an operand, created first if the slot is empty: ops on an
  // undefined Tensor are outside the API (tensorgrad, unlike libtorch, does not
  // check for them), so the program never passes one.
  Tensor operand() {
    Tensor& s = slot();
    if (!s.defined()) s = create();
    used_.insert(s.unsafeGetTensorImpl());
    return s;
  }

  // Stores a result, unless it is too large to keep the program fast.
  void keep(const Tensor& t) {
    const size_t i = in_.byte() % kSlots;
    if (!t.defined() || t.numel() > kMaxNumel) return;
    if (tracing()) std::fprintf(stderr, "  -> slot %zu: %s\n", i, describe(t).c_str());
    slots_[i] = t;
  }

  Tensor create() {
    const std::vector<int64_t> shape = pick_shape(in_);
    const tg::ScalarType dtype = pick_dtype(in_);
    Tensor t;
    switch (choose("create", 3)) {
      case 0: t = tg::full(shape, special_value(in_), tg::kDouble).to(dtype); break;
      case 1: t = tg::randn(shape, tg::kDouble).to(dtype); break;
      case 2: t = tg::randint(-3, 4, shape).to(dtype); break;
      default: t = tg::empty(shape, tg::kDouble).fill_(in_.range(-2, 2)).to(dtype); break;
    }
    if (t.is_floating_point() && in_.flag()) with_grad_.push_back(t.requires_grad_());
    return t;
  }

  static bool small_work(const Tensor& a, const Tensor& b) {
    return a.defined() && b.defined() && a.numel() * b.numel() <= kMaxWork && a.numel() <= kMaxNumel &&
           b.numel() <= kMaxNumel;
  }

  Tensor unary(const Tensor& a) {
    switch (choose("unary", 27)) {
      case 0: return a.exp();
      case 1: return a.log();
      case 2: return a.sqrt();
      case 3: return a.rsqrt();
      case 4: return a.reciprocal();
      case 5: return a.erf();
      case 6: return a.tanh();
      case 7: return a.sigmoid();
      case 8: return a.relu();
      case 9: return tg::gelu(a, in_.flag() ? "tanh" : "none");
      case 10: return tg::leaky_relu(a, pick_scalar(in_));
      case 11: return a.abs();
      case 12: return a.sign();
      case 13: return a.neg();
      case 14: return a.square();
      case 15: return a.pow(pick_scalar(in_));
      case 16: return a.clamp(pick_scalar(in_), pick_scalar(in_));
      case 17: return a.clamp_min(pick_scalar(in_));
      case 18: return a.clamp_max(pick_scalar(in_));
      case 19: return tg::logical_not(a);
      case 20: return tg::isnan(a);
      case 21: return tg::isfinite(a);
      case 22: return a.add(pick_scalar(in_), pick_scalar(in_));
      case 23: return a.mul(pick_scalar(in_));
      case 24: return a.div(pick_scalar(in_));
      case 25: return tg::rsub(a, pick_scalar(in_), pick_scalar(in_));
      case 26: return ~a;
      default: return tg::pow(pick_scalar(in_), a);
    }
  }

  Tensor binary(const Tensor& a, const Tensor& b) {
    switch (choose("binary", 24)) {
      case 0: return a.add(b, pick_scalar(in_));
      case 1: return a.sub(b, pick_scalar(in_));
      case 2: return a * b;
      case 3: return a / b;
      case 4: return a.pow(b);
      case 5: return tg::maximum(a, b);
      case 6: return tg::minimum(a, b);
      case 7: return a.eq(b);
      case 8: return a.lt(b);
      case 9: return a.ge(b);
      case 10: return tg::where(a, b, operand());
      case 11: return tg::where(a, b, pick_scalar(in_));
      case 12: return a.matmul(b);
      case 13: return a.mm(b);
      case 14: return a.bmm(b);
      case 15: return tg::addmm(operand(), a, b, pick_scalar(in_), pick_scalar(in_));
      case 16: return tg::prelu(a, b);
      case 17: return tg::cat({a, b}, in_.dim_arg());
      case 18: return tg::stack({a, b}, in_.dim_arg());
      case 19: return a.index_select(in_.dim_arg(), b);
      case 20: return tg::embedding(a, b);
      case 21: return F::linear(a, b, in_.flag() ? operand() : Tensor());
      case 22: return a.expand_as(b);
      case 23: return tg::tensor(a.equal(b) || a.allclose(b));
      default: {
        // a has been an operand (Note [Saved, then modified in place]).
        tg::NoGradGuard no_grad;
        return Tensor(a).copy_(b);
      }
    }
  }

  std::vector<int64_t> pick_dims() {
    std::vector<int64_t> dims(static_cast<size_t>(in_.range(0, 3)));
    for (int64_t& d : dims) d = in_.dim_arg();
    return dims;
  }

  TensorIndex pick_index() {
    switch (choose("index", 5)) {
      case 0: return None;
      case 1: return Ellipsis;
      case 2: return in_.dim_arg();
      case 3: return in_.flag();
      case 4: {
        const int64_t start = in_.dim_arg(), stop = in_.dim_arg(), step = in_.range(0, 3);
        return Slice(start, stop, step);
      }
      default: return operand();
    }
  }

  Tensor view(const Tensor& a) {
    switch (choose("view", 22)) {
      case 0: return a.transpose(in_.dim_arg(), in_.dim_arg());
      case 1: return a.permute(pick_dims());
      case 2: return a.slice(in_.dim_arg(), in_.dim_arg(), in_.dim_arg(), in_.range(0, 3));
      case 3: return a.select(in_.dim_arg(), in_.dim_arg());
      case 4: return a.narrow(in_.dim_arg(), in_.dim_arg(), in_.range(-1, 3));
      case 5: {
        std::vector<int64_t> shape = pick_shape(in_);
        for (int64_t& s : shape)
          if (in_.flag()) s = -1;
        int64_t n = 1;
        for (int64_t s : shape) n *= std::max<int64_t>(s, 1);
        if (n > kMaxNumel) return {};
        return a.expand(shape);
      }
      case 6: return a.unsqueeze(in_.dim_arg());
      case 7: return a.squeeze();
      case 8: return a.squeeze(in_.dim_arg());
      case 9: return a.reshape(pick_shape_with_infer());
      case 10: return a.view(pick_shape_with_infer());
      case 11: return a.flatten(in_.dim_arg(), in_.dim_arg());
      case 12: return a.t();
      case 13: return a.mT();
      case 14: {
        std::vector<TensorIndex> idx;
        for (int64_t k = in_.range(0, 3); k > 0; --k) idx.push_back(pick_index());
        return a.index(idx);
      }
      case 15: return a.contiguous();
      case 16: return a.clone();
      case 17: return a.detach();
      case 18: return a.to(pick_dtype(in_));
      case 19: return with_grad_.emplace_back(tg::ones_like(a).requires_grad_(a.is_floating_point() && in_.flag()));
      case 20: return tg::zeros_like(a);
      case 21: return F::dropout(a, F::DropoutFuncOptions(in_.range(0, 4) / 4.0).training(in_.flag()));
      default: return a.reshape_as(operand());
    }
  }

  std::vector<int64_t> pick_shape_with_infer() {
    std::vector<int64_t> shape = pick_shape(in_);
    if (!shape.empty() && in_.flag()) shape[static_cast<size_t>(in_.byte()) % shape.size()] = -1;
    return shape;
  }

  Tensor reduce(const Tensor& a) {
    switch (choose("reduce", 16)) {
      case 0: return a.sum();
      case 1: return a.sum(pick_dims(), in_.flag());
      case 2: return a.mean();
      case 3: return a.mean(pick_dims(), in_.flag());
      case 4: return a.max();
      case 5: return a.min();
      case 6: return std::get<0>(a.max(in_.dim_arg(), in_.flag()));
      case 7: return std::get<1>(a.min(in_.dim_arg(), in_.flag()));
      case 8: return a.amax(pick_dims(), in_.flag());
      case 9: return a.amin(pick_dims(), in_.flag());
      case 10: return in_.flag() ? a.argmax() : a.argmax(in_.dim_arg(), in_.flag());
      case 11: return a.argmin(in_.dim_arg(), in_.flag());
      case 12: return a.logsumexp(pick_dims(), in_.flag());
      case 13: return a.softmax(in_.dim_arg());
      case 14: return a.log_softmax(in_.dim_arg(), in_.flag() ? tg::optional<tg::ScalarType>(tg::kDouble) : tg::nullopt);
      case 15: return a.sum(tg::kDouble);
      default: return F::layer_norm(a, F::LayerNormFuncOptions(a.sizes().vec().empty()
                                                                   ? std::vector<int64_t>{}
                                                                   : std::vector<int64_t>{a.size(-1)}));
    }
  }

  Tensor inplace(Tensor& a) {
    switch (choose("inplace", 14)) {
      case 0: return a.add_(operand(), pick_scalar(in_));
      case 1: return a.sub_(pick_scalar(in_));
      case 2: return a.mul_(operand());
      case 3: return a.div_(pick_scalar(in_));
      case 4: return a.zero_();
      case 5: return a.fill_(pick_scalar(in_));
      case 6: return a.copy_(operand());
      case 7: return a.index_put_({pick_index(), pick_index()}, pick_scalar(in_));
      case 8: return a.index_put_({pick_index()}, operand());
      case 9: return F::relu(a, F::ReLUFuncOptions(true));
      case 10: return F::leaky_relu(a, F::LeakyReLUFuncOptions().inplace(true));
      case 11: return with_grad_.emplace_back(a.requires_grad_(in_.flag()));
      case 12: return a.detach_();
      case 13: return a.mul_(pick_scalar(in_));
      default: return a.add_(operand());
    }
  }

  Tensor loss(const Tensor& a, const Tensor& b) {
    const int r = in_.range(0, 2);
    tg::nn::loss_reduction_t reduction = tg::enumtype::kMean();
    if (r == 1) reduction = tg::enumtype::kSum();
    if (r == 2) reduction = tg::enumtype::kNone();
    switch (choose("loss", 5)) {
      case 0: return F::mse_loss(a, b, F::MSELossFuncOptions().reduction(reduction));
      case 1: return F::binary_cross_entropy(a, b, F::BinaryCrossEntropyFuncOptions().reduction(reduction));
      case 2:
        return F::binary_cross_entropy_with_logits(
            a, b, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(reduction).pos_weight(in_.flag() ? operand() : Tensor()));
      case 3:
        return F::cross_entropy(a, b,
                                F::CrossEntropyFuncOptions()
                                    .reduction(reduction)
                                    .ignore_index(in_.range(-1, 2))
                                    .label_smoothing(in_.range(0, 4) / 4.0)
                                    .weight(in_.flag() ? operand() : Tensor()));
      case 4:
        return F::nll_loss(a, b, F::NLLLossFuncOptions().reduction(reduction).ignore_index(in_.range(-1, 2)));
      default: return F::log_softmax(a, F::LogSoftmaxFuncOptions(in_.dim_arg()));
    }
  }

  Tensor layer(const Tensor& a, const Tensor& b) {
    switch (choose("layer", 2)) {
      case 0:
        return F::conv2d(a, b,
                         F::Conv2dFuncOptions()
                             .stride(in_.range(0, 2))
                             .padding(in_.range(-1, 2))
                             .dilation(in_.range(0, 2))
                             .groups(in_.range(0, 2)));
      case 1:
        return F::max_pool2d(a, F::MaxPool2dFuncOptions(in_.range(0, 3))
                                    .stride(in_.range(0, 2))
                                    .padding(in_.range(-1, 1))
                                    .dilation(in_.range(0, 2))
                                    .ceil_mode(in_.flag()));
      default: return F::embedding(a, b, F::EmbeddingFuncOptions().padding_idx(in_.range(-2, 2)));
    }
  }

  // backward() and autograd::grad, with and without a graph of the gradient
  // (double backward), retained graphs and restricted inputs.
  void differentiate(const Tensor& a) {
    const Tensor out = in_.flag() ? a.sum() : a;
    const bool retain = in_.flag();
    switch (choose("differentiate", 4)) {
      case 0: out.backward({}, retain); break;
      case 1: out.backward(tg::ones_like(out), retain); break;
      case 2: out.backward({}, retain, false, std::vector<Tensor>{operand()}); break;
      case 3: {
        auto grads = tg::autograd::grad({out}, {operand()}, {}, retain, /*create_graph=*/true, /*allow_unused=*/in_.flag());
        for (const Tensor& g : grads) {
          keep(g);
          if (g.defined() && g.requires_grad()) g.sum().backward({}, in_.flag());
        }
        break;
      }
      default: {
        auto grads = tg::autograd::grad({out}, {operand(), operand()}, {}, retain, false, true);
        for (const Tensor& g : grads) keep(g);
        break;
      }
    }
  }

  void hook(const Tensor& a) {
    switch (choose("hook", 3)) {
      case 0: a.register_hook([](const Tensor& g) { return g * 2; }); break;
      case 1: a.register_hook([](const Tensor&) {}); break;
      case 2:
        a.retain_grad();
        with_grad_.push_back(a);
        break;
      default: a.remove_hook(static_cast<unsigned>(in_.range(0, 2))); break;
    }
  }

  void step() {
    Tensor& a = slot();
    if (!a.defined()) {
      keep(create());
      return;
    }
    const int64_t what = choose("step", 11);
    // Note [Saved, then modified in place]: once a tensor has been an operand, a
    // node may have saved it; modifying it in place with autograd then gives it a
    // history that leads back to that node, a reference cycle (as in libtorch,
    // whose backward also raises there). Such tensors are modified under
    // NoGradGuard; in place with autograd runs on fresh results only.
    const bool fresh = used_.count(a.unsafeGetTensorImpl()) == 0;
    if (what != 5) used_.insert(a.unsafeGetTensorImpl());
    switch (what) {
      case 0: keep(create()); break;
      case 1: keep(unary(a)); break;
      case 2: {
        const Tensor b = operand();
        if (small_work(a, b)) keep(binary(a, b));
        break;
      }
      case 3: keep(view(a)); break;
      case 4: keep(reduce(a)); break;
      case 5: {
        tg::AutoGradMode mode(fresh && tg::GradMode::is_enabled());
        keep(inplace(a));
        break;
      }
      case 6: {
        const Tensor b = operand();
        if (small_work(a, b)) keep(loss(a, b));
        break;
      }
      case 7: {
        const Tensor b = operand();
        if (small_work(a, b)) keep(layer(a, b));
        break;
      }
      case 8: differentiate(a); break;
      case 9: hook(a); break;
      case 10: keep(a.grad()); break;
      default: a.zero_grad(); break;
    }
  }

  Bytes in_;
  std::array<Tensor, kSlots> slots_;
  // Every tensor that may get a .grad(): leaves and retain_grad() targets.
  std::vector<Tensor> with_grad_;
  // Tensors that have been operands (Note [Saved, then modified in place]); an
  // address reused by a later tensor only makes the program more cautious.
  std::unordered_set<const tg::TensorImpl*> used_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tg::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program(Bytes(data, size)).run();
  return 0;
}
