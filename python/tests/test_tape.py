"""tensorgrad.autograd.GradientTape (the C++ tg::autograd::GradientTape) as a
context manager, and the backward graph as DOT text (to_dot) and numbers
(graph_stats), with the values tests/test_tape.cpp and tests/test_graph_export.cpp
check in C++."""
import threading

import pytest

import tensorgrad as tg
from tensorgrad.autograd import GradientTape


def values(t):
    return t.detach().numpy().tolist()


# ---- GradientTape ----------------------------------------------------------------------------
def test_mojo_quick_start_product_summed():
    # The Mojo seed's `z = x * y; loss = z.sum()`: dloss/dx = y, dloss/dy = x.
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = tg.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    with GradientTape(persistent=True) as tape:
        assert tape.is_enabled()
        z = x * y
        loss = z.sum()
    assert not tape.is_enabled()
    assert tape.num_recorded() == 2
    dx, dy = tape.gradient(loss, [x, y])
    assert values(dx) == [[5, 6], [7, 8]] and values(dy) == [[1, 2], [3, 4]]
    assert x.grad is None and y.grad is None  # gradient() leaves .grad alone
    tape.backward()                           # into .grad, as the Mojo example's tape.backward()
    assert values(x.grad) == [[5, 6], [7, 8]] and values(y.grad) == [[1, 2], [3, 4]]


def test_mojo_x_plus_two_times_three():
    # var y = x + 2; var z = y * 3; tape.backward(); tape.disable(); tape.clear()
    x = tg.tensor(1.5, requires_grad=True)
    tape = GradientTape()
    tape.enable()
    y = x + 2
    z = y * 3
    assert tape.num_recorded() == 2
    tape.backward()
    assert z.item() == 10.5 and x.grad.item() == 3.0  # dz/dx = 3
    tape.disable()
    assert not tape.is_enabled()
    tape.clear()
    assert tape.num_recorded() == 0


def test_single_source_gives_a_tensor_and_lists_give_lists():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    unused = tg.tensor(2.0, requires_grad=True)
    with GradientTape(persistent=True) as tape:
        y = (x * x).sum()
    g = tape.gradient(y, x)
    assert isinstance(g, tg.Tensor) and values(g) == [2, 4, 6]
    gs = tape.gradient(y, (x, unused))
    assert isinstance(gs, list) and values(gs[0]) == [2, 4, 6] and gs[1] is None
    with pytest.raises(TypeError, match="expected a Tensor or a list of Tensors"):
        tape.gradient(y, 3)


def test_watch_records_tensors_that_do_not_require_grad():
    x = tg.tensor([1.0, 2.0, 3.0])
    with GradientTape() as tape:
        tape.watch(x)
        assert x.requires_grad
        y = (x * x).sum()
        assert y.grad_fn.name() == "SumBackward0"
    assert not x.requires_grad and (x * 2).grad_fn is None
    assert len(tape.watched()) == 1 and tape.watched()[0] is not None
    assert values(tape.gradient(y, [x])[0]) == [2, 4, 6]
    assert x.grad is None
    with pytest.raises(RuntimeError, match="only floating-point tensors can be watched, got a tensor of dtype Long"):
        tape.watch(tg.tensor([1, 2]))


def test_nested_tapes_give_the_second_derivative():
    # TensorFlow's example: y = x^3 at x = 3: dy/dx = 27, d2y/dx2 = 18.
    x = tg.tensor(3.0)
    with GradientTape() as outer:
        outer.watch(x)
        with GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)  # recorded by the outer tape
    d2y = outer.gradient(dy, x)
    assert dy.item() == 27.0 and d2y.item() == 18.0
    assert not x.requires_grad


def test_clear_frees_the_recording():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with GradientTape() as tape:
        (x * x).sum()  # the result is dropped: the tape keeps its graph
    assert tape.num_recorded() == 2
    tape.clear()
    assert tape.num_recorded() == 0
    with pytest.raises(RuntimeError, match="no one-element result was recorded while the tape was enabled"):
        tape.backward()


def test_persistence():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with GradientTape() as once:
        y = (x * x).sum()
    assert values(once.gradient(y, [x])[0]) == [2, 4]
    assert once.num_recorded() == 0  # consumed
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        once.gradient(y, [x])
    with GradientTape(persistent=True) as tape:
        y = (x * x).sum()
        z = (x * x * x).sum()
    assert values(tape.gradient(y, [x])[0]) == [2, 4]
    assert values(tape.gradient(y, [x])[0]) == [2, 4]
    assert values(tape.gradient(z, [x])[0]) == [3, 12]
    assert tape.num_recorded() == 5


def test_exit_disables_on_error_and_hooks_run_during_backward():
    x = tg.tensor(2.0, requires_grad=True)
    tape = GradientTape()
    with pytest.raises(ZeroDivisionError):
        with tape:
            1 / 0
    assert not tape.is_enabled()
    x.register_hook(lambda g: g * 10)  # Python, called by the engine without the GIL held
    with tape:
        (x * x).sum()
    tape.backward()
    assert x.grad.item() == 40.0


def test_a_tape_is_disabled_on_the_thread_that_enabled_it():
    tape = GradientTape()
    tape.enable()
    errors = []

    def other():
        try:
            tape.disable()
        except RuntimeError as e:
            errors.append(str(e))
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and "enabled on another thread" in errors[0]
    assert tape.is_enabled()
    tape.disable()


# ---- to_dot and graph_stats ------------------------------------------------------------------
HEADER = ('digraph autograd {\n'
          '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica"];\n')


def squared_affine():
    # L = (x*y + 5)^2 at x = 2, y = 3, the specification's graph (seed 001).
    x = tg.tensor(2.0, requires_grad=True)
    y = tg.tensor(3.0, requires_grad=True)
    return x, y, (x * y + 5).pow(2)


def test_dot_of_squared_affine():
    # tests/test_graph_export.cpp's text, but for `+ 5`: Python passes the number as a
    # 0-dim tensor (PyTorch's wrapped number), so the node is AddBackward0 where C++'s
    # `x * y + 5` records AddBackward1; the number neither requires grad nor is saved.
    _, _, L = squared_affine()
    assert tg.autograd.to_dot(L) == (
        HEADER +
        '  output [label="output\\n[] float32", shape=ellipse, fillcolor=palegreen];\n'
        '  n0 [label="PowBackward0\\nsaved 0: [] float32, 4 B"];\n'
        '  n1 [label="AddBackward0"];\n'
        '  n2 [label="MulBackward0\\nsaved 0: [] float32, 4 B\\nsaved 1: [] float32, 4 B"];\n'
        '  n3 [label="leaf\\n[] float32\\nrequires_grad=true", shape=ellipse, fillcolor=lightblue];\n'
        '  n4 [label="leaf\\n[] float32\\nrequires_grad=true", shape=ellipse, fillcolor=lightblue];\n'
        '  n1 -> n0;\n'
        '  n2 -> n1;\n'
        '  n3 -> n2;\n'
        '  n4 -> n2;\n'
        '  n0 -> output;\n'
        '}\n')


def test_dot_of_a_leaf_is_the_cpp_text():
    w = tg.zeros(4, 2, requires_grad=True)
    assert tg.autograd.to_dot(w) == (
        HEADER +
        '  output [label="output\\n[4, 2] float32", shape=ellipse, fillcolor=palegreen];\n'
        '  n0 [label="leaf\\n[4, 2] float32\\nrequires_grad=true", shape=ellipse, fillcolor=lightblue];\n'
        '  n0 -> output;\n'
        '}\n')
    with pytest.raises(TypeError, match="expected a Tensor, got NoneType"):
        tg.autograd.to_dot(None)


def test_saved_tensors_show_freed_after_backward():
    _, _, L = squared_affine()
    L.backward()
    dot = tg.autograd.to_dot(L)
    assert 'n0 [label="PowBackward0\\nsaved 0: freed"];' in dot
    assert 'n2 [label="MulBackward0\\nsaved 0: freed\\nsaved 1: freed"];' in dot
    assert tg.autograd.graph_stats(L).saved_bytes == 0


def test_stats_of_squared_affine():
    _, _, L = squared_affine()
    s = tg.autograd.graph_stats(L)
    assert isinstance(s, tg.autograd.GraphStats)
    assert (s.nodes, s.leaves, s.depth, s.saved_tensors, s.saved_bytes, s.saved_leaf_bytes) == (3, 2, 3, 3, 12, 8)
    assert s._asdict() == dict(nodes=3, leaves=2, depth=3, saved_tensors=3, saved_bytes=12, saved_leaf_bytes=8)
    assert str(s) == "3 nodes, 2 leaves, depth 3, 3 saved tensors holding 12 bytes (8 of them leaves')"
    assert repr(s) == ("GraphStats(nodes=3, leaves=2, depth=3, saved_tensors=3, saved_bytes=12, "
                       "saved_leaf_bytes=8)")


def test_stats_count_shared_storage_once_and_the_longest_path():
    x = tg.ones(2, 3, requires_grad=True)
    s = tg.autograd.graph_stats((x * x).exp().sum())  # x*x saves x twice; exp its own result
    assert (s.nodes, s.saved_tensors, s.saved_bytes, s.saved_leaf_bytes) == (3, 3, 48, 24)
    x = tg.tensor([1.0], requires_grad=True)
    a = x * 2
    s = tg.autograd.graph_stats(a + a.exp().exp())  # longest path: add, exp, exp, mul
    assert (s.depth, s.nodes, s.leaves) == (4, 4, 1)
    plain = tg.autograd.graph_stats(tg.ones(3, dtype=tg.float64))
    assert (plain.nodes, plain.leaves, plain.depth) == (0, 0, 0)
