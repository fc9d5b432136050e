#pragma once
// tg::optim: the optimizers of libtorch 1.13's C++ frontend (SGD, Adam, AdamW,
// RMSprop), each updating a parameter in one fused pass over its elements.
#include "tensorgrad/optim/adam.h"
#include "tensorgrad/optim/adamw.h"
#include "tensorgrad/optim/optimizer.h"
#include "tensorgrad/optim/rmsprop.h"
#include "tensorgrad/optim/sgd.h"
