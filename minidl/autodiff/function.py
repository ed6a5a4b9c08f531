"""The contract every differentiable operation follows.

A ``Function`` turns input arrays into one output array (``forward``) and,
given the gradient of a scalar loss with respect to that output, returns the
gradients with respect to each input (``backward``): the chain rule, one node
at a time. Calling a Function on Tensors runs ``forward`` and, while gradients
are being recorded, links the output Tensor to the Function so that
``Tensor.backward`` can walk the graph in reverse.

Writing a new operation::

    class Square(Function):
        '''y = x^2,  dL/dx = 2 x dL/dy'''

        def forward(self, x):
            self.x = x              # save what backward needs
            return x * x

        def backward(self, gy):
            return 2 * self.x * gy  # one gradient per input, of the input's shape
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from minidl.core import backend
from minidl.autodiff.tensor import Tensor


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for backward."""
    return _grad_mode.enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context in which no graph is recorded (inference, weight updates).

    >>> with minidl.no_grad():
    ...     y = model_output(x)      # y.requires_grad is False
    """
    previous = _grad_mode.enabled
    _grad_mode.enabled = False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` on gradients.

    Subclasses implement

    - ``forward(*arrays) -> array``: compute the output, saving on ``self``
      whatever backward will need;
    - ``backward(gy) -> array | tuple``: given ``gy = dL/dy`` (same shape as
      the output) return ``dL/dx_i`` for every input, each of that input's
      shape, or None for an input that needs no gradient.

    ``self.needs_input_grad`` (one bool per input) is set before ``forward``
    runs, so an operation can skip work for inputs that need no gradient.
    """

    inputs: tuple = ()
    needs_input_grad: tuple = ()
    released = False

    def __call__(self, *inputs: Any) -> "Tensor":
        tensors = tuple(as_tensor(x) for x in inputs)
        record = is_grad_enabled() and any(t.requires_grad for t in tensors)
        self.needs_input_grad = tuple(record and t.requires_grad for t in tensors)
        output_data = self.forward(*(t.data for t in tensors))
        xp = backend.get_array_module(output_data)
        output = Tensor(xp.asarray(output_data))
        if record:
            self.inputs = tensors
            output.requires_grad = True
            output.creator = self
        return output

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, gy: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def release(self) -> None:
        """Drop everything forward saved, once backward no longer needs it."""
        self.__dict__.clear()
        self.released = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def as_tensor(x: Any, like: "Tensor | None" = None) -> "Tensor":
    """Wrap ``x`` as a constant Tensor unless it already is one.

    A Python number takes the dtype of ``like`` (numpy's rule that Python
    scalars do not promote arrays); everything else keeps its own dtype.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)):
        xp = backend.get_array_module(like.data)
        return Tensor(xp.asarray(x, dtype=like.dtype))
    return Tensor(x)


def unbroadcast(gradient: Any, shape: tuple) -> Any:
    """Sum ``gradient`` down to ``shape``, undoing numpy broadcasting.

    If ``x`` of shape ``shape`` was broadcast to ``gradient.shape`` in the
    forward pass, every copy of an element contributed to the loss, so the
    gradient of the element is the sum over its copies: sum the leading axes
    broadcasting added, and the axes where ``x`` had size 1.
    """
    if gradient.shape == tuple(shape):
        return gradient
    extra_axes = gradient.ndim - len(shape)
    gradient = gradient.sum(axis=tuple(range(extra_axes)))
    size_one_axes = tuple(
        axis for axis, size in enumerate(shape) if size == 1 and gradient.shape[axis] != 1
    )
    if size_one_axes:
        gradient = gradient.sum(axis=size_one_axes, keepdims=True)
    return gradient.reshape(shape)
