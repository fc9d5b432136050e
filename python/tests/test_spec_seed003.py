"""The specification's worked examples (seeds/003: "Manual Testing Examples", the
complete neural network example, the PyTorch comparison), as tests on tinytorch,
with the values the comments promise asserted."""
import numpy as np

from tinytorch.core.autograd import enable_autograd
from tinytorch.core.tensor import Tensor


def test_manual_testing_examples(capsys):
    enable_autograd()
    assert "always on" in capsys.readouterr().out

    # Test 1: Power rule - d(x^2)/dx = 2x
    x = Tensor([3.0], requires_grad=True)
    y = x * x  # y = x²
    y.backward()
    assert np.allclose(x.grad, [6.0])

    # Test 2: Product rule - d(uv)/dx = u'v + uv'
    x = Tensor([2.0], requires_grad=True)
    u = x * x      # u = x², du/dx = 2x
    v = x * x * x  # v = x³, dv/dx = 3x²
    y = u * v      # y = x⁵, dy/dx = 5x⁴
    y.backward()
    assert np.allclose(x.grad, [80.0])

    # Test 3: Chain rule - d(f(g(x)))/dx = f'(g(x)) × g'(x)
    x = Tensor([2.0], requires_grad=True)
    g = x * x           # g(x) = x², g'(x) = 2x
    f = g + g + g       # f(g) = 3g, f'(g) = 3
    f.backward()
    assert np.allclose(x.grad, [12.0])

    # Test 4: Gradient accumulation in multi-path graphs
    x = Tensor([1.0], requires_grad=True)
    y1 = x + x  # Path 1: dy1/dx = 1 + 1 = 2
    y2 = x * 3  # Path 2: dy2/dx = 3
    z = y1 + y2 # z = (x+x) + (3x) = 5x, dz/dx = 5
    z.backward()
    assert np.allclose(x.grad, [5.0])


def test_complete_neural_network_example():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    W1 = Tensor([[0.5, 0.3], [0.2, 0.4], [0.1, 0.6]], requires_grad=True)
    b1 = Tensor([[0.1, 0.2]], requires_grad=True)
    h1 = x.matmul(W1) + b1
    W2 = Tensor([[0.3], [0.5]], requires_grad=True)
    output = h1.matmul(W2)
    loss = (output ** 2).sum()
    loss.backward()
    assert x.grad.shape == (1, 3)
    assert W1.grad.shape == (3, 2)
    assert b1.grad.shape == (1, 2)
    assert W2.grad.shape == (2, 1)
    # h1 = [1.3, 3.1], output = 0.39 + 1.55 = 1.94, dloss/doutput = 3.88.
    assert np.allclose(h1.data, [[1.3, 3.1]])
    assert np.allclose(loss.data, 1.94 ** 2)
    assert np.allclose(W2.grad, [[1.3 * 3.88], [3.1 * 3.88]])
    assert np.allclose(b1.grad, [[0.3 * 3.88, 0.5 * 3.88]])
    # The records the specification describes: h1 from an AddBackward over a
    # MatmulBackward, loss from a SumBackward.
    from tinytorch.core.autograd import AddBackward, MatmulBackward, SumBackward
    assert isinstance(h1._grad_fn, AddBackward)
    assert isinstance(h1._grad_fn.next_functions[0], MatmulBackward)
    assert isinstance(output._grad_fn, MatmulBackward)
    assert isinstance(loss._grad_fn, SumBackward)


def test_pytorch_comparison_example():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    w = Tensor([[0.5], [0.7]], requires_grad=True)
    y = x.matmul(w)
    loss = y.mean()
    loss.backward()
    assert np.allclose(x.grad, [[0.5, 0.7]])
    assert np.allclose(w.grad, [[1.0], [2.0]])

