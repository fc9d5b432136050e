#pragma once
// [tg] Forward-mode automatic differentiation: tensors carry a tangent through the
// ops (dual numbers a + b·ε with ε² = 0, elementwise), so one forward pass gives a
// Jacobian-vector product J·v. Ops with a forward rule: elementwise arithmetic and
// functions, pow, where/maximum/minimum, clamp, activations, reductions (sum, mean,
// max/min, amax/amin, logsumexp), softmax/log_softmax, matrix products, views,
// reshape, cat/stack, index_select/embedding, clone/to/copy_. Any other op on a
// tensor carrying a tangent raises "tg::autograd::jvp: no forward-mode rule for <op>".
#include <functional>
#include <utility>

#include "tensorgrad/autograd.h"

namespace tg::autograd {

// (outputs, J·tangents): fn evaluated at `primals`, and the directional derivative
// of each output along `tangents` (one per primal, same shape). Undefined tangents
// count as zero. Outputs keep their reverse-mode history only when it reaches
// tensors requiring grad outside fn.
std::pair<variable_list, variable_list> jvp(const std::function<variable_list(const variable_list&)>& fn,
                                            const variable_list& primals, const variable_list& tangents);
std::pair<Tensor, Tensor> jvp(const std::function<Tensor(const Tensor&)>& fn, const Tensor& primal,
                              const Tensor& tangent);

namespace forward_ad {

// A forward-AD level for a scope: tangents exist only inside it. One at a time.
class DualLevel {
 public:
  DualLevel();
  ~DualLevel();
  DualLevel(const DualLevel&) = delete;
  DualLevel& operator=(const DualLevel&) = delete;
};

// A tensor with primal's value carrying `tangent` (same shape), inside a DualLevel.
Tensor make_dual(const Tensor& primal, const Tensor& tangent);
// (value without tangent, tangent or undefined).
std::pair<Tensor, Tensor> unpack_dual(const Tensor& t);

}  // namespace forward_ad
}  // namespace tg::autograd
