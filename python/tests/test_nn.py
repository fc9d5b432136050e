"""tensorgrad.nn from Python: Module subclasses discover their parameters, the
layers compute what their formulas say, state_dict / save / load round trip,
and the optimizers update as torch.optim's documented formulas."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn


def values(t):
    return t.detach().numpy().tolist()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("steps", tg.zeros(1, dtype=tg.int64))
        self.note = "plain attribute"

    def forward(self, x):
        x = self.act(self.fc1(x))
        for block in self.blocks:
            x = block(x)
        return x * self.scale


def test_module_discovers_parameters_buffers_and_children():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                     "blocks.1.bias"]
    assert len(list(net.parameters())) == 7 and all(p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "blocks"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "blocks", "blocks.0", "blocks.1"]
    assert list(net.state_dict().keys()) == ["scale", "steps", "fc1.weight", "fc1.bias", "blocks.0.weight",
                                             "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert net.note == "plain attribute" and isinstance(net.fc1.weight, nn.Parameter)
    assert net(tg.randn(3, 4)).shape == (3, 8)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        net.missing
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = tg.ones(1)


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2


def test_assignment_before_init_is_refused():
    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__\\(\\) call"):
        Early()


def test_train_eval_zero_grad_and_repr():
    net = Net()
    net.eval()
    assert not net.training and not net.fc1.training and not net.blocks[1].training
    net.train()
    assert net.blocks[0].training
    net(tg.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad.abs().sum().item() == 0 for p in net.parameters())
    net.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in net.parameters())
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)")
    assert repr(nn.Conv2d(1, 4, 3, padding=1)) == "Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Parameter(tg.ones(1))) == "Parameter containing:\ntensor([1.], requires_grad=True)"


def test_parameter_shares_memory_with_its_data():
    t = tg.zeros(2)
    p = nn.Parameter(t)
    assert p.data_ptr() == t.data_ptr() and p.requires_grad and p.is_leaf
    assert not nn.Parameter(t, requires_grad=False).requires_grad


def test_linear_matches_its_formula_and_init_bounds():
    tg.manual_seed(0)
    lin = nn.Linear(16, 4)
    bound = 1 / math.sqrt(16)
    assert lin.weight.shape == (4, 16) and lin.bias.shape == (4,)
    assert lin.weight.abs().max().item() <= bound and lin.bias.abs().max().item() <= bound
    x = tg.randn(3, 16)
    expected = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    assert np.allclose(values(lin(x)), expected, atol=1e-5)
    assert lin(x).grad_fn.name() == "AddmmBackward0"
    assert nn.Linear(3, 2, bias=False).bias is None


def test_conv_pool_layernorm_embedding_dropout():
    x = tg.arange(16, dtype=tg.float32).reshape(1, 1, 4, 4)
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with tg.no_grad():
        conv.weight.fill_(1)
    out = conv(x)
    assert out.shape == (1, 1, 4, 4) and out[0, 0, 0, 0].item() == 0 + 1 + 4 + 5
    assert values(nn.MaxPool2d(2)(x)) == [[[[5, 7], [13, 15]]]]
    ln = nn.LayerNorm(4)
    y = ln(tg.tensor([[1.0, 2.0, 3.0, 4.0]]))
    assert np.allclose(values(y), [[-1.3416, -0.4472, 0.4472, 1.3416]], atol=1e-3)
    emb = nn.Embedding(5, 3, padding_idx=0)
    assert values(emb.weight[0]) == [0, 0, 0]
    assert emb(tg.tensor([[0, 2]])).shape == (1, 2, 3)
    drop = nn.Dropout(0.5)
    d = drop(tg.ones(10000))
    assert set(np.unique(d.numpy()).tolist()) <= {0.0, 2.0} and 0.45 < (d.numpy() == 0).mean() < 0.55
    drop.eval()
    assert values(drop(tg.ones(3))) == [1, 1, 1]


def test_functional_losses():
    logits = tg.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], requires_grad=True)
    target = tg.tensor([0, 2])
    loss = F.cross_entropy(logits, target)
    ln = logits.detach().numpy()
    ls = ln - np.log(np.exp(ln).sum(1, keepdims=True))
    assert math.isclose(loss.item(), -(ls[0, 0] + ls[1, 2]) / 2, rel_tol=1e-6)
    assert math.isclose(nn.CrossEntropyLoss(reduction="sum")(logits, target).item(), -(ls[0, 0] + ls[1, 2]),
                        rel_tol=1e-6)
    assert math.isclose(F.mse_loss(tg.tensor([1.0, 3.0]), tg.tensor([0.0, 0.0])).item(), 5.0)
    assert math.isclose(F.binary_cross_entropy(tg.tensor([0.5]), tg.tensor([1.0])).item(), math.log(2), rel_tol=1e-6)
    assert math.isclose(F.binary_cross_entropy_with_logits(tg.tensor([0.0]), tg.tensor([1.0])).item(), math.log(2),
                        rel_tol=1e-6)
    assert values(F.mse_loss(tg.tensor([1.0, 3.0]), tg.tensor([0.0, 0.0]), reduction="none")) == [1, 9]
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.mse_loss(tg.ones(1), tg.ones(1), reduction="avg")


def test_state_dict_save_and_load(tmp_path):
    a, b = Net(), Net()
    path = tmp_path / "net.safetensors"
    tg.save(a, path)
    b.load_state_dict(tg.load(path))
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert p.equal(q), name
    state = a.state_dict()
    del state["fc1.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "fc1.bias"'):
        b.load_state_dict(state)
    bad = a.state_dict()
    bad["scale"] = tg.ones(2)
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        b.load_state_dict(bad)
    tg.save({"x": tg.arange(3)}, path)
    assert values(tg.load(path)["x"]) == [0, 1, 2]


def test_module_to_double_keeps_parameter_identity():
    lin = nn.Linear(2, 2)
    w = lin.weight
    lin.double()
    assert lin.weight is w and w.dtype is tg.float64 and lin(tg.ones(1, 2, dtype=tg.float64)).dtype is tg.float64


def test_sequential_with_names_and_slicing():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.Tanh())]))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Tanh) and len(seq[1:]) == 1
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias"]


# ---- optimizers ---------------------------------------------------------------------------------------
def quadratic_step(opt_factory, steps=3):
    p = nn.Parameter(tg.tensor([1.0, -2.0]))
    opt = opt_factory([p])
    for _ in range(steps):
        opt.zero_grad()
        (p * p).sum().backward()       # gradient 2p
        opt.step()
    return p.detach().numpy()


def test_sgd_momentum_matches_the_formula():
    got = quadratic_step(lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9))
    p = np.array([1.0, -2.0])
    b = None
    for _ in range(3):
        g = 2 * p
        b = g if b is None else 0.9 * b + g
        p = p - 0.1 * b
    assert np.allclose(got, p, atol=1e-6)


def test_adam_matches_the_formula():
    got = quadratic_step(lambda ps: tg.optim.Adam(ps, lr=0.01))
    p = np.array([1.0, -2.0])
    m = v = 0
    for t in range(1, 4):
        g = 2 * p
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.01 / (1 - 0.9 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + 1e-8)
    assert np.allclose(got, p, atol=1e-6)


def test_adamw_and_rmsprop_decrease_the_loss():
    for factory in (lambda ps: tg.optim.AdamW(ps, lr=0.05), lambda ps: tg.optim.RMSprop(ps, lr=0.01)):
        assert np.abs(quadratic_step(factory, steps=20)).sum() < 3.0


def test_param_groups_and_lr_changes():
    a, b = nn.Parameter(tg.tensor([1.0])), nn.Parameter(tg.tensor([1.0]))
    opt = tg.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 1.0
    (a + b).sum().backward()
    opt.step()
    assert values(a) == pytest.approx([0.9]) and values(b) == pytest.approx([0.0])
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    assert values(a) == pytest.approx([0.4])
    c = nn.Parameter(tg.tensor([3.0]))
    opt.add_param_group({"params": c, "lr": 2.0})
    c.sum().backward()
    opt.step()
    assert values(c) == pytest.approx([1.0])
    opt.zero_grad(set_to_none=True)
    assert a.grad is None and c.grad is None


def test_optimizer_argument_errors():
    p = nn.Parameter(tg.ones(1))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        tg.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        tg.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        tg.optim.Adam([])
    with pytest.raises(ValueError, match="parameter group didn't specify a value of required optimization parameter lr"):
        tg.optim.SGD([p])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        tg.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.5"):
        tg.optim.Adam([p], betas=(0.9, 1.5))


def test_step_with_closure_returns_the_loss():
    p = nn.Parameter(tg.tensor([2.0]))
    opt = tg.optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and values(p) == [1.0]


def test_a_small_model_learns_xor():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    for _ in range(300):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert values(model(x).sigmoid().gt(0.5)) == [[False], [True], [True], [False]]


def test_replacing_a_layer_or_parameter_keeps_its_place():
    # setattr re-registered the name at the end: Sequential then ran ReLU before
    # the new first layer, and state_dict listed bias before weight.
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    lin = nn.Linear(2, 2)
    with tg.no_grad():
        lin.weight.copy_(tg.tensor([[1.0, 0.0], [0.0, -1.0]]))
        lin.bias.zero_()
    setattr(s, "0", lin)
    assert s(tg.tensor([[1.0, 1.0]])).tolist() == [[1.0, 0.0]]
    m = nn.Linear(2, 2)
    m.weight = nn.Parameter(tg.zeros(2, 2))
    assert list(m.state_dict()) == ["weight", "bias"]


def test_sequential_item_assignment_and_deletion():
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    s[2] = nn.Identity()
    s[-2] = nn.Tanh()
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "Identity"]
    del s[1]
    assert [n for n, _ in s.named_modules()] == ["", "0", "1"]  # renumbered, as torch 1.13
    assert [type(m).__name__ for m in s] == ["Linear", "Identity"]
    with pytest.raises(IndexError):
        s[5] = nn.ReLU()


def test_zero_grad_zeroes_a_gradient_that_is_a_view():
    # As torch's Module and Optimizer zero_grad: detach_() only a gradient with a
    # history (detach_() refuses views).
    m = nn.Linear(3, 3)
    m.weight.grad = tg.ones(4, 3)[1:]
    m.zero_grad()
    assert m.weight.grad.tolist() == [[0.0] * 3] * 3
    m.weight.grad = tg.ones(4, 3)[1:]
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    opt.zero_grad()
    assert m.weight.grad.tolist() == [[0.0] * 3] * 3
