#pragma once
// tensorgrad: a C++20 tensor library with reverse-mode automatic differentiation.
// Its API is a source-compatible subset of the libtorch 1.13 C++ frontend in
// namespace tg (see docs/API.md); this header includes all of it.
#include "tensorgrad/array_ref.h"
#include "tensorgrad/autograd.h"
#include "tensorgrad/checkpoint.h"
#include "tensorgrad/data.h"
#include "tensorgrad/error.h"
#include "tensorgrad/forward_ad.h"
#include "tensorgrad/functional.h"
#include "tensorgrad/gradcheck.h"
#include "tensorgrad/gradient_tape.h"
#include "tensorgrad/graph.h"
#include "tensorgrad/indexing.h"
#include "tensorgrad/nn.h"
#include "tensorgrad/nn/functional.h"
#include "tensorgrad/ops.h"
#include "tensorgrad/optim.h"
#include "tensorgrad/scalar.h"
#include "tensorgrad/scalar_type.h"
#include "tensorgrad/serialize.h"
#include "tensorgrad/tensor.h"
#include "tensorgrad/tensor_options.h"
