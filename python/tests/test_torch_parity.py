"""tensorgrad against PyTorch (Debian's python3-torch, 1.13) on an op table: the
same Python code runs on both modules and must give the same values, the same
grad_fn names, the same gradients and the same second derivatives. Skipped when
torch cannot be imported."""
import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def F(m):
    return m.nn.functional


# An input: (shape, kind). Lower case kinds require grad: n normal, p in [0.5, 2],
# u in [0.05, 0.95]; upper case are the same values as constants; S rows of class
# probabilities (constant); an int k gives int64 indices in [0, k).
OPS = [
    ("add", lambda m, x, y: x + y, [((3, 4), "n"), ((4,), "n")]),
    ("sub", lambda m, x, y: x - y, [((3, 1), "n"), ((1, 4), "n")]),
    ("mul", lambda m, x, y: x * y, [((2, 3, 4), "n"), ((3, 1), "n")]),
    ("div", lambda m, x, y: x / y, [((3, 4), "n"), ((4,), "p")]),
    ("add_scalar", lambda m, x: x + 2.5, [((3,), "n")]),
    ("rsub_scalar", lambda m, x: 2.5 - x, [((3,), "n")]),
    ("rdiv_scalar", lambda m, x: 3.0 / x, [((3,), "p")]),
    ("mul_scalar", lambda m, x: 2 * x, [((3,), "n")]),
    ("pow_scalar", lambda m, x: x ** 3, [((3, 2), "n")]),
    ("pow_fractional", lambda m, x: x ** 1.5, [((3, 2), "p")]),
    ("pow_tensor", lambda m, x, y: x ** y, [((3, 2), "p"), ((2,), "n")]),
    ("rpow", lambda m, x: 2.0 ** x, [((4,), "n")]),
    ("neg", lambda m, x: -x, [((3,), "n")]),
    ("exp", lambda m, x: x.exp(), [((2, 3), "n")]),
    ("log", lambda m, x: x.log(), [((2, 3), "p")]),
    ("sqrt", lambda m, x: x.sqrt(), [((2, 3), "p")]),
    ("rsqrt", lambda m, x: x.rsqrt(), [((2, 3), "p")]),
    ("reciprocal", lambda m, x: x.reciprocal(), [((2, 3), "p")]),
    ("abs", lambda m, x: x.abs(), [((2, 3), "n")]),
    ("square", lambda m, x: x.square(), [((2, 3), "n")]),
    ("sigmoid", lambda m, x: x.sigmoid(), [((2, 3), "n")]),
    ("tanh", lambda m, x: m.tanh(x), [((2, 3), "n")]),
    ("relu", lambda m, x: m.relu(x), [((2, 3), "n")]),
    ("erf", lambda m, x: x.erf(), [((2, 3), "n")]),
    ("clamp", lambda m, x: x.clamp(-0.5, 0.5), [((4, 3), "n")]),
    ("clamp_min", lambda m, x: x.clamp_min(0.1), [((4, 3), "n")]),
    ("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2), [((2, 3), "n")]),
    ("gelu", lambda m, x: F(m).gelu(x), [((2, 3), "n")]),
    ("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh"), [((2, 3), "n")]),
    ("prelu", lambda m, x, w: m.prelu(x, w), [((2, 3, 4), "n"), ((3,), "p")]),
    ("maximum", lambda m, x, y: m.maximum(x, y), [((3, 4), "n"), ((4,), "n")]),
    ("minimum", lambda m, x, y: m.minimum(x, y), [((3, 4), "n"), ((3, 4), "n")]),
    ("where", lambda m, x, y: m.where(x > 0, x, y), [((3, 4), "n"), ((3, 4), "n")]),
    ("matmul_2d", lambda m, x, y: x @ y, [((3, 4), "n"), ((4, 5), "n")]),
    ("matmul_batched", lambda m, x, y: m.matmul(x, y), [((2, 3, 4), "n"), ((4, 5), "n")]),
    ("matmul_broadcast", lambda m, x, y: x.matmul(y), [((2, 1, 3, 4), "n"), ((3, 4, 2), "n")]),
    ("matmul_vec_mat", lambda m, x, y: x @ y, [((4,), "n"), ((4, 3), "n")]),
    ("matmul_mat_vec", lambda m, x, y: x @ y, [((3, 4), "n"), ((4,), "n")]),
    ("matmul_dot", lambda m, x, y: x @ y, [((4,), "n"), ((4,), "n")]),
    ("mm", lambda m, x, y: m.mm(x, y), [((3, 4), "n"), ((4, 2), "n")]),
    ("bmm", lambda m, x, y: x.bmm(y), [((2, 3, 4), "n"), ((2, 4, 2), "n")]),
    ("t", lambda m, x: x.t() * 1, [((3, 4), "n")]),
    ("transpose", lambda m, x: x.transpose(0, 2) * 1, [((2, 3, 4), "n")]),
    ("permute", lambda m, x: x.permute(2, 0, 1) * 1, [((2, 3, 4), "n")]),
    ("mT", lambda m, x: x.mT * 1, [((2, 3, 4), "n")]),
    ("reshape", lambda m, x: x.reshape(6, 4) * 1, [((2, 3, 4), "n")]),
    ("view", lambda m, x: x.view(-1) * 1, [((2, 3, 4), "n")]),
    ("flatten", lambda m, x: x.flatten(1) * 1, [((2, 3, 4), "n")]),
    ("squeeze_unsqueeze", lambda m, x: x.squeeze(1).unsqueeze(0) * 1, [((3, 1, 4), "n")]),
    ("expand", lambda m, x: x.expand(2, 3, 4) * 1, [((3, 1), "n")]),
    ("cat", lambda m, x, y: m.cat([x, y], 1), [((2, 3), "n"), ((2, 2), "n")]),
    ("stack", lambda m, x, y: m.stack([x, y], 0), [((2, 3), "n"), ((2, 3), "n")]),
    ("narrow", lambda m, x: x.narrow(1, 1, 2) * 1, [((3, 4), "n")]),
    ("select", lambda m, x: x.select(0, 1) * 1, [((3, 4), "n")]),
    ("getitem", lambda m, x: x[1:, None, ..., ::2] * 1, [((3, 4, 5), "n")]),
    ("getitem_int", lambda m, x: x[1, -1] * 1, [((3, 4, 5), "n")]),
    ("index_select", lambda m, x, i: x.index_select(1, i), [((3, 4), "n"), ((5,), 4)]),
    ("split", lambda m, x: x.split(2, 1)[1] * 1, [((3, 5), "n")]),
    ("sum", lambda m, x: x.sum(), [((3, 4), "n")]),
    ("sum_dim", lambda m, x: x.sum(1), [((3, 4), "n")]),
    ("sum_dims_keepdim", lambda m, x: x.sum((0, 2), keepdim=True), [((2, 3, 4), "n")]),
    ("mean", lambda m, x: x.mean(), [((3, 4), "n")]),
    ("mean_dim", lambda m, x: x.mean(-1, keepdim=True), [((3, 4), "n")]),
    ("amax", lambda m, x: x.amax(1), [((3, 4), "n")]),
    ("amin", lambda m, x: x.amin((0, 1)), [((3, 4), "n")]),
    ("max_dim", lambda m, x: x.max(1).values, [((3, 4), "n")]),
    ("min_all", lambda m, x: x.min(), [((3, 4), "n")]),
    ("logsumexp", lambda m, x: x.logsumexp(1), [((3, 4), "n")]),
    ("softmax", lambda m, x: x.softmax(1), [((3, 4), "n")]),
    ("log_softmax", lambda m, x: F(m).log_softmax(x, 0), [((3, 4), "n")]),
    ("linear", lambda m, x, w, b: F(m).linear(x, w, b), [((5, 4), "n"), ((3, 4), "n"), ((3,), "n")]),
    ("linear_3d", lambda m, x, w: F(m).linear(x, w), [((2, 5, 4), "n"), ((3, 4), "n")]),
    ("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b, stride=2, padding=1),
     [((2, 3, 7, 7), "n"), ((4, 3, 3, 3), "n"), ((4,), "n")]),
    ("max_pool2d", lambda m, x: F(m).max_pool2d(x, 2), [((2, 3, 6, 6), "n")]),
    ("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (5,), w, b), [((3, 5), "n"), ((5,), "n"), ((5,), "n")]),
    ("embedding", lambda m, i, w: F(m).embedding(i, w), [((2, 3), 6), ((6, 4), "n")]),
    ("mse_loss", lambda m, x, y: F(m).mse_loss(x, y), [((3, 4), "n"), ((3, 4), "n")]),
    ("bce", lambda m, x, y: F(m).binary_cross_entropy(x, y), [((3, 4), "u"), ((3, 4), "U")]),
    ("bce_with_logits", lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y), [((3, 4), "n"), ((3, 4), "U")]),
    ("cross_entropy", lambda m, x, t: F(m).cross_entropy(x, t), [((4, 5), "n"), ((4,), 5)]),
    ("cross_entropy_sum", lambda m, x, t: F(m).cross_entropy(x, t, reduction="sum"), [((4, 5), "n"), ((4,), 5)]),
    ("cross_entropy_probs", lambda m, x, t: F(m).cross_entropy(x, t), [((4, 5), "n"), ((4, 5), "S")]),
    ("nll_loss", lambda m, x, t: F(m).nll_loss(F(m).log_softmax(x, 1), t), [((4, 5), "n"), ((4,), 5)]),
]


def make_inputs(specs, seed):
    rng = np.random.default_rng(seed)
    arrays, grads = [], []
    for shape, kind in specs:
        if isinstance(kind, int):
            arrays.append(rng.integers(0, kind, shape))
            grads.append(False)
            continue
        k = kind.lower()
        if k == "n":
            a = rng.standard_normal(shape)
        elif k == "p":
            a = rng.uniform(0.5, 2.0, shape)
        elif k == "u":
            a = rng.uniform(0.05, 0.95, shape)
        else:
            e = rng.uniform(0.1, 1.0, shape)
            a = e / e.sum(-1, keepdims=True)
        arrays.append(a)
        grads.append(kind.islower())
    return arrays, grads


def run(module, fn, arrays, grads, seed):
    """Forward, gradients (with a graph) and second derivatives on one module."""
    inputs = [module.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    out = fn(module, *inputs)
    name = out.grad_fn.name() if out.grad_fn is not None else None
    diff = [x for x, g in zip(inputs, grads) if g]
    rng = np.random.default_rng(seed + 1)
    v = module.tensor(rng.standard_normal(tuple(out.shape)))
    first = module.autograd.grad(out, diff, v, create_graph=True)
    w = [module.tensor(rng.standard_normal(tuple(g.shape))) for g in first]
    total = sum((g * wi).sum() for g, wi in zip(first, w) if g.requires_grad)
    second = [None] * len(diff)
    if isinstance(total, type(out)) and total.requires_grad:
        second = module.autograd.grad(total, diff, allow_unused=True)
    # clone(): torch returns some zero gradients as ZeroTensors, whose numpy() view
    # reads memory that was never written.
    as_np = lambda t: None if t is None else t.detach().clone().numpy()  # noqa: E731
    return as_np(out), name, [as_np(g) for g in first], [as_np(g) for g in second]


@pytest.mark.parametrize("name,fn,specs", OPS, ids=[op[0] for op in OPS])
def test_parity_with_pytorch(name, fn, specs):
    arrays, grads = make_inputs(specs, seed=len(name))
    t_out, t_name, t_first, t_second = run(torch, fn, arrays, grads, len(name))
    g_out, g_name, g_first, g_second = run(tg, fn, arrays, grads, len(name))
    assert g_out.shape == t_out.shape and g_out.dtype == t_out.dtype
    np.testing.assert_allclose(g_out, t_out, rtol=1e-7, atol=1e-10, err_msg="forward")
    assert g_name == t_name
    for i, (g, t) in enumerate(zip(g_first, t_first)):
        np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-10, err_msg="gradient of input {}".format(i))
    for i, (g, t) in enumerate(zip(g_second, t_second)):
        g = np.zeros_like(g_first[i]) if g is None else g
        t = np.zeros_like(t_first[i]) if t is None else t
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-9, err_msg="second derivative of input {}".format(i))


def test_float32_forward_and_gradients_agree():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((64, 32)), rng.standard_normal((16, 32)), rng.standard_normal(16)
    t = rng.integers(0, 16, 64)

    def loss(m):
        xs = [m.tensor(a, dtype=m.float32, requires_grad=True) for a in (x, w, b)]
        out = F(m).cross_entropy(F(m).linear(xs[0], xs[1], xs[2]).relu(), m.tensor(t))
        out.backward()
        return out.item(), [a.grad.numpy() for a in xs]

    (tl, tg_grads), (gl, g_grads) = loss(torch), loss(tg)
    assert abs(tl - gl) < 1e-5
    for a, b_ in zip(g_grads, tg_grads):
        np.testing.assert_allclose(a, b_, rtol=1e-4, atol=1e-6)


def test_optimizer_steps_agree_with_torch():
    rng = np.random.default_rng(1)
    start = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(5)]
    configs = [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
               ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
               ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))]
    for cls, kwargs in configs:
        results = []
        for m in (torch, tg):
            p = m.nn.Parameter(m.tensor(start.copy()))
            opt = getattr(m.optim, cls)([p], **kwargs)
            for g in grads:
                p.grad = m.tensor(g)
                opt.step()
            results.append(p.detach().numpy())
        np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6, err_msg=cls)
