#pragma once
// The GradientTape's hook into graph building (not public API).
#include "autograd/autograd_meta.h"

namespace tg::autograd {

// Called by set_history while at least one tape is enabled on this thread: each
// enabled tape keeps `fn` (and `out` when it has one element, for backward()).
void record_on_tapes(const Tensor& out, const intrusive_ptr<Node>& fn);

// Hides the enabled tapes for a scope: nodes made there are internal to one op
// (a checkpointed segment) and the tapes keep only that op's own node.
class PauseTapes {
 public:
  PauseTapes() : saved_(detail::enabled_tapes) { detail::enabled_tapes = 0; }
  ~PauseTapes() { detail::enabled_tapes = saved_; }
  PauseTapes(const PauseTapes&) = delete;
  PauseTapes& operator=(const PauseTapes&) = delete;

 private:
  int saved_;
};

}  // namespace tg::autograd
