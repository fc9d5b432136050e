#pragma once
// One source, two libraries: compiled against tensorgrad by default and against
// libtorch with -DBACKEND_TORCH, by swapping the header and namespace T.
#ifdef BACKEND_TORCH
#include <torch/torch.h>
namespace T = torch;
inline const char* backend_name() { return "libtorch"; }
#else
#include <tensorgrad/tensorgrad.h>
namespace T = tg;
inline const char* backend_name() { return "tensorgrad"; }
#endif
