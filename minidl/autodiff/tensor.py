"""Tensor: an array that remembers how it was computed, and reverse-mode backward.

A Tensor holds ``data`` (a numpy or cupy array). A Tensor made by a Function
from inputs that require gradients keeps a link to that Function
(``creator``), and the Function keeps its inputs: together they form the graph.
``backward`` visits the graph from the output towards the leaves in reverse
topological order, so every Function's output gradient is complete before the
Function passes gradients on to its inputs (the chain rule).

Only leaves (Tensors made by the user, such as weights) keep ``.grad``; it
accumulates across calls to backward until the user resets it to None.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend


class Tensor:
    """A multidimensional array with automatic differentiation.

    Parameters
    ----------
    data : array-like
        Python numbers and lists become float32 arrays; floating arrays keep
        their dtype; integer and boolean arrays become float32 unless
        ``dtype`` is given.
    requires_grad : bool
        Whether backward should compute ``dL/d(this tensor)``.
    dtype : dtype-like, optional
        Cast the data to this dtype (``"float64"`` for gradient checking).
    name : str, optional
        A label shown in ``repr`` and error messages.
    """

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.as_array(data, dtype)
        self.grad: Any = None
        self.requires_grad = bool(requires_grad)
        self.creator: Any = None
        self.name = name

    # ------------------------------------------------------------------ array facts
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = repr(backend.to_numpy(self.data)).replace("array(", "").rstrip(")")
        body = body.split(", dtype=")[0]
        label = f", name={self.name!r}" if self.name else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, shape={self.shape}, dtype={self.dtype}{grad}{label})"

    def numpy(self) -> Any:
        """The data as a numpy array on the host (a copy when it lives on a GPU)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """``numpy.array(tensor)``: the data on the host, as for a Keras tensor (outside the graph)."""
        return self.numpy() if dtype is None else self.numpy().astype(dtype)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def __float__(self) -> float:
        """``float(t)`` of a one-element tensor, as Keras's tensors allow (``float(ops.sum(model.losses))``)."""
        return float(self.item())

    # ------------------------------------------------------------------ Keras's Variable: changes outside the graph
    def assign(self, value: Any) -> "Tensor":
        """Replace the values (Keras's ``Variable.assign``), keeping shape, dtype and device; returns this tensor.

        Outside the graph: a Function that read the old values keeps them for its backward.
        """
        new = self._array_here(value).astype(self.data.dtype, copy=False)
        xp = backend.get_array_module(self.data)
        try:
            self.data = xp.array(xp.broadcast_to(new, self.data.shape))
        except ValueError:
            raise ValueError(f"assign: a value of shape {tuple(new.shape)} does not fit a variable of shape "
                             f"{self.data.shape}") from None
        return self

    def assign_add(self, delta: Any) -> "Tensor":
        """``self.assign(self + delta)`` (Keras's ``Variable.assign_add``)."""
        return self.assign(self.data + self._array_here(delta))

    def assign_sub(self, delta: Any) -> "Tensor":
        """``self.assign(self - delta)`` (Keras's ``Variable.assign_sub``)."""
        return self.assign(self.data - self._array_here(delta))

    def _array_here(self, value: Any) -> Any:
        """``value`` (a Tensor, an array of any backend, a number) as an array of this tensor's backend."""
        xp, value = backend.get_array_module(self.data), data_of(value)
        return xp.asarray(backend.to_numpy(value) if xp is backend.numpy else value)

    @property
    def device(self) -> str:
        """Where the data lives: "cpu" (numpy) or "gpu" (cupy)."""
        return backend.device_of(self.data)

    def to(self, device: str) -> "Tensor":
        """This tensor on ``device``: itself when already there, else a new leaf holding a copy.

        The copy keeps ``requires_grad`` and the name (as ``torch.Tensor.to``);
        to move a model's weights in place, use ``model.to(device)``.
        """
        data = backend.to_device(self.data, device)
        if data is self.data:
            return self
        return Tensor(data, requires_grad=self.requires_grad, name=self.name)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut off from the graph."""
        return Tensor(self.data)

    # ------------------------------------------------------------------ backward
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate ``dself/dleaf`` (times ``grad``) into every leaf's ``.grad``.

        Parameters
        ----------
        grad : array-like, optional
            ``dL/dself``, of this tensor's shape. May be omitted only when this
            tensor holds a single element (a scalar loss), where it is 1.
        retain_graph : bool
            Keep what the Functions saved so that backward can run through the
            same graph again. By default it is freed as the walk goes.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of the "
                "tensors it was computed from has requires_grad=True (or it was computed "
                "inside no_grad())"
            )
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a tensor of one element (a scalar "
                    f"loss), got shape {self.shape}; pass grad= of that shape, or reduce first"
                )
            grad = xp.ones_like(self.data)
        else:
            grad = xp.asarray(data_of(grad), dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward(): grad has shape {grad.shape} but the tensor has shape {self.shape}"
                )
        if self.creator is None:
            _accumulate_leaf_grad(self, grad)
            return

        output_grads = {self.creator: grad}  # gradient of each Function's output
        for function in reversed(_topological_order(self.creator)):
            gy = output_grads.pop(function, None)
            if gy is None:  # every path from here to the loss returned no gradient
                continue
            if function.released:
                raise RuntimeError(
                    f"backward() reached {function}, whose saved arrays were already freed by an "
                    "earlier backward(); pass retain_graph=True to the first call to go twice"
                )
            input_grads = function.backward(gy)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            inputs = function.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(
                    f"{function}.backward returned {len(input_grads)} gradients for "
                    f"{len(inputs)} inputs"
                )
            for x, needs_grad, gx in zip(inputs, function.needs_input_grad, input_grads):
                if not needs_grad or gx is None:
                    continue
                gx = _checked_gradient(function, x, gx)
                if x.creator is None:
                    _accumulate_leaf_grad(x, gx)
                elif x.creator in output_grads:
                    output_grads[x.creator] = output_grads[x.creator] + gx
                else:
                    output_grads[x.creator] = gx
            if not retain_graph:
                function.release()

    # ------------------------------------------------------------------ operators
    # Arithmetic (+ - * / ** @, unary -), indexing, comparisons and the methods
    # reshape, transpose, .T, sum, mean, max, min, exp, log, sqrt, abs, clip and
    # flatten are differentiable functions of ``minidl.functional``. They are
    # installed on this class from one place, ``minidl/functional/operators.py``,
    # so that this module stays at the bottom of the autodiff layer.

    # numpy defers to Tensor's reflected operators: ndarray + Tensor -> Tensor.
    __array_ufunc__ = None
    __hash__ = object.__hash__  # identity, as for any Python object (== compares elements)


def data_of(x: Any) -> Any:
    """The array inside a Tensor; anything else (an array, a number, a list) unchanged."""
    return x.data if isinstance(x, Tensor) else x


def _topological_order(root_function: Any) -> list:
    """Functions of the graph behind ``root_function``, each after all its inputs' creators.

    An iterative depth-first search (no recursion, so chains of any length
    work) that appends a Function once every Function feeding it is appended.
    """
    order: list = []
    visited: set = set()
    stack = [(root_function, False)]
    while stack:
        function, inputs_done = stack.pop()
        if inputs_done:
            order.append(function)
            continue
        if function in visited:
            continue
        visited.add(function)
        stack.append((function, True))
        for x in function.inputs:
            if x.creator is not None and x.creator not in visited:
                stack.append((x.creator, False))
    return order


def _checked_gradient(function: Any, x: Tensor, gx: Any) -> Any:
    """Check that a backward returned a gradient of its input's shape; cast to its dtype."""
    if gx.shape != x.shape:
        raise RuntimeError(
            f"{function}.backward returned a gradient of shape {gx.shape} for an input of "
            f"shape {x.shape}; a backward must return one gradient per input, of that "
            "input's shape (see minidl.autodiff.function.unbroadcast)"
        )
    if gx.dtype != x.dtype:
        gx = gx.astype(x.dtype)
    return gx


def _accumulate_leaf_grad(leaf: Tensor, gx: Any) -> None:
    # A copy on first write: a backward may hand the same array to several inputs.
    if leaf.grad is None:
        leaf.grad = backend.empty(gx.shape, gx.dtype, gx)
        leaf.grad[...] = gx
    else:
        leaf.grad = leaf.grad + gx
