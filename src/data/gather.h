#pragma once
// Gathering samples by index, shared by the DataLoader and the datasets.
#include <cstdint>

#include "tensorgrad/tensor.h"

namespace tg::data {

// The rows rows[0], ..., rows[count - 1] of a contiguous tensor (indices already
// checked), stacked into a new tensor.
Tensor gather_rows(const Tensor& source, const int64_t* rows, int64_t count);

}  // namespace tg::data
