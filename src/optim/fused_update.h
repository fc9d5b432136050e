#pragma once
// What every optimizer's update shares: checking a parameter and its gradient,
// making its state buffers, and running one fused pass over its elements.
//
// Note [Optimizer rounding]: each update reproduces libtorch 1.13's CPU ops in
// their order, with every hyper-parameter rounded to the parameter's dtype as
// libtorch's scalar arguments are. Where libtorch's kernels (AVX2 build) fuse a
// multiply and an add — `add(x, alpha)` is fma(x, alpha, self), `addcmul` is
// fma(value·x, y, self) — the update calls std::fma; every other product is
// rounded on its own, and these files are compiled with -ffp-contract=off so the
// compiler fuses nothing else. Parameters then match libtorch's bit for bit.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/parallel.h"
#include "kernels/dispatch.h"
#include "ops/ops_internal.h"

namespace tg::optim::detail {

// Checks that p can be updated: float32 or float64, with a gradient of its
// shape. Called before p's state is made, so a refused step leaves no state.
inline void check_parameter(const char* optimizer, const Tensor& p) {
  TG_CHECK(p.dtype() == kFloat || p.dtype() == kDouble, optimizer,
           " supports float32 and float64 parameters, got a parameter of dtype ", p.dtype());
  TG_CHECK(p.grad().sizes() == p.sizes(), optimizer, ": a parameter of shape ", p.sizes(),
           " has a gradient of shape ", p.grad().sizes());
}

// Calls kernel(param, grad, begin, end) with typed pointers (float or double) to
// the elements of p (checked by check_parameter) and of its gradient, over chunks
// of [0, p.numel()) in parallel, then bumps p's version as an in-place op does.
// A gradient of another dtype is converted, and a non-contiguous parameter is
// updated through a contiguous copy.
template <class Kernel>
void fused_update(const Tensor& p, const Kernel& kernel) {
  const Tensor g = ops::contiguous_raw(ops::cast(p.grad(), p.dtype()));
  const Tensor work = ops::contiguous_raw(p);
  kernels::visit_floating(p.dtype(), "optimizer step", [&](auto tag) {
    using T = decltype(tag);
    T* param = work.data_ptr<T>();
    const T* gradient = g.data_ptr<T>();
    core::parallel_for(p.numel(), ops::affine_grain(p.grad()),
                       [&](int64_t begin, int64_t end) { kernel(param, gradient, begin, end); });
  });
  if (!work.is_same(p)) ops::copy_raw(p, work);
  else ops::set_writer_blocks(p, ops::writer_blocks(p.grad()));  // the chunks the update was cut in
  ops::bump_version(p);
}

// A zero-filled state buffer of p's shape and dtype.
inline Tensor zero_state(const Tensor& p) {
  Tensor t = ops::empty(p.sizes(), p.dtype());
  ops::fill_raw(t, 0);
  return t;
}

// Checks that a state buffer still fits its parameter (the parameter may have
// been resized or converted since the buffer was made).
inline void check_state(const char* optimizer, const char* name, const Tensor& buffer, const Tensor& p) {
  TG_CHECK(buffer.defined() && buffer.dtype() == p.dtype() && buffer.sizes() == p.sizes() && buffer.is_contiguous(),
           optimizer, ": the state '", name, "' of a parameter of shape ", p.sizes(), " and dtype ", p.dtype(),
           " does not match it");
}

// Calls f(std::bool_constant<flags>...): the update loops specialise on their
// options, so that each runs without branches and vectorises.
template <class F>
void with_static_flags(const F& f) {
  f();
}
template <class F, class... Rest>
void with_static_flags(const F& f, bool flag, Rest... rest) {
  if (flag) {
    with_static_flags([&](auto... fs) { f(std::true_type{}, fs...); }, rest...);
  } else {
    with_static_flags([&](auto... fs) { f(std::false_type{}, fs...); }, rest...);
  }
}

// Element access to a state buffer inside a kernel.
template <class T>
T* buffer(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace tg::optim::detail
