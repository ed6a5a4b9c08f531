"""Exercise: write a new differentiable function, then check its backward in one call.

swish(x) = x * sigmoid(x)
d swish / dx = sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)) = s + y (1 - s),  with y = swish(x)

Run:  python examples/swish_gradcheck.py
"""

import numpy as np

from minidl import Function, Tensor, gradcheck
from minidl.functional.activation import stable_sigmoid


class Swish(Function):
    """y = x sigmoid(x);  dL/dx = gy * (s + y (1 - s)),  s = sigmoid(x)."""

    def forward(self, x):
        self.s = stable_sigmoid(x)
        self.y = x * self.s
        return self.y

    def backward(self, gy):
        return gy * (self.s + self.y * (1 - self.s))


class SwishWithABug(Swish):
    """The same forward, and a backward that forgot the product rule's second term."""

    def backward(self, gy):
        return gy * self.s


def swish(x):
    return Swish()(x)


if __name__ == "__main__":
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True, dtype="float64")

    print(gradcheck(swish, x))
    print()
    print(gradcheck(lambda t: SwishWithABug()(t), x, raise_exception=False))
