"""tensorgrad.nn: Module (subclassable in Python), Parameter, layers, activations,
losses and containers, with torch.nn's names; functional and init submodules."""
from . import functional, init
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init"] + list(_modules_all)
