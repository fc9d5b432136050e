"""tinytorch.core.activations: ReLU, Sigmoid, Softmax, GELU and Tanh. forward(x)
(or calling the object) returns a Tensor recorded in tensorgrad's graph, with the
matching Backward class in its _grad_fn."""
from tensorgrad.nn import functional as F
from tinytorch.core import autograd as fn
from tinytorch.core.tensor import Tensor


class _Activation:
    def __call__(self, x, *args, **kwargs):
        return self.forward(x, *args, **kwargs)

    def __repr__(self):
        return type(self).__name__ + "()"


def _input(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class ReLU(_Activation):
    """max(0, x)."""

    def forward(self, x):
        x = _input(x)
        return Tensor._result(x._t.relu(), fn.ReLUBackward, x)


class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""

    def forward(self, x):
        x = _input(x)
        out = Tensor._result(x._t.sigmoid())
        if out.requires_grad:
            out._grad_fn = fn.SigmoidBackward(x, out)
        return out


class Tanh(_Activation):
    """tanh(x)."""

    def forward(self, x):
        x = _input(x)
        return Tensor._result(x._t.tanh(), fn.TanhBackward, x)


class Softmax(_Activation):
    """exp(x) / sum(exp(x)) along dim (the last by default)."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x, dim=None):
        x = _input(x)
        dim = self.dim if dim is None else dim
        out = Tensor._result(x._t.softmax(dim))
        if out.requires_grad:
            out._grad_fn = fn.SoftmaxBackward(x, out, dim)
        return out


class GELU(_Activation):
    """0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), the tanh form the specification's
    GELUBackward differentiates."""

    def forward(self, x):
        x = _input(x)
        return Tensor._result(F.gelu(x._t, approximate="tanh"), fn.GELUBackward, x)


__all__ = ["ReLU", "Sigmoid", "Tanh", "Softmax", "GELU"]
