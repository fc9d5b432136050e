"""tinytorch.core: tensor, autograd, activations and losses."""
