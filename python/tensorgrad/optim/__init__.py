"""tensorgrad.optim: SGD, Adam, AdamW and RMSprop with torch.optim's Python
signatures; the updates run in C++ (matching libtorch 1.13 step by step)."""
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]
