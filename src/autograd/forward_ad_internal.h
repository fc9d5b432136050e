#pragma once
// Forward-mode AD as the ops see it (Note [Forward-mode AD] in forward_ad.cpp).
// An op with a forward rule adds one line beside its forward, before recording:
//
//   if (needs_tangent(a, b))
//     set_tangent(out, a, [&](const Tensor& t) { return t * b; }, b, [&](const Tensor& t) { return a * t; });
//
// (A rule that uses the op's output comes after: Note [Rules that use the output].)
// needs_tangent costs one thread-local load when no forward-AD level is active.
#include <functional>

#include "autograd/autograd_meta.h"

namespace tg::autograd::forward_ad {

inline bool active() { return detail::forward_ad_level != 0; }

// The level whose tangents are current: the active one, or the one paused while
// a rule runs.
uint64_t current_level();

inline bool has_tangent(const Tensor& t) {
  const AutogradMeta* m = AutogradMeta::find(t);
  return m && m->fw_grad.defined() && m->fw_level == detail::forward_ad_level;
}

// Whether an op on these inputs must compute its output's tangent.
template <class... Ts>
inline bool needs_tangent(const Ts&... ts) {
  return active() && (has_tangent(ts) || ...);
}

// t's tangent in the current level, or zeros like t when it carries none.
Tensor tangent_of(const Tensor& t);

// Suspends forward AD on this thread (a rule's own ops carry no tangents).
class Pause {
 public:
  Pause();
  ~Pause();
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;

 private:
  uint64_t level_;
  uint64_t outer_paused_;
};

// Makes `tangent` (zeros when undefined) out's tangent: cast to out's dtype, broadcast to its shape and
// laid out with out's strides and offset (so views of out can view the tangent).
void attach(const Tensor& out, Tensor tangent);

// The tangent t carries in the current level, or null.
const Tensor* find_tangent(const Tensor& t);

inline void add_terms(Tensor&) {}
template <class F, class... Rest>
void add_terms(Tensor& sum, const Tensor& input, const F& term, const Rest&... rest) {
  if (const Tensor* t = find_tangent(input)) {
    Tensor v = term(*t);
    sum = sum.defined() ? sum + v : std::move(v);
  }
  add_terms(sum, rest...);
}

// out's tangent as a sum over inputs of term(input's tangent), for the inputs that
// carry one (the others count as exact zeros, never as 0 * something):
//   set_tangent(out, a, [&](const Tensor& t) { return t * b; }, b, [&](const Tensor& t) { return a * t; });
// Terms run with forward AD paused (a tangent carries no tangent of its own).
template <class... Pairs>
void set_tangent(const Tensor& out, const Pairs&... input_term_pairs) {
  if (!out.is_floating_point()) return;
  Tensor sum;
  {
    Pause pause;
    add_terms(sum, input_term_pairs...);
  }
  attach(out, std::move(sum));
}

// out's tangent as rule(), for ops that take a list of inputs (see tangent_of).
template <class F>
void set_tangent_from(const Tensor& out, const F& rule) {
  if (!out.is_floating_point()) return;
  Tensor t;
  {
    Pause pause;
    t = rule();
  }
  attach(out, std::move(t));
}

// Note [Rules that use the output]: a rule that uses the op's output y (exp's
// t * y, tanh's, softmax's, div's, pow's) runs once the op's node is made and
// before the output is linked to it (`if (node) set_history(out, node)` comes
// after the rule), so that a graph built from the tangent reaches that node:
// differentiating a tangent (forward-over-reverse) then gives libtorch's numbers,
// where a constant y would drop y's own dependence on the inputs. The rule gets y
// from output_for_rule: out's data linked to `node` (out itself when no node is
// recorded). An alias, not out: the tangent's graph saves y, and out holds its
// tangent, so saving out would make out own itself. `node` is marked as carrying
// a tangent, which check_rule's stamp cannot tell in this order.
Tensor output_for_rule(const Tensor& out, const intrusive_ptr<Node>& node);

// A view's tangent is the same view of its base's tangent (they share a layout).
// When the base's tangent has a history (Note [Rules that use the output]), the
// view's tangent records a node too, named `name`, whose backward is the view op's
// own: `to_base` maps a gradient of the view to one of the base.
void set_view_tangent(const Tensor& view, const Tensor& base, const char* name,
                      std::function<Tensor(const Tensor&)> to_base);

// Called by set_history inside a level: an op whose input carries a tangent but
// whose output got none has no forward rule, which raises.
void check_rule(const Tensor& out, Node& fn);

}  // namespace tg::autograd::forward_ad
