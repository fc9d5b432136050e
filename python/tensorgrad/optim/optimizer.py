"""The Optimizer base: torch's param_groups (a list of dicts whose values may be
changed between steps, e.g. to schedule the learning rate) over a C++ optimizer."""
from .. import _C
from ..autograd.grad_mode import enable_grad


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    # The C++ class (in tensorgrad._C._optim) a subclass drives.
    _cpp_class = None

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.param_groups = []
        if isinstance(params, _C.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got tensorgrad.Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self._add_group(group)
        self._impl = self._cpp_class([(g["params"], self._options(g)) for g in self.param_groups])

    def _add_group(self, group):
        if not isinstance(group, dict):
            raise TypeError("param group must be a dict")
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, _C.Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, _C.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required optimization parameter " + name)
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)
        return group

    def _options(self, group):
        return {name: group[name] for name in self.defaults}

    def add_param_group(self, param_group):
        group = self._add_group(param_group)
        self._impl.add_param_group(group["params"], self._options(group))

    def step(self, closure=None):
        """Updates every parameter that has a gradient; with a closure (which recomputes
        the loss and its gradients), runs it first and returns its loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):
            self._impl.set_options(i, self._options(group))
        self._impl.step()
        return loss

    def zero_grad(self, set_to_none=False):
        _C._optim.zero_grads([p for group in self.param_groups for p in group["params"]], set_to_none)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append("Parameter Group {}".format(i))
            for key in sorted(k for k in group if k != "params"):
                lines.append("    {}: {}".format(key, group[key]))
        return "\n".join(lines) + "\n)"
