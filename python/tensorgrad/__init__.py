"""tensorgrad: tensors with reverse-mode automatic differentiation, computed by
tensorgrad's C++ engine, with PyTorch's Python names.

    import tensorgrad as tg
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad                      # tensor([2., 4.])
"""
from . import _C
from ._C import (
    Tensor, dtype, float32, float64, int64, float, double, long, get_default_dtype, set_default_dtype,
    tensor, from_numpy, zeros, ones, empty, full, rand, randn, randint, randperm, bernoulli, arange, linspace, eye,
    zeros_like, ones_like, empty_like, full_like, rand_like, randn_like,
    cat, stack, where, addmm, prelu, result_type,
    manual_seed, set_num_threads, get_num_threads, is_grad_enabled,
)
from ._C import bool  # noqa: A004 -- tensorgrad.bool is the dtype, as torch.bool
from . import _tensor
from ._functions import *  # noqa: F401,F403 -- torch-style function forms (tensorgrad.exp(x), ...)
from ._functions import pow, as_tensor, numel, is_tensor
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled
from .serialization import save, load
from . import autograd, nn, optim, data

__version__ = "0.1.0"
