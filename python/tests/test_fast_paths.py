"""The CPython-level fast paths of Tensor (operators, t[i] and t[a:b], in-place
operators, the elementwise methods, sum() and mean()) behave as the general paths:
same values, nodes, dtypes and errors, for Tensor subclasses too."""
import operator

import numpy as np
import pytest

import tensorgrad as tg


def values(t):
    return t.detach().numpy().tolist()


def test_operators_are_type_slots_inherited_by_subclasses():
    class Sub(tg.Tensor):
        pass
    for name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                 "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__", "__abs__", "__iadd__", "__getitem__"):
        assert type(vars(tg.Tensor)[name]).__name__ == "wrapper_descriptor", name
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    p = tg.nn.Parameter(tg.ones(2, 2))
    s = Sub(tg.ones(2, 2))
    for x, y in ((a, p), (p, a), (a, s), (s, a)):
        edges = (x + y).grad_fn.next_functions  # in the expression's order: x's edge first
        assert [e is not None for e, _ in edges] == [x.requires_grad, y.requires_grad]
        assert values(x - y) == (np.asarray(values(x)) - np.asarray(values(y))).tolist()
        assert values(x @ y) == (np.asarray(values(x)) @ np.asarray(values(y))).tolist()
    assert values(p[0]) == [1, 1] and values(-p) == [[-1, -1], [-1, -1]] and values(p.exp())[0][0] == pytest.approx(np.e)


def test_reflected_operators_with_numbers_lists_and_arrays():
    a = tg.tensor([1.0, 2.0, 4.0], requires_grad=True)
    assert values(2 - a) == [1, 0, -2] and (2 - a).grad_fn.name() == "RsubBackward1"
    assert values(2 / a) == [2, 1, 0.5] and (2 / a).grad_fn.name() == "MulBackward0"
    assert values(3 * a) == [3, 6, 12] and (3 * a).grad_fn.name() == "MulBackward0"
    assert values([1.0, 1.0, 1.0] - a) == [0, -1, -3]
    assert values(np.ones(3) + a) == [2, 3, 5]
    assert values(a.__radd__(1)) == [2, 3, 5] and values(a.__rsub__(1)) == [0, -1, -3]
    assert values(sum([a, a])) == [2, 4, 8]
    assert values([[1.0, 2.0]] @ tg.tensor([[1.0], [2.0]])) == [[5]]
    assert a.__add__("x") is NotImplemented and a.__matmul__(2) is NotImplemented
    with pytest.raises(TypeError, match="unsupported operand"):
        a + "x"
    with pytest.raises(TypeError, match="unsupported operand"):
        None - a
    with pytest.raises(TypeError, match="unsupported operand"):
        a @ 2


def test_inplace_operators_return_the_tensor_itself():
    t = tg.tensor([1.0, 2.0])
    u = t
    t += 1
    t -= tg.tensor([0.5, 0.5])
    t *= 4
    t /= 2
    assert t is u and values(t) == [3, 5]
    i = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 0.5
    p = tg.nn.Parameter(tg.ones(2))
    with tg.no_grad():
        q = p
        p -= 0.5 * tg.ones(2)
    assert p is q and type(p) is tg.nn.Parameter and values(p) == [0.5, 0.5]
    n = 3
    n += tg.tensor([1.0])  # int has no in-place add: int + tensor, a new tensor
    assert isinstance(n, tg.Tensor) and values(n) == [4]


def test_integer_and_slice_keys_match_the_general_indexing():
    a = tg.arange(12.0).reshape(3, 4).requires_grad_()
    assert values(a[1]) == [4, 5, 6, 7] and a[1].grad_fn.name() == "SelectBackward0"
    assert values(a[-1]) == [8, 9, 10, 11]
    assert values(a[1:]) == values(a[1:, ...]) and a[1:].grad_fn.name() == "SliceBackward0"
    assert values(a[::2]) == [[0, 1, 2, 3], [8, 9, 10, 11]] and a[5:9].shape == (0, 4)
    assert a[-5:2].shape == (2, 4) and a[:].shape == (3, 4) and a[:].is_view_of(a)
    assert values(a[np.int64(2)]) == values(a[2]) and values(a[tg.tensor(2)]) == values(a[2])
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        a[3]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        a[-4]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
        tg.tensor(1.0)[0]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
        tg.tensor(1.0)[:]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        a[::-1]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        a[::0]
    with pytest.raises(IndexError, match="valid indices"):
        a[1.5]
    with pytest.raises(TypeError):
        a[1.5:]
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        a[2 ** 70]
    (a[1].sum() + a[1:].sum()).backward()
    assert values(a.grad) == [[0, 0, 0, 0], [2, 2, 2, 2], [1, 1, 1, 1]]


def test_iteration_goes_over_dim_zero():
    a = tg.tensor([[1, 2], [3, 4]])
    assert [values(r) for r in a] == [[1, 2], [3, 4]]
    assert [values(r) for r in tg.nn.Parameter(tg.ones(2, 1))] == [[1], [1]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):  # as torch
        list(tg.tensor(5.0))


def test_fast_methods_match_their_keyword_forms():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert a.sum().grad_fn.name() == "SumBackward0" and a.sum().item() == 10
    assert a.mean().grad_fn.name() == "MeanBackward0" and a.mean().item() == 2.5
    assert values(a.sum(0)) == [4, 6] and values(a.sum(dim=1, keepdim=True)) == [[3], [7]]
    assert a.sum(dtype=tg.float64).dtype is tg.float64 and tg.tensor([1, 2]).sum().dtype is tg.int64
    assert values(tg.sum(a, 1)) == [3, 7] and tg.exp(a).grad_fn.name() == "ExpBackward0"
    assert "dim" in tg.Tensor.sum.__doc__ and "exp" in tg.Tensor.exp.__doc__
    with pytest.raises(TypeError):
        a.sum(foo=1)
    with pytest.raises(TypeError, match="takes no arguments"):
        a.exp(1)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        tg.tensor([1, 2]).mean()
