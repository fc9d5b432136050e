"""tinytorch beyond the specification's own tests: each Backward class against the
formula the specification gives for it, the activations and losses, and the
Tensor behaviours the specification describes (accumulation, zero_grad, errors)."""
import numpy as np
import pytest

from tinytorch.core import autograd as A
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss, log_softmax
from tinytorch.core.tensor import Tensor

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
G = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]], dtype=np.float32)


def close(a, b):
    return np.allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- Function classes ----------------------------------------------------------------------------
def test_function_base_links_next_functions_and_requires_apply():
    a = Tensor([1.0], requires_grad=True)
    b = a * 2
    c = Tensor([3.0])
    f = A.Function(b, c, 5.0)
    assert f.saved_tensors == (b, c, 5.0)
    assert f.next_functions == [b._grad_fn]
    with pytest.raises(NotImplementedError, match="Each Function must implement apply"):
        f.apply(np.ones(1))


def test_sub_and_div_backward():
    a, b = Tensor([3.0, 4.0], requires_grad=True), Tensor([2.0, 8.0], requires_grad=True)
    ga, gb = A.SubBackward(a, b).apply(np.array([1.0, 2.0]))
    assert close(ga, [1, 2]) and close(gb, [-1, -2])
    ga, gb = A.DivBackward(a, b).apply(np.array([1.0, 2.0]))
    assert close(ga, [1 / 2, 2 / 8]) and close(gb, [-3 / 4, -2 * 4 / 64])


def test_backward_with_a_constant_operand_gives_none_for_it():
    a = Tensor([3.0, 4.0], requires_grad=True)
    ga, gb = A.MulBackward(a, 2.5).apply(np.array([1.0, 1.0]))
    assert close(ga, [2.5, 2.5]) and gb is None
    ga, gb = A.AddBackward(a, Tensor([1.0, 1.0])).apply(np.array([1.0, 2.0]))
    assert close(ga, [1, 2]) and gb is None


def test_add_backward_sums_broadcast_dimensions():
    a = Tensor(X, requires_grad=True)
    bias = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    ga, gb = A.AddBackward(a, bias).apply(G)
    assert close(ga, G) and close(gb, G.sum(axis=0, keepdims=True))


def test_matmul_backward_batched():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4, 5)).astype(np.float32)
    g = rng.standard_normal((2, 3, 5)).astype(np.float32)
    ga, gb = A.MatmulBackward(Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)).apply(g)
    assert np.allclose(ga, g @ np.swapaxes(b, -2, -1), atol=1e-5)
    assert np.allclose(gb, np.swapaxes(a, -2, -1) @ g, atol=1e-5)


def test_shape_backwards():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4), requires_grad=True)
    g = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    (gx,) = A.TransposeBackward(x, None, None).apply(g)
    assert close(gx, np.swapaxes(g, -2, -1))
    (gx,) = A.TransposeBackward(x, 0, 2).apply(np.swapaxes(np.arange(24.0).reshape(2, 3, 4), 0, 2))
    assert close(gx, np.arange(24.0).reshape(2, 3, 4))
    f = A.PermuteBackward(x, (2, 0, 1))
    assert f.inverse_axes == (1, 2, 0)
    gp = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    (gx,) = f.apply(gp)
    assert close(gx, np.transpose(gp, (1, 2, 0)))
    (gx,) = A.ReshapeBackward(x, (2, 3, 4)).apply(np.ones((6, 4)))
    assert gx.shape == (2, 3, 4) and close(gx, 1)


def test_slice_backward_places_gradient_at_the_slice():
    x = Tensor([1, 2, 3, 4, 5], requires_grad=True)
    (gx,) = A.SliceBackward(x, slice(None, 3)).apply(np.ones(3))
    assert close(gx, [1, 1, 1, 0, 0])
    m = Tensor(X, requires_grad=True)
    (gm,) = A.SliceBackward(m, (1, slice(0, 2))).apply(np.array([5.0, 6.0]))
    assert close(gm, [[0, 0, 0], [5, 6, 0]])


def test_embedding_backward_accumulates_repeated_rows():
    weight = Tensor(np.zeros((4, 2)), requires_grad=True)
    indices = Tensor([[0, 2], [2, 3]])
    (gw,) = A.EmbeddingBackward(weight, indices).apply(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    assert close(gw, [[0, 1], [0, 0], [2 + 4, 3 + 5], [6, 7]])


def test_sum_backward_broadcasts_back():
    x = Tensor(X, requires_grad=True)
    (gx,) = A.SumBackward(x).apply(np.array(2.0))
    assert close(gx, np.full(X.shape, 2.0))
    (gx,) = A.SumBackward(x, axis=0).apply(np.array([1.0, 2.0, 3.0]))
    assert close(gx, [[1, 2, 3], [1, 2, 3]])


def test_activation_backwards_match_the_specification_formulas():
    x = Tensor(X, requires_grad=True)
    (g,) = A.ReLUBackward(x).apply(G)
    assert close(g, G * (X > 0))
    s = 1 / (1 + np.exp(-X))
    (g,) = A.SigmoidBackward(x, Tensor(s)).apply(G)
    assert close(g, G * s * (1 - s))
    e = np.exp(X - X.max(axis=-1, keepdims=True))
    sm = e / e.sum(axis=-1, keepdims=True)
    (g,) = A.SoftmaxBackward(x, Tensor(sm), dim=-1).apply(G)
    assert close(g, sm * (G - (G * sm).sum(axis=-1, keepdims=True)))
    c = np.sqrt(2 / np.pi)
    t = np.tanh(c * (X + 0.044715 * X ** 3))
    dgelu = 0.5 * (1 + t) + 0.5 * X * (1 - t ** 2) * c * (1 + 0.134145 * X ** 2)
    (g,) = A.GELUBackward(x).apply(G)
    assert np.allclose(g, G * dgelu, atol=1e-5)


def test_loss_backwards_match_the_specification_formulas():
    p = Tensor([[0.2, 0.9], [0.6, 0.4]], requires_grad=True)
    y = Tensor([[0.0, 1.0], [1.0, 0.0]])
    (g,) = A.MSEBackward(p, y).apply(np.array(1.0))
    assert close(g, 2 * (p.data - y.data) / 4)
    (g,) = A.BCEBackward(p, y).apply(np.array(1.0))
    pd = p.data
    assert close(g, (pd - y.data) / (pd * (1 - pd) * 4))
    logits = Tensor(X, requires_grad=True)
    targets = Tensor([2, 0])
    (g,) = A.CrossEntropyBackward(logits, targets).apply(np.array(1.0))
    e = np.exp(X - X.max(axis=1, keepdims=True))
    sm = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(3)[[2, 0]]
    assert close(g, (sm - onehot) / 2)


# ---- activations and losses ----------------------------------------------------------------------------
def test_activations_forward_and_gradients():
    s = 1 / (1 + np.exp(-X))
    for layer, value, deriv in [
        (ReLU(), np.maximum(X, 0), (X > 0).astype(np.float32)),
        (Sigmoid(), s, s * (1 - s)),
        (Tanh(), np.tanh(X), 1 - np.tanh(X) ** 2),
    ]:
        x = Tensor(X, requires_grad=True)
        out = layer(x)
        assert close(out.data, value)
        out.backward(G)
        assert close(x.grad, G * deriv), type(layer).__name__
    x = Tensor(X, requires_grad=True)
    out = Softmax()(x)
    assert close(out.data.sum(axis=-1), 1)
    assert isinstance(out._grad_fn, A.SoftmaxBackward)
    out = GELU().forward(x)
    c = np.sqrt(2 / np.pi)
    assert close(out.data, 0.5 * X * (1 + np.tanh(c * (X + 0.044715 * X ** 3))))
    assert isinstance(out._grad_fn, A.GELUBackward)


def test_losses_values_and_gradients():
    p = Tensor([[0.2, 0.9], [0.6, 0.4]], requires_grad=True)
    y = Tensor([[0.0, 1.0], [1.0, 0.0]])
    loss = MSELoss()(p, y)
    assert close(loss.data, np.mean((p.data - y.data) ** 2))
    assert isinstance(loss._grad_fn, A.MSEBackward)
    loss.backward()
    assert close(p.grad, 2 * (p.data - y.data) / 4)

    p.zero_grad()
    loss = BinaryCrossEntropyLoss()(p, y)
    pd, yd = p.data, y.data
    assert close(loss.data, -np.mean(yd * np.log(pd) + (1 - yd) * np.log(1 - pd)))
    loss.backward()
    assert close(p.grad, (pd - yd) / (pd * (1 - pd) * 4))

    logits = Tensor(X, requires_grad=True)
    loss = CrossEntropyLoss()(logits, Tensor([2, 0]))
    ls = X - X.max(axis=1, keepdims=True)
    ls = ls - np.log(np.exp(ls).sum(axis=1, keepdims=True))
    assert close(loss.data, -(ls[0, 2] + ls[1, 0]) / 2)
    loss.backward()
    assert close(logits.grad, (np.exp(ls) - np.eye(3)[[2, 0]]) / 2)
    assert close(log_softmax(Tensor(X)).data, ls)


# ---- Tensor behaviours ------------------------------------------------------------------------------
def test_tensor_data_is_float32_numpy_sharing_memory():
    t = Tensor([1, 2, 3])
    assert t.data.dtype == np.float32 and t.shape == (3,) and t.size == 3
    assert np.shares_memory(t.data, t.data)
    t.data[0] = 10
    assert close(t.data, [10, 2, 3])
    t.data = np.array([4.0, 5.0])
    assert t.shape == (2,) and close(t.data, [4, 5])


def test_backward_rules():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(ValueError, match="backward\\(\\) called on non-scalar tensor without gradient argument"):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    assert close(x.grad, [2, 40])
    y.backward(np.array([1.0, 10.0]))       # the graph is kept: gradients accumulate
    assert close(x.grad, [4, 80])
    assert close(y.grad, [2, 20])
    x.zero_grad()
    assert x.grad is None
    assert Tensor([1.0]).backward() is None  # nothing requires grad: nothing happens


def test_operators_with_numbers_and_arrays():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (2 - x) * 3 + 1 / x - (-x) + x / 2 + [1.0, 1.0]
    y.sum().backward()
    # d/dx: -3 - 1/x² + 1 + 1/2
    assert close(x.grad, -3 - 1 / np.array([1.0, 4.0]) + 1.5)
    r = Tensor(X, requires_grad=True)
    s = r.reshape(3, 2).transpose().permute(1, 0).reshape(-1)[1:4].mean()
    s.backward()
    assert close(s.data, X.reshape(3, 2).T.T.reshape(-1)[1:4].mean())
    assert close(r.grad, np.array([[0, 1, 1], [1, 0, 0]]) / 3)
    m = Tensor(X, requires_grad=True)
    m.max().backward()
    assert close(m.grad, X == X.max())
    e = Tensor([1.0, 4.0], requires_grad=True)
    (e.exp() + e.log() + e.sqrt()).sum().backward()
    assert close(e.grad, np.exp([1.0, 4.0]) + 1 / np.array([1.0, 4.0]) + 0.5 / np.sqrt([1.0, 4.0]))


def test_enable_autograd_is_a_harmless_report(capsys):
    assert A.enable_autograd() is True
    assert A.enable_autograd() is True
    out = capsys.readouterr().out
    assert out.count("Autograd is always on") == 2
    assert Tensor._autograd_enabled is True
    x = Tensor([2.0], requires_grad=True)
    (x * x).backward()
    assert close(x.grad, [4.0])
