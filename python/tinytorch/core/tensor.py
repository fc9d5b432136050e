"""tinytorch.core.tensor.Tensor: the specification's Tensor (data as a numpy array in
.data, requires_grad, grad as a numpy array, backward(gradient=None), zero_grad())
over a tensorgrad tensor, so that every operation records its backward in
tensorgrad's C++ graph and backward() runs tensorgrad's engine.

Each result also carries the specification's record of how it was made: its
_grad_fn is the matching tinytorch.core.autograd Function (AddBackward,
MatmulBackward, ...) holding the inputs in saved_tensors. Gradients reach every
tensor that requires grad, intermediate ones included, as in the specification.
"""
import numpy as np

import tensorgrad as tg

_DTYPES = (np.float32, np.float64, np.int64, np.bool_)


def _as_array(data, dtype):
    array = np.array(data, dtype=dtype)
    if array.dtype.type not in _DTYPES:
        array = array.astype(np.float32)
    return array


class Tensor:
    """A numpy-backed tensor whose gradients come from tensorgrad's engine.

    Tensor(data, requires_grad=False) copies data as float32 (unless dtype says
    otherwise); .data is a numpy view of the tensor's memory.
    """

    _autograd_enabled = True

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self._t = tg.from_numpy(_as_array(data, dtype or np.float32))
        if requires_grad:
            self._t.requires_grad_(True)
        self._grad_fn = None

    @classmethod
    def _result(cls, t, function=None, *inputs, **options):
        """Wraps tensorgrad's result t; when it requires grad, records `function`
        (a Backward class) over the inputs and keeps t's gradient after backward."""
        out = cls.__new__(cls)
        out._t = t
        out._grad_fn = None
        if t.requires_grad:
            if function is not None:
                out._grad_fn = function(*inputs, **options)
            if not t.is_leaf:
                t.retain_grad()
        return out

    # ---- data, shape and gradient ------------------------------------------------------------
    @property
    def data(self):
        return self._t.detach().numpy()

    @data.setter
    def data(self, value):
        self._t.data = tg.from_numpy(_as_array(value, self._t.detach().numpy().dtype))

    @property
    def requires_grad(self):
        return self._t.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value != self._t.requires_grad:
            if self._t.is_leaf:
                self._t.requires_grad_(bool(value))
            else:
                self._t = self._t.detach()

    @property
    def grad(self):
        g = self._t.grad
        return None if g is None else g.numpy()

    @grad.setter
    def grad(self, value):
        if value is None:
            self._t.grad = None
        else:
            self._t.grad = tg.tensor(np.broadcast_to(np.asarray(value), self.shape), dtype=self._t.dtype)

    @property
    def shape(self):
        return self._t.shape

    @property
    def size(self):
        return self._t.numel()

    @property
    def ndim(self):
        return self._t.dim()

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self):
        return self.transpose()

    def numpy(self):
        return self.data

    def item(self):
        return self._t.item()

    def tolist(self):
        return self._t.tolist()

    def __len__(self):
        return len(self._t)

    def __array__(self, dtype=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        grad_info = ", requires_grad=True" if self.requires_grad else ""
        return "Tensor(data={}{})".format(self.data, grad_info)

    __str__ = __repr__

    # ---- autograd -------------------------------------------------------------------------------
    def backward(self, gradient=None):
        """Accumulates d(self)/d(t) into t.grad for every tensor t that requires grad.
        gradient defaults to ones for a one-element tensor; the graph is kept, so
        backward may run again (gradients then accumulate)."""
        if not self.requires_grad:
            return
        if gradient is None:
            if self._t.numel() != 1:
                raise ValueError(
                    "backward() called on non-scalar tensor without gradient argument.\n"
                    "  Tensor shape: {}\n"
                    "  Issue: For non-scalar outputs, you must provide the gradient from the next layer.\n"
                    "  Fix: Call backward(gradient) with the gradient tensor from the loss function."
                    .format(self.shape))
            seed = tg.ones_like(self._t)
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient.data
            seed = tg.tensor(np.broadcast_to(np.asarray(gradient), self.shape), dtype=self._t.dtype)
        self._t.backward(seed, retain_graph=True)

    def zero_grad(self):
        self._t.grad = None

    # ---- operations ------------------------------------------------------------------------------
    def __add__(self, other):
        return Tensor._result(self._t + _operand(other), _fn.AddBackward, self, other)

    def __radd__(self, other):
        return Tensor._result(_operand(other) + self._t, _fn.AddBackward, other, self)

    def __sub__(self, other):
        return Tensor._result(self._t - _operand(other), _fn.SubBackward, self, other)

    def __rsub__(self, other):
        return Tensor._result(_operand(other) - self._t, _fn.SubBackward, other, self)

    def __mul__(self, other):
        return Tensor._result(self._t * _operand(other), _fn.MulBackward, self, other)

    def __rmul__(self, other):
        return Tensor._result(_operand(other) * self._t, _fn.MulBackward, other, self)

    def __truediv__(self, other):
        return Tensor._result(self._t / _operand(other), _fn.DivBackward, self, other)

    def __rtruediv__(self, other):
        return Tensor._result(_operand(other) / self._t, _fn.DivBackward, other, self)

    def __neg__(self):
        return Tensor._result(self._t * -1, _fn.MulBackward, self, -1)

    def __pow__(self, exponent):
        return Tensor._result(self._t ** _operand(exponent), _fn.PowBackward, self, exponent)

    def __matmul__(self, other):
        return self.matmul(other)

    def matmul(self, other):
        other = other if isinstance(other, Tensor) else Tensor(other)
        return Tensor._result(self._t.matmul(other._t), _fn.MatmulBackward, self, other)

    def transpose(self, dim0=None, dim1=None):
        """Swaps dims dim0 and dim1 (by default the last two)."""
        if dim0 is None and dim1 is None:
            t = self._t.transpose(-2, -1) if self.ndim >= 2 else self._t.reshape(self.shape)
        else:
            t = self._t.transpose(dim0, dim1)
        return Tensor._result(t, _fn.TransposeBackward, self, dim0, dim1)

    def permute(self, *axes):
        axes = tuple(axes[0]) if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return Tensor._result(self._t.permute(*axes), _fn.PermuteBackward, self, axes)

    def reshape(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        original_shape = self.shape
        return Tensor._result(self._t.reshape(*shape), _fn.ReshapeBackward, self, original_shape)

    view = reshape

    def sum(self, axis=None, keepdims=False):
        return Tensor._result(self._t.sum(dim=axis, keepdim=keepdims), _fn.SumBackward, self, axis=axis,
                              keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return Tensor._result(self._t.mean(dim=axis, keepdim=keepdims), _fn.MeanBackward, self, axis=axis,
                              keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        t = self._t.amax(dim=() if axis is None else axis, keepdim=keepdims)
        return Tensor._result(t, _fn.MaxBackward, self, axis=axis, keepdims=keepdims)

    def exp(self):
        return Tensor._result(self._t.exp(), _fn.ExpBackward, self)

    def log(self):
        return Tensor._result(self._t.log(), _fn.LogBackward, self)

    def sqrt(self):
        return Tensor._result(self._t.sqrt(), _fn.SqrtBackward, self)

    def __getitem__(self, key):
        return Tensor._result(self._t[_index(key)], _fn.SliceBackward, self, key)


def _operand(value):
    """The tensorgrad operand for value: a tensor's own tensor, a Python number as it
    is, anything else (lists, arrays) as a float32 tensor."""
    if isinstance(value, Tensor):
        return value._t
    if isinstance(value, (int, float)):
        return value
    return tg.tensor(np.asarray(value, dtype=np.float32))


def _index(key):
    """A key with tinytorch Tensors (as index arrays) turned into tensorgrad's."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, Tensor):
        return tg.tensor(key.data.astype(np.int64) if key.dtype != np.bool_ else key.data)
    if isinstance(key, np.ndarray):
        return tg.tensor(key)
    return key


# The Backward classes live in tinytorch.core.autograd, which imports Tensor from here.
from . import autograd as _fn  # noqa: E402
