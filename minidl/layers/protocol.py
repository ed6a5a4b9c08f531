"""How a layer is called and built, Keras's way, for layers written as in Keras (custom layers).

Four rules, each Keras 3's:

- **What ``call`` receives.** ``call``'s signature is read once per class:
  ``training`` is passed only where ``call`` names it, so
  ``def call(self, inputs)`` is called with the inputs alone.
- **Tensors given by position.** ``def call(self, targets, logits)`` called as
  ``layer(targets, logits)``: the leading positional arguments that are tensors
  (symbolic, Tensors or arrays) join the first as the layer's inputs (a list:
  its graph node reads them all, its build gets their shapes), and ``call``
  gets them back one by one, by position.
- **Who is training.** A call without ``training=`` inherits the value of
  the layer call it runs inside (a Dropout inside a custom block follows
  the block), else the layer's own mode (``layer.train()``). The outermost
  call of a forward pass is its *entry*: it clears the losses that
  ``add_loss`` collected in the previous forward pass, for itself and every
  sublayer, so ``layer.losses`` always holds the latest pass's.
- **Which shapes ``build`` and ``compute_output_shape`` see.** minidl's own
  layers take one sample's shape, ``(784,)``; a method written outside
  minidl is given Keras's shape with the batch axis, ``(None, 784)``, and
  returns one (the batch axis is dropped from what it returns). A user's
  layer written in minidl's convention still works: where the method fails
  on Keras's shape (any weights it made are dropped), or returns a shape
  that does not start with the batch axis (None), it is asked again with
  the sample's shape.
- **Shapes nobody wrote down.** A layer from outside minidl that does not
  define ``compute_output_shape`` is run once on zeros (no gradient, not
  training) to learn its output shape, as Keras traces ``call``; an axis
  of unknown size (None) is tried at two sizes and stays None where the
  output's size follows it (lengths 8 and 12: even, and longer than most windows).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from typing import Any

import numpy

from minidl.autodiff.function import no_grad
from minidl.autodiff.tensor import Tensor

#: the innermost layer call under way: (entry layer of the forward pass, its resolved training flag)
_CURRENT_CALL: contextvars.ContextVar = contextvars.ContextVar("minidl_layer_call", default=None)


@functools.lru_cache(maxsize=None)
def call_parameters(cls: type) -> tuple:
    """The names of ``cls.call``'s parameters after ``self``, in order (read once per class)."""
    try:
        parameters = list(inspect.signature(cls.call).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    return tuple(parameter.name for parameter in parameters
                 if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD))


def gather_positional_tensors(layer: Any, inputs: Any, args: tuple) -> tuple:
    """(inputs, args) with the tensors that ``args`` begins with joined to ``inputs`` (module docstring)."""
    count = 0
    while count < len(args) and _is_tensor(args[count]):
        count += 1
    if count == 0 or not written_outside_minidl(type(layer).call):
        return inputs, args
    layer.__dict__["_positional_inputs"] = 1 + count
    return [inputs, *args[:count]], args[count:]


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (Tensor, numpy.ndarray)) or type(value).__name__ == "SymbolicTensor"


def call_with_keras_arguments(layer: Any, inputs: Any, args: tuple, kwargs: dict, training: bool | None) -> Any:
    """``layer.call(inputs, *args, **kwargs)``, adding ``training`` where ``call`` names it and it is not given;
    inputs first given by position are given back by position."""
    names = call_parameters(type(layer))
    spread = layer.__dict__.get("_positional_inputs")
    positional = (list(inputs) if spread and isinstance(inputs, (list, tuple)) and len(inputs) == spread
                  else [inputs]) + list(args)
    if "training" in names and "training" not in kwargs and len(positional) - 1 < names.index("training"):
        kwargs = {**kwargs, "training": bool(training)}
    return layer.call(*positional, **kwargs)


def outermost_call() -> bool:
    """Whether no layer call is under way (a call now would be the entry of a forward pass)."""
    return _CURRENT_CALL.get() is None


def resolved_training(layer: Any, training: bool | None) -> bool:
    """The training flag of a call given ``training`` (None: the enclosing call's, else the layer's mode).

    A call outside any other is the entry of a forward pass: it clears the layer's losses first.
    """
    outer = _CURRENT_CALL.get()
    if outer is None:
        layer.clear_losses()
    elif training is None:
        training = outer[1]
    return bool(layer.training) if training is None else training


class layer_call:  # noqa: N801 - used as a function: ``with layer_call(layer, training) as resolved:``
    """The context of one layer call, for the calls it makes; yields its training flag (module docstring)."""

    def __init__(self, layer: Any, training: bool | None) -> None:
        self.layer, self.training = layer, training

    def __enter__(self) -> bool:
        outer = _CURRENT_CALL.get()
        resolved = resolved_training(self.layer, self.training)
        self.token = _CURRENT_CALL.set((self.layer if outer is None else outer[0], resolved))
        return resolved

    def __exit__(self, *exception: Any) -> None:
        _CURRENT_CALL.reset(self.token)


@functools.lru_cache(maxsize=None)
def written_outside_minidl(function: Any) -> bool:
    """Whether a method was written in a user's module (Keras's shape convention) rather than in minidl."""
    module = getattr(function, "__module__", None) or ""
    return module != "minidl" and not module.startswith("minidl.")


def with_batch_axis(shape: Any) -> Any:
    """(784,) -> (None, 784); a list of shapes, each."""
    return [(None,) + tuple(item) for item in shape] if isinstance(shape, list) else (None,) + tuple(shape)


def _several(shape: Any) -> bool:
    return isinstance(shape, list) and bool(shape) and all(isinstance(item, (list, tuple)) for item in shape)


def _batch_first(shape: Any) -> bool:
    """Whether a returned shape (or each of several) starts with the batch axis, None."""
    shapes = shape if _several(shape) else [shape]
    return all(isinstance(item, (list, tuple)) and len(item) > 0 and item[0] is None for item in shapes)


def _plain_shape(shape: Any) -> Any:
    if _several(shape):
        return [_plain_shape(item) for item in shape]
    return tuple(None if dim is None else int(dim) for dim in shape)


def output_shape_in_either_convention(layer: Any, input_shape: Any) -> Any:
    """``layer.compute_output_shape`` asked with Keras's shapes, else with the sample's (module docstring)."""
    try:
        keras_shape = layer.compute_output_shape(with_batch_axis(input_shape))
    except (TypeError, ValueError, IndexError, KeyError):
        keras_shape = None
    if keras_shape is not None and _batch_first(keras_shape):
        keras_shape = _plain_shape(keras_shape)
        return [item[1:] for item in keras_shape] if isinstance(keras_shape, list) else keras_shape[1:]
    return _plain_shape(layer.compute_output_shape(input_shape))


def build_in_either_convention(layer: Any, input_shape: Any) -> None:
    """``layer.build`` with Keras's shapes; if that fails, without its weights, with the sample's (module docstring)."""
    made = len(layer._weights), len(layer._regularized)
    try:
        layer.build(with_batch_axis(input_shape))
    except (TypeError, ValueError, IndexError, KeyError) as keras_error:
        del layer._weights[made[0]:], layer._regularized[made[1]:]
        try:
            layer.build(input_shape)
        except Exception:
            raise keras_error from None


def _zeros_like_shape(shape: tuple, unknown: int, dtype: Any) -> Tensor:
    return Tensor(numpy.zeros((2,) + tuple(unknown if dim is None else dim for dim in shape), dtype=dtype))


def traced_output_shape(layer: Any, input_shape: Any) -> Any:
    """The sample output shape(s) of ``layer.call`` on zeros of ``input_shape`` (see the module docstring)."""
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    has_unknown = any(dim is None for shape in shapes for dim in shape)
    trials = []
    for unknown in (8, 12) if has_unknown else (8,):
        values = [_zeros_like_shape(shape, unknown, layer.dtype) for shape in shapes]
        with no_grad(), numpy.errstate(all="ignore"), layer_call(layer, False) as training:
            result = call_with_keras_arguments(layer, values if isinstance(input_shape, list) else values[0], (), {},
                                               training)
        several = isinstance(result, (list, tuple))
        trials.append([tuple(numpy.shape(item.data if isinstance(item, Tensor) else item))[1:]
                       for item in (result if several else [result])])
    layer.clear_losses()
    merged = [tuple(a if a == b else None for a, b in zip(first, other)) if len(first) == len(other) else first
              for first, other in zip(trials[0], trials[-1])]
    return merged if several else merged[0]


def init_arguments(cls: type, args: tuple, kwargs: dict) -> dict | None:
    """The arguments a layer was made with, by name, where each is plain data (Keras's automatic config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    arguments = {}
    parameters = inspect.signature(cls.__init__).parameters
    for name, value in list(bound.arguments.items())[1:]:
        if parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(value)
        elif parameters[name].kind is not inspect.Parameter.VAR_POSITIONAL:
            arguments[name] = value
    return {name: value for name, value in arguments.items() if _plain(value)}


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    return False
