"""The parts of tensorgrad.Tensor written in Python: printing as PyTorch prints,
copying and pickling, and a few conveniences composed from the C++ methods."""
import copy

import numpy as np

from . import _C
from ._C import Tensor

_DEFAULT_DTYPES = (_C.float32, _C.int64, _C.bool)


def _padded(fmt, data):
    """fmt right-aligned to the widest value, as PyTorch aligns columns. The widest
    strings come from the extremes (and nan/inf), so only those are formatted."""
    candidates = []
    if data.size:
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        if finite.size:
            candidates += [finite.min(), finite.max()]
        if finite.size != data.size:
            candidates += [v for v in (np.nan, np.inf, -np.inf) if np.any(data == v) or (np.isnan(v) and np.isnan(data).any())]
    width = max((len(fmt(v)) for v in candidates), default=0)
    return lambda v: fmt(v).rjust(width)


def _format_values(t):
    data = t.detach().numpy()
    if data.size == 0:
        return "[]"
    options = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, max_line_width=80)
    if t.dtype.is_floating_point:
        finite = np.abs(data[np.isfinite(data)])
        nonzero = finite[finite != 0]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        scientific = nonzero.size > 0 and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4
                                           or nonzero.max() / nonzero.min() > 1e3)
        if scientific:
            fmt = "{:.4e}".format
        elif integral:
            fmt = lambda v: "{:.0f}.".format(v) if np.isfinite(v) else str(v)  # noqa: E731
        else:
            fmt = lambda v: "{:.4f}".format(v) if np.isfinite(v) else str(v)  # noqa: E731
        return np.array2string(data, formatter={"float_kind": _padded(fmt, data)}, **options)
    if t.dtype is _C.bool:
        width = 4 if data.all() else 5
        return np.array2string(data, formatter={"bool": lambda v: "{:>{}}".format(str(bool(v)), width)}, **options)
    return np.array2string(data, formatter={"int": _padded(str, data)}, **options)


def _repr(self):
    parts = [_format_values(self)]
    if self.numel() == 0 and self.dim() != 1:
        parts.append("size={}".format(self.shape))
    if self.dtype not in _DEFAULT_DTYPES:
        parts.append("dtype={!r}".format(self.dtype))
    if self.grad_fn is not None:
        parts.append("grad_fn=<{}>".format(self.grad_fn.name()))
    elif self.requires_grad:
        parts.append("requires_grad=True")
    return "tensor(" + ", ".join(parts) + ")"


def _format(self, spec):
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


def _deepcopy(self, memo):
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment")
    if id(self) in memo:
        return memo[id(self)]
    new = self.detach().clone()
    new.requires_grad_(self.requires_grad)
    if self.grad is not None:
        new.grad = copy.deepcopy(self.grad, memo)
    memo[id(self)] = new
    return new


def _rebuild(array, requires_grad):
    return _C.tensor(array).requires_grad_(requires_grad)


def _reduce_ex(self, protocol):
    return _rebuild, (self.detach().numpy().copy(), self.requires_grad)


def _split(self, split_size_or_sections, dim=0):
    size = self.size(dim)
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension size of {}"
                               .format(size))
        sections = [min(split_size_or_sections, size - s) for s in range(0, size, split_size_or_sections)]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError("split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at "
                               "dimension {}), but got split_sizes={}".format(size, dim, sections))
    out, start = [], 0
    for n in sections:
        out.append(self.narrow(dim, start, n))
        start += n
    return tuple(out)


def _chunk(self, chunks, dim=0):
    size = self.size(dim)
    return _split(self, max(-(-size // chunks), 1), dim)


def _unbind(self, dim=0):
    return tuple(self.select(dim, i) for i in range(self.size(dim)))


def _masked_fill(self, mask, value):
    # The value takes self's dtype (2.7 into an int64 tensor is 2), as in torch.
    value = value.to(self.dtype) if isinstance(value, Tensor) else _C.tensor(value, dtype=self.dtype)
    return _C.where(mask, value, self)


def _ipow(self, exponent):
    # x **= y in place, as torch's pow_ (without it Python rebound x to x ** y,
    # and aliases and views of x kept the old values).
    result = self.pow(exponent)
    if result.dtype is not self.dtype:
        names = {_C.float32: "Float", _C.float64: "Double", _C.int64: "Long", _C.bool: "Bool"}
        raise RuntimeError("Found dtype {} but expected {}".format(names[self.dtype], names[result.dtype]))
    self.copy_(result)
    return self


def _iter(self):
    # Without __iter__, Python iterated through __getitem__ until IndexError,
    # so a 0-d tensor iterated as empty instead of raising, as torch does.
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _new_tensor(self, data, dtype=None, requires_grad=False):
    return _C.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _factory_like(factory):
    def method(self, *size, dtype=None, requires_grad=False):
        return factory(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
    method.__name__ = "new_" + factory.__name__
    return method


def _new_full(self, size, fill_value, dtype=None, requires_grad=False):
    return _C.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _uniform_(self, a=0.0, b=1.0):
    _C._nn.uniform_(self, a, b)
    return self


def _normal_(self, mean=0.0, std=1.0):
    _C._nn.normal_(self, mean, std)
    return self


def _any(self, dim=None, keepdim=False):
    if dim is None:
        return self.ne(0).sum().gt(0)
    return self.ne(0).sum(dim, keepdim=keepdim).gt(0)


def _all(self, dim=None, keepdim=False):
    if dim is None:
        return self.eq(0).sum().eq(0)
    return self.eq(0).sum(dim, keepdim=keepdim).eq(0)


for _name, _fn in {
    "__repr__": _repr, "__str__": _repr, "__format__": _format, "__deepcopy__": _deepcopy,
    "__reduce_ex__": _reduce_ex, "split": _split, "chunk": _chunk, "unbind": _unbind,
    "masked_fill": _masked_fill, "__iter__": _iter, "__ipow__": _ipow, "new_tensor": _new_tensor,
    "new_zeros": _factory_like(_C.zeros),
    "new_ones": _factory_like(_C.ones), "new_empty": _factory_like(_C.empty), "new_full": _new_full,
    "uniform_": _uniform_, "normal_": _normal_, "any": _any, "all": _all,
}.items():
    setattr(Tensor, _name, _fn)
