#pragma once
// [tg] tg::autograd::GradientTape: tape-style recording, as TensorFlow's tape and
// the Mojo autograd's GradientTape, built on the same graph as backward():
//
//   tg::autograd::GradientTape tape;
//   tape.watch(x);                      // x need not require grad
//   {
//     auto rec = tape.recording();      // enable() now, disable() at scope exit
//     y = (x * x).sum();
//   }
//   auto dx = tape.gradient(y, {x});    // or tape.backward(): into .grad()
//
// While a tape is enabled, every recorded operation is kept by the tape (so the
// graph lives until clear() or a non-persistent gradient), and watched tensors
// take part in autograd as if they required grad. Tapes nest: a gradient computed
// while another tape is enabled is itself recorded (higher derivatives).
#include <cstddef>
#include <vector>

#include "tensorgrad/autograd.h"

namespace tg::autograd {

class GradientTape {
 public:
  // A persistent tape keeps its graph through gradient()/backward() (any number
  // of them); otherwise one gradient consumes the recording.
  explicit GradientTape(bool persistent = false);
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  // Starts / stops recording on the calling thread.
  void enable();
  void disable();
  bool is_enabled() const { return enabled_; }

  // Enables the tape for a scope: `auto rec = tape.recording();`.
  class Recording {
   public:
    explicit Recording(GradientTape& tape) : tape_(tape), was_enabled_(tape.is_enabled()) { tape_.enable(); }
    ~Recording() {
      if (!was_enabled_) tape_.disable();
    }
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;

   private:
    GradientTape& tape_;
    bool was_enabled_;
  };
  [[nodiscard]] Recording recording() { return Recording(*this); }

  // Operations on t are recorded while the tape is enabled, even when t does not
  // require grad (it requires grad while watched by an enabled tape). Floating-point only.
  void watch(const Tensor& t);
  void watch(const std::vector<Tensor>& ts);
  const std::vector<Tensor>& watched() const { return watched_; }

  // d(sum of target)/d(source) for each source; undefined for a source the target
  // does not depend on. Does not touch any .grad().
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources);
  // Backward from the last one-element result recorded by this tape, accumulating
  // into the .grad() of the leaves (and watched tensors) it depends on.
  void backward();

  // Frees everything the tape recorded: its hold on the graph and on the last
  // result (tensors still referenced elsewhere keep their own graph).
  void clear();
  // Operations recorded since the last clear().
  size_t num_recorded() const { return recorded_.size(); }

 private:
  friend void record_on_tapes(const Tensor& out, const intrusive_ptr<Node>& fn);

  std::vector<Tensor> watched_;
  std::vector<intrusive_ptr<Node>> recorded_;
  Tensor last_result_;
  bool persistent_;
  bool enabled_ = false;
};

}  // namespace tg::autograd
