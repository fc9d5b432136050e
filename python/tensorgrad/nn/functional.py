"""tensorgrad.nn.functional: layers, activations and losses as functions, with
torch.nn.functional's signatures; each is one C++ op with its backward."""
from .._C._nn import (  # noqa: F401 -- re-exported
    binary_cross_entropy, binary_cross_entropy_with_logits, conv2d, cross_entropy, dropout, gelu, layer_norm,
    leaky_relu, linear, log_softmax, max_pool2d, mse_loss, nll_loss, relu, softmax,
)
from .._C._nn import embedding as _embedding


def embedding(input, weight, padding_idx=None):
    return _embedding(input, weight, padding_idx)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()
