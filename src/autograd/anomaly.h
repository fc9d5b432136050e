#pragma once
// Anomaly mode's naming of forward operations (not public API).
#include <string>

namespace tg::autograd {

// The forward op behind a backward node's name, as libtorch names ops:
// "LogSoftmaxBackward0" -> "log_softmax", "MmBackward0" -> "mm".
std::string forward_op_name(const std::string& node_name);

}  // namespace tg::autograd
