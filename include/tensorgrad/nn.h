#pragma once
// tg::nn: modules, module holders, initialisers and the functional forms, as
// libtorch 1.13's torch::nn.
#include "tensorgrad/nn/functional.h"
#include "tensorgrad/nn/init.h"
#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/modules/activation.h"
#include "tensorgrad/nn/modules/any.h"
#include "tensorgrad/nn/modules/conv.h"
#include "tensorgrad/nn/modules/dropout.h"
#include "tensorgrad/nn/modules/embedding.h"
#include "tensorgrad/nn/modules/linear.h"
#include "tensorgrad/nn/modules/normalization.h"
#include "tensorgrad/nn/modules/pooling.h"
#include "tensorgrad/nn/modules/sequential.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/ordered_dict.h"
#include "tensorgrad/nn/pimpl.h"
