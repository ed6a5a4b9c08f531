"""Loss objects and names for ``compile(loss=...)``, as in Keras.

A loss is called as ``loss(y_true, y_pred, sample_weight=None)`` and returns
a scalar Tensor, the mean over the batch (see ``minidl.functional.loss`` for
the equations and their backward).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl import functional as F
from minidl.registry import Registry, registered_name, serialize as serialize_object
from minidl.tensor import Tensor


class Loss:
    """A named loss function with its options, callable as ``loss(y_true, y_pred, sample_weight)``."""

    function: Callable  # one of minidl.functional's losses, set by each subclass

    def __init__(self, **options: Any) -> None:
        self.options = options

    @property
    def name(self) -> str:
        return self.function.__name__

    def __call__(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> Tensor:
        return self.function(y_true, y_pred, sample_weight=sample_weight, **self.options)

    def get_config(self) -> dict:
        return dict(self.options)


class MeanSquaredError(Loss):
    function = staticmethod(F.mean_squared_error)


class MeanAbsoluteError(Loss):
    function = staticmethod(F.mean_absolute_error)


class BinaryCrossentropy(Loss):
    function = staticmethod(F.binary_crossentropy)

    def __init__(self, from_logits: bool = False) -> None:
        super().__init__(from_logits=from_logits)


class CategoricalCrossentropy(BinaryCrossentropy):
    function = staticmethod(F.categorical_crossentropy)


class SparseCategoricalCrossentropy(BinaryCrossentropy):
    function = staticmethod(F.sparse_categorical_crossentropy)


ALL = {
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


REGISTRY = Registry("loss", ALL, base=Loss)

#: Keras's lower-case losses, ``compile(loss=losses.categorical_crossentropy)``, as Loss objects with the
#: defaults (called directly they return the batch mean, where Keras's functions return one value per sample)
mean_squared_error = mse = MeanSquaredError()
mean_absolute_error = mae = MeanAbsoluteError()
binary_crossentropy = BinaryCrossentropy()
categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()


def get(identifier: Any) -> Callable:
    """A loss from a Keras name ("categorical_crossentropy", "mse"), a config dict, a Loss or a callable."""
    return REGISTRY.get(identifier)


def serialize(loss: Callable) -> Any:
    """A Loss as {"class_name", "config"}; a registered function by its registered name."""
    if isinstance(loss, Loss):
        return serialize_object(loss)
    if registered_name(loss):
        return registered_name(loss)
    raise ValueError(f"cannot save the custom loss {loss!r}; register it with minidl.saving.register_serializable "
                     "or compile with a built-in loss")


def name_of(loss: Callable) -> str:
    """The Keras name of a loss (used to pick the right "accuracy")."""
    if isinstance(loss, Loss):
        return loss.name
    return getattr(loss, "__name__", type(loss).__name__)


def call_loss(loss: Callable, y_true: Any, y_pred: Tensor, sample_weight: Any) -> Tensor:
    """Call a built-in or user loss; a user's two-argument loss gets weights applied by scaling."""
    if isinstance(loss, Loss):
        return loss(y_true, y_pred, sample_weight)
    if sample_weight is not None:
        raise ValueError(
            "class_weight needs a built-in loss (a name such as 'categorical_crossentropy' or a "
            f"minidl.losses.Loss); {name_of(loss)!r} takes no sample weights"
        )
    return loss(y_true, y_pred)
