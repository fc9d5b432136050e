"""tensorgrad.autograd: backward() and grad() over the C++ engine, grad mode,
anomaly detection, custom Functions written in Python, gradcheck, the GradientTape,
and the backward graph as Graphviz DOT (to_dot) and as numbers (graph_stats)."""
from .. import _C
from .._C import gradcheck, gradgradcheck, GradientTape, GraphStats, to_dot, graph_stats
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck", "GradientTape", "GraphStats",
           "to_dot", "graph_stats"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(sum of tensors * grad_tensors)/d(leaf) into each leaf's .grad."""
    _C._backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(outputs)/d(inputs) as a tuple, one entry per input (None for an unused input
    with allow_unused=True); no .grad is touched."""
    return _C._grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)
