"""tensorgrad.nn.init: in-place initialisers with torch.nn.init's names; each
returns the tensor it filled. Random ones draw from tensorgrad's generator
(tensorgrad.manual_seed makes them repeatable)."""
from .._C import _nn

calculate_gain = _nn.calculate_gain
_calculate_fan_in_and_fan_out = _nn._calculate_fan_in_and_fan_out


def uniform_(tensor, a=0.0, b=1.0):
    _nn.uniform_(tensor, a, b)
    return tensor


def normal_(tensor, mean=0.0, std=1.0):
    _nn.normal_(tensor, mean, std)
    return tensor


def constant_(tensor, val):
    _nn.constant_(tensor, val)
    return tensor


def ones_(tensor):
    _nn.ones_(tensor)
    return tensor


def zeros_(tensor):
    _nn.zeros_(tensor)
    return tensor


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    _nn.kaiming_uniform_(tensor, a, mode, nonlinearity)
    return tensor


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    _nn.kaiming_normal_(tensor, a, mode, nonlinearity)
    return tensor


def xavier_uniform_(tensor, gain=1.0):
    _nn.xavier_uniform_(tensor, gain)
    return tensor


def xavier_normal_(tensor, gain=1.0):
    _nn.xavier_normal_(tensor, gain)
    return tensor
