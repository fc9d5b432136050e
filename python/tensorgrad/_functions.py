"""The function forms of Tensor methods (tensorgrad.exp(x) is x.exp(), as in torch),
and the few functions that are not plain methods."""
from ._C import Tensor, tensor, from_numpy

# Each name is the Tensor method itself, unbound: tensorgrad.sum(x, dim=1) == x.sum(dim=1).
_METHODS = (
    "abs", "absolute", "neg", "negative", "exp", "log", "sqrt", "rsqrt", "reciprocal", "square", "erf", "sign",
    "tanh", "sigmoid", "relu", "logical_not", "isnan", "isfinite",
    "add", "sub", "mul", "div", "maximum", "minimum", "clamp", "clip", "clamp_min", "clamp_max",
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose",
    "matmul", "mm", "bmm", "t", "transpose", "swapaxes", "permute", "reshape", "flatten", "squeeze", "unsqueeze",
    "narrow", "select", "index_select", "split", "chunk", "unbind",
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp", "softmax", "log_softmax",
    "clone", "detach",
)
globals().update({name: getattr(Tensor, name) for name in _METHODS})
__all__ = list(_METHODS)


def pow(input, exponent):
    """input ** exponent; input may be a number when exponent is a Tensor."""
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return exponent.__rpow__(input)


def as_tensor(data, dtype=None):
    """data as a tensor, sharing memory with a numpy array or tensor of the same dtype."""
    import numpy as np
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and dtype is None:
        try:
            return from_numpy(data)
        except (TypeError, ValueError):
            pass
    return tensor(data, dtype=dtype)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)
