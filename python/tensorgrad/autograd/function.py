"""Custom differentiable operations written in Python, as torch.autograd.Function:

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)        # y.grad_fn.name() == "ExpBackward"

forward runs with grad mode off; backward receives one gradient per output and
returns one per forward argument (None for non-tensors and unneeded inputs).
"""
from .. import _C

FunctionCtx = _C.FunctionCtx


class Function:
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args):
        return _C._function_apply(cls, *args)
