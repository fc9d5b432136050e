// GradientTape (DESIGN.md: no second autograd): the tape is a view onto the graph
// that ops build anyway. set_history tells the enabled tapes about every node it
// links (tape_internal.h), and watching a tensor makes it require grad while a tape
// that watches it is enabled, so the op path needs no check of its own.
#include <unordered_map>

#include "autograd/tape_internal.h"
#include "tensorgrad/gradient_tape.h"
#include "tensorgrad/ops.h"

namespace tg::autograd {
namespace {

// The tapes enabled on this thread, in the order they were enabled.
thread_local std::vector<GradientTape*> enabled_tapes;

// A tensor watched by several enabled tapes requires grad until the last lets go;
// `marked` when a tape (not the user) set its requires_grad flag.
struct WatchState {
  int count = 0;
  bool marked = false;
};
thread_local std::unordered_map<TensorImpl*, WatchState> watch_states;

void activate(const Tensor& t) {
  WatchState& s = watch_states[t.unsafeGetTensorImpl()];
  if (s.count++ == 0 && !t.requires_grad()) {
    AutogradMeta::get_or_create(t.unsafeGetTensorImpl()).requires_grad = true;
    s.marked = true;
  }
}

void deactivate(const Tensor& t) {
  auto it = watch_states.find(t.unsafeGetTensorImpl());
  if (it == watch_states.end() || --it->second.count > 0) return;
  if (it->second.marked)
    if (AutogradMeta* m = AutogradMeta::find(t); m && !m->grad_fn) m->requires_grad = false;
  watch_states.erase(it);
}

// A tape differentiates with respect to its watched tensors even after it was
// disabled: they require grad again for the duration.
class Rewatch {
 public:
  Rewatch(const std::vector<Tensor>& watched, bool enabled) : watched_(watched), active_(!enabled) {
    if (active_)
      for (const Tensor& t : watched_) activate(t);
  }
  ~Rewatch() {
    if (active_)
      for (const Tensor& t : watched_) deactivate(t);
  }
  Rewatch(const Rewatch&) = delete;
  Rewatch& operator=(const Rewatch&) = delete;

 private:
  const std::vector<Tensor>& watched_;
  bool active_;
};

}  // namespace

void record_on_tapes(const Tensor& out, const intrusive_ptr<Node>& fn) {
  for (GradientTape* tape : enabled_tapes) {
    // A node with several outputs is linked once per output: keep it once.
    if (tape->recorded_.empty() || tape->recorded_.back() != fn) tape->recorded_.push_back(fn);
    if (out.numel() == 1) tape->last_result_ = out;
  }
}

GradientTape::GradientTape(bool persistent) : persistent_(persistent) {}

GradientTape::~GradientTape() {
  disable();
  clear();
}

void GradientTape::enable() {
  if (enabled_) return;
  enabled_ = true;
  enabled_tapes.push_back(this);
  ++detail::enabled_tapes;
  for (const Tensor& t : watched_) activate(t);
}

void GradientTape::disable() {
  if (!enabled_) return;
  enabled_ = false;
  std::erase(enabled_tapes, this);
  --detail::enabled_tapes;
  for (const Tensor& t : watched_) deactivate(t);
}

void GradientTape::watch(const Tensor& t) {
  TG_CHECK(t.defined(), "GradientTape.watch(): the tensor is undefined");
  TG_CHECK(t.is_floating_point(), "GradientTape.watch(): only floating-point tensors can be watched, got a tensor of "
           "dtype ", t.dtype());
  for (const Tensor& w : watched_)
    if (w.is_same(t)) return;
  watched_.push_back(t);
  if (enabled_) activate(t);
}

void GradientTape::watch(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) watch(t);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources) {
  TG_CHECK(target.defined(), "GradientTape.gradient(): the target is undefined");
  Rewatch rewatch(watched_, enabled_);
  std::vector<Tensor> result(sources.size());
  variable_list inputs;
  std::vector<size_t> positions;
  for (size_t i = 0; i < sources.size(); ++i) {
    TG_CHECK(sources[i].defined(), "GradientTape.gradient(): source ", i, " is undefined");
    if (!sources[i].requires_grad()) continue;
    inputs.push_back(sources[i]);
    positions.push_back(i);
  }
  if (target.requires_grad() && !inputs.empty()) {
    // Another enabled tape records this gradient's computation (nested tapes).
    const bool higher = enabled_tapes.size() > (enabled_ ? 1u : 0u);
    variable_list g = grad({target}, inputs, {ones_like(target)}, persistent_ || higher, higher, true);
    for (size_t k = 0; k < positions.size(); ++k) result[positions[k]] = std::move(g[k]);
  }
  if (!persistent_) clear();
  return result;
}

void GradientTape::backward() {
  TG_CHECK(last_result_.defined(),
           "GradientTape.backward(): no one-element result was recorded while the tape was enabled");
  Rewatch rewatch(watched_, enabled_);
  Tensor root = last_result_;
  root.backward({}, persistent_);
  if (!persistent_) clear();
}

void GradientTape::clear() {
  last_result_ = Tensor();
  recorded_.clear();
}

}  // namespace tg::autograd
