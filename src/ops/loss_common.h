#pragma once
// What the loss implementations share: the reduction as a plain enum and
// libtorch's refusal of gradients for class weights.
#include "tensorgrad/nn/functional.h"

namespace tg::ops {

enum class Reduction { None, Mean, Sum };

// The alternatives of loss_reduction_t are kNone, kMean, kSum, in that order.
inline Reduction reduction_of(const nn::loss_reduction_t& r) { return static_cast<Reduction>(r.index()); }

// libtorch does not differentiate losses with respect to their weight arguments
// and says so when the forward is called, whatever the grad mode.
inline void check_no_requires_grad(const Tensor& t, const char* arg, const char* fn) {
  TG_CHECK(!t.defined() || !t.requires_grad(), "The function '", fn,
           "' is not differentiable with respect to argument '", arg, "'. This input cannot have requires_grad True.");
}

}  // namespace tg::ops
