from .. import _C
from .adam import check_adam_args
from .optimizer import Optimizer


class AdamW(Optimizer):
    """Adam with decoupled weight decay, as torch.optim.AdamW."""
    _cpp_class = _C._optim.AdamW

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))
