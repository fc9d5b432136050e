"""tensorgrad.save / load: named tensors (or a module's state_dict) in a
safetensors file, written atomically."""
import os

from . import _C


def save(obj, f):
    """Saves a dict of name -> Tensor, or a Module's state_dict, to the path f."""
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError("tensorgrad.save takes a dict of tensors or a Module, not " + type(obj).__name__)
    _C._save(dict(obj), os.fspath(f))


def load(f):
    """The dict of name -> Tensor saved at the path f."""
    return _C._load_tensors(os.fspath(f))
