"""Autograd from Python: backward and grad (higher order too), grad modes, the
graph's nodes, hooks, custom Functions written in Python, gradcheck, anomaly mode,
and the GIL released while the engine and the kernels run."""
import threading
import time

import numpy as np
import pytest

import tensorgrad as tg


def values(t):
    return t.detach().numpy().tolist()


def test_backward_accumulates_and_frees_the_graph():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert values(x.grad) == [4, 8, 12]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    x.grad = None
    (x * 2).backward(tg.tensor([1.0, 0.0, -1.0]))
    assert values(x.grad) == [2, 0, -2]
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_grad_and_double_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    assert values(g) == [3, 12] and g.requires_grad and x.grad is None
    (gg,) = tg.autograd.grad(g.sum(), x)
    assert values(gg) == [6, 12]
    a, b = tg.tensor(2.0, requires_grad=True), tg.tensor(5.0, requires_grad=True)
    ga, gb = tg.autograd.grad([a * 3, a * b], [a, b], grad_outputs=[tg.tensor(1.0), tg.tensor(2.0)])
    assert ga.item() == 3 + 2 * 5 and gb.item() == 2 * 2
    unused = tg.tensor(1.0, requires_grad=True)
    assert tg.autograd.grad(a * 2, [a, unused], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors appears to not have been used in the graph"):
        tg.autograd.grad(a * 2, [a, unused])


def test_autograd_backward_with_inputs():
    a, b = tg.tensor(2.0, requires_grad=True), tg.tensor(3.0, requires_grad=True)
    tg.autograd.backward([a * b], inputs=[a])
    assert a.grad.item() == 3 and b.grad is None


def test_grad_modes():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled() and not (x * 2).requires_grad
        with tg.enable_grad():
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def f():
        return x * 2
    assert not f().requires_grad
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled()
    tg.set_grad_enabled(True)
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_graph_nodes():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0])
    y = (x * w).sum()
    assert x.is_leaf and x.grad_fn is None and not y.is_leaf
    assert y.grad_fn.name() == "SumBackward0"
    ((mul, nr),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0" and nr == 0
    (acc, _), (none, _) = mul.next_functions
    assert acc.name() == "AccumulateGrad" and none is None
    assert y.grad_fn == y.grad_fn and hash(y.grad_fn) == hash(y.grad_fn)


def test_requires_grad_rules():
    x = tg.ones(2)
    x.requires_grad = True
    assert x.requires_grad and x.requires_grad_(False) is x and not x.requires_grad
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        tg.ones(2, dtype=tg.int64).requires_grad_()


def test_retain_grad_and_grad_assignment():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert values(h.grad) == [6, 12] and values(x.grad) == [18, 36] and h.retains_grad
    x.grad = tg.zeros(2)
    assert values(x.grad) == [0, 0]
    with pytest.raises(ValueError, match="assigned grad has data of a different size"):
        x.grad = tg.zeros(3)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = [1.0, 2.0]


def test_hooks():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(values(g)))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[20, 20]] and values(x.grad) == [20, 20]
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert seen == [[20, 20]]


def test_data_shares_memory_without_history():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.data_ptr() == x.data_ptr()
    d.mul_(10)
    assert values(x) == [10, 20]
    x.data = tg.tensor([5.0, 6.0, 7.0])
    assert x.shape == (3,) and x.requires_grad and values(x) == [5, 6, 7]


# ---- custom Functions ----------------------------------------------------------------------------
class ScaledExp(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        assert not tg.is_grad_enabled()
        y = x.exp() * scale
        ctx.save_for_backward(y)
        ctx.scale = scale
        ctx.flags = ctx.needs_input_grad
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y, None


def test_custom_function():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    y = ScaledExp.apply(x, 2.0)
    assert y.grad_fn.name() == "ScaledExpBackward"
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    y.sum().backward()
    assert np.allclose(values(x.grad), [2.0, 2 * np.e])
    with tg.no_grad():
        assert ScaledExp.apply(x, 2.0).grad_fn is None


def test_custom_function_needs_input_grad_and_multiple_outputs():
    class Split(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.needs = ctx.needs_input_grad
            return a * k, b + a

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 3 + gb, gb, None

    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([2.0])
    p, q = Split.apply(a, b, 3.0)
    assert p.grad_fn is q.grad_fn or p.grad_fn == q.grad_fn
    (p + q).sum().backward()
    assert values(a.grad) == [4]
    ctx_needs = []

    class Probe(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx_needs.append(ctx.needs_input_grad)
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    Probe.apply(a, b, 1)
    assert ctx_needs == [(True, False, False)]


def test_custom_function_mark_dirty_and_non_differentiable():
    class AddOneInPlace(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class ArgmaxToo(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2

    leaf = tg.tensor([1.0, 2.0], requires_grad=True)
    h = leaf * 1
    version = h._version
    out = AddOneInPlace.apply(h)
    assert values(h) == [2, 3] and out.grad_fn.name() == "AddOneInPlaceBackward" and h._version > version
    out.sum().backward()
    assert values(leaf.grad) == [1, 1]
    y, idx = ArgmaxToo.apply(leaf)
    assert idx.item() == 1 and not idx.requires_grad and y.requires_grad


def test_custom_function_double_backward():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = tg.tensor([2.0], requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    assert values(g) == [12] and values(gg) == [12]


def test_custom_function_errors_reach_python():
    class Broken(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise KeyError("from backward")

    class WrongCount(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = tg.ones(1, requires_grad=True)
    with pytest.raises(KeyError, match="from backward"):
        Broken.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients \\(expected 1, got 2\\)"):
        WrongCount.apply(x).sum().backward()

    class NotTensor(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 3

    with pytest.raises(TypeError, match="forward must return a Tensor"):
        NotTensor.apply(x)


def test_custom_function_context_outlives_nothing():
    kept = []

    class Keep(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            kept.append(ctx)
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tg.ones(1, requires_grad=True)
    y = Keep.apply(x)
    assert len(kept[0].saved_tensors) == 1
    del y
    with pytest.raises(RuntimeError, match="no longer valid"):
        kept[0].saved_tensors


# ---- gradcheck and anomaly mode ---------------------------------------------------------------------
def test_gradcheck():
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    w = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, b: (a.tanh() @ b).sigmoid(), (x, w))
    assert tg.autograd.gradgradcheck(lambda a, b: (a.tanh() @ b).sigmoid(), (x, w))
    assert tg.autograd.gradcheck(lambda a: ScaledExp.apply(a, 3.0), x)

    class WrongGrad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(RuntimeError, match="input 0"):
        tg.autograd.gradcheck(WrongGrad.apply, (x,))
    assert tg.autograd.gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_anomaly_mode_names_the_node():
    x = tg.tensor([0.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = x.sqrt() * 0
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            y.sum().backward()
    assert not tg._C.is_anomaly_enabled()


# ---- the GIL ------------------------------------------------------------------------------------------
def longest_pause_while(work):
    """Runs work() in a thread and measures the longest stretch during which this
    (Python) thread could not run."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (work(), done.set()))
    last = time.perf_counter()
    longest = 0.0
    start = last
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    thread.join()
    return longest, time.perf_counter() - start


def test_kernels_and_backward_release_the_gil():
    a = tg.randn(1200, 1200, dtype=tg.float64, requires_grad=True)
    work = [None]

    def run():
        y = (a @ a).sum()
        y.backward()
        work[0] = a.grad

    pause, total = longest_pause_while(run)
    assert work[0] is not None
    assert total > 0.05, "the work should be long enough to measure"
    # Holding the GIL, the matmul and its backward would stop this thread for their
    # whole duration; released, it only waits for thread switches.
    assert pause < total / 3, (pause, total)


def test_python_functions_and_hooks_run_during_a_released_backward():
    class Twice(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tg.ones(1000, 1000, requires_grad=True)
    y = Twice.apply(x)
    y.register_hook(lambda g: g + 1)
    errors = []

    def run():
        try:
            y.sum().backward()
        except Exception as e:  # pragma: no cover -- reported below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive() and not errors
    assert x.grad[0, 0].item() == 4


def test_a_ctx_kept_after_forward_raised_is_invalid_not_dangling():
    kept = []

    class Fails(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            kept.append(ctx)
            raise ValueError("forward failed")

        @staticmethod
        def backward(ctx, g):
            return g

    for requires_grad in (False, True):
        kept.clear()
        with pytest.raises(ValueError, match="forward failed"):
            Fails.apply(tg.ones(3, requires_grad=requires_grad))
        with pytest.raises(RuntimeError, match="no longer valid"):
            kept[0].save_for_backward(tg.ones(3))
        with pytest.raises(RuntimeError, match="no longer valid"):
            kept[0].saved_tensors


def test_no_grad_decorates_the_body_of_a_generator():
    @tg.no_grad()
    def steps():
        yield tg.is_grad_enabled()
        yield tg.is_grad_enabled()

    assert list(steps()) == [False, False]
    assert tg.is_grad_enabled()


def test_no_grad_generator_passes_throw_and_close_to_the_generator():
    seen = []

    @tg.no_grad()
    def steps():
        try:
            yield 1
        except ValueError:
            seen.append(("caught", tg.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", tg.is_grad_enabled()))

    it = steps()
    assert next(it) == 1
    assert it.throw(ValueError()) == 2
    it.close()
    assert seen == [("caught", False), ("finally", False)]
    assert tg.is_grad_enabled()
