#pragma once
// libtorch's autograd error texts, word for word (users search for them).
namespace tg::autograd::messages {

inline constexpr const char* kBackwardTwice =
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.";
inline constexpr const char* kVersionHint =
    "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
    "torch.autograd.set_detect_anomaly(True).";
inline constexpr const char* kVersionHintAnomaly =
    "Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable "
    "in question was changed in there or anywhere later. Good luck!";
inline constexpr const char* kLeafInplace =
    "a leaf Variable that requires grad is being used in an in-place operation.";
inline constexpr const char* kViewOfLeafInplace =
    "a view of a leaf Variable that requires grad is being used in an in-place operation.";
inline constexpr const char* kImplicitScalar = "grad can be implicitly created only for scalar outputs";
// Preceded by "element <i> of tensors".
inline constexpr const char* kNoGradFn = " does not require grad and does not have a grad_fn";
inline constexpr const char* kRequiresGradNonLeaf =
    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
    "subgraph that doesn't require differentiation use var_no_grad = var.detach().";
inline constexpr const char* kRequiresGradDtype = "only Tensors of floating point dtype can require gradients";

}  // namespace tg::autograd::messages
