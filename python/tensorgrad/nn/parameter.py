"""tensorgrad.nn.Parameter: a Tensor that a Module registers as a parameter when
assigned as an attribute. It shares memory with the data it was made from."""
from .._C import Tensor, empty


class Parameter(Tensor):
    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError("Parameter data must be a Tensor, not {}".format(type(data).__name__))
        super().__init__(data.detach())
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return Parameter, (self.detach().clone(), self.requires_grad)
