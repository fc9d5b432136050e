"""Reference counting across the Python/C++ boundary: 10,000 forward+backward passes
touching every kind of object the bindings create (tensors, graph nodes, hooks,
custom Functions and their ctx, numpy views both ways, optimizer state) leave the
process's resident memory and Python's object count flat."""
import gc
import os

import numpy as np

import tensorgrad as tg
from tensorgrad import nn

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Square(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * ctx.k, None


def test_no_leaks_across_10000_backward_passes():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    data = np.random.default_rng(0).standard_normal((32, 8)).astype(np.float32)
    target = tg.randint(0, 4, (32,))

    def step():
        x = tg.from_numpy(data).requires_grad_(False)
        h = model(x)
        h.register_hook(lambda g: g * 1.0)
        s = Square.apply(h, 0.5)
        loss = tg.nn.functional.cross_entropy(s, target) + h[:, 1:].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        g, = tg.autograd.grad((model[0].weight ** 2).sum(), model[0].weight, create_graph=True)
        g.sum().backward()
        return float(loss.detach().numpy()) + model[0].weight.grad.numpy()[0, 0]

    for _ in range(1000):
        step()
    gc.collect()
    rss, objects = resident_bytes(), len(gc.get_objects())
    for _ in range(10000):
        step()
    gc.collect()
    grown = resident_bytes() - rss
    # A leak of even one 8x16 float tensor per pass would be 10000 * 512 B = 5 MB.
    assert grown < 2 * 1024 * 1024, "resident memory grew by {} bytes".format(grown)
    assert len(gc.get_objects()) - objects < 100
