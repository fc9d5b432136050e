"""tinytorch.core.losses: MSELoss, BinaryCrossEntropyLoss, CrossEntropyLoss and
log_softmax, computed by tensorgrad (the losses are means over all elements /
over the batch, as in the specification)."""
import numpy as np

import tensorgrad as tg
from tensorgrad.nn import functional as F
from tinytorch.core import autograd as fn
from tinytorch.core.tensor import Tensor


def _input(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _target(targets, dtype):
    data = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return tg.tensor(data, dtype=dtype)


def log_softmax(x, dim=-1):
    """log(softmax(x)) along dim, computed stably (x - logsumexp(x))."""
    x = _input(x)
    return Tensor._result(x._t.log_softmax(dim), fn.LogSoftmaxBackward, x, dim)


class _Loss:
    def __call__(self, predictions, targets):
        return self.forward(predictions, targets)

    def __repr__(self):
        return type(self).__name__ + "()"


class MSELoss(_Loss):
    """mean((predictions - targets)²)."""

    def forward(self, predictions, targets):
        p = _input(predictions)
        loss = F.mse_loss(p._t, _target(targets, p._t.dtype))
        return Tensor._result(loss, fn.MSEBackward, p, _input(targets))


class BinaryCrossEntropyLoss(_Loss):
    """-mean(y·log p + (1-y)·log(1-p)), with p clipped to [1e-7, 1 - 1e-7]."""

    def forward(self, predictions, targets):
        p = _input(predictions)
        clipped = p._t.clamp(fn.EPSILON, 1 - fn.EPSILON)
        loss = F.binary_cross_entropy(clipped, _target(targets, p._t.dtype))
        return Tensor._result(loss, fn.BCEBackward, p, _input(targets))


class CrossEntropyLoss(_Loss):
    """-mean(log_softmax(logits)[i, targets[i]]) for class-index targets."""

    def forward(self, logits, targets):
        x = _input(logits)
        t = _input(targets)
        loss = F.cross_entropy(x._t, tg.tensor(t.data.astype(np.int64)))
        return Tensor._result(loss, fn.CrossEntropyBackward, x, t)


__all__ = ["MSELoss", "BinaryCrossEntropyLoss", "CrossEntropyLoss", "log_softmax"]
