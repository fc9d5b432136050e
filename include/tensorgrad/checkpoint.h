#pragma once
// [tg] Gradient checkpointing: trade compute for memory. checkpoint(fn, inputs)
// runs fn, keeps only its inputs for backward (none of fn's intermediate tensors),
// and runs fn again with grad during backward to differentiate it. Gradients equal
// those of calling fn directly, for the inputs and for any tensor fn uses that
// requires grad (a module's parameters). fn must compute the same thing twice:
// random ops (dropout) see the same random numbers, as the generator's state is
// restored for the recomputation.
//
//   for (size_t i = 0; i < layers.size(); i += 4)
//     h = tg::autograd::checkpoint([&, i](const Tensor& x) { return run_layers(i, i + 4, x); }, h);
#include <functional>

#include "tensorgrad/autograd.h"

namespace tg::autograd {

variable_list checkpoint(const std::function<variable_list(const variable_list&)>& fn, const variable_list& inputs);
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input);

}  // namespace tg::autograd
