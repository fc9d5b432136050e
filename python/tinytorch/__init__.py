"""tinytorch: the specification's teaching framework API (tinytorch.core.tensor,
.autograd, .activations, .losses) in pure Python over tensorgrad, whose C++
engine computes every gradient."""
from .core.tensor import Tensor

__all__ = ["Tensor"]
__version__ = "0.1.0"
