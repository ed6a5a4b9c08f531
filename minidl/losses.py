"""Loss objects and names for ``compile(loss=...)``, as in Keras.

A loss is called as ``loss(y_true, y_pred, sample_weight=None)`` and returns
a scalar Tensor. The built-in ones return the mean over the batch (see
``minidl.functional.loss`` for the equations and their backward).

A user's loss is written as in Keras, either a function or a ``Loss``
subclass with a ``call`` method::

    def huber(y_true, y_pred):                     # one value per sample
        return ops.mean(ops.where(abs(e) < 1, 0.5 * e**2, abs(e) - 0.5), axis=-1)

    class Huber(Loss):
        def __init__(self, name="huber", reduction="sum_over_batch_size"):
            super().__init__(name=name, reduction=reduction)
        def call(self, y_true, y_pred): ...        # one value per sample (or per element)

Values ``l`` (one per sample, or per element) are reduced as Keras 3 does,
with per-sample weights ``w`` (1 if none):

    "sum_over_batch_size" (the default, also "mean"):  sum(w * l) / size(l)
    "sum":                                             sum(w * l)
    "mean_with_sample_weight":                         sum(w * l) / sum(w)
    "none" (or None):                                  w * l, unreduced

A value that is already one number is kept as it is (times the mean weight
when weights are given, as Keras's broadcast gives).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minidl.core import backend
from minidl import functional as F
from minidl.functional.coupling_flow import check_flow_sizes
from minidl.functional.mixture import check_mixture_sizes
from minidl.core.registry import Registry, registered_name, serialize as serialize_object, snake_case
from minidl.autodiff.tensor import Tensor, data_of

REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None)


class Loss:
    """A named loss with its options, callable as ``loss(y_true, y_pred, sample_weight)``.

    Built-in subclasses set ``function`` (one of ``minidl.functional``'s
    losses, already reduced to the batch mean); a user's subclass defines
    ``call(y_true, y_pred)`` returning one value per sample (see the module docstring).
    """

    function: Callable | None = None

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size", dtype: Any = None,
                 **options: Any) -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
        if self.function is not None and reduction not in ("sum_over_batch_size", "mean"):
            raise ValueError(f"{type(self).__name__}: a built-in loss reduces by 'sum_over_batch_size' only; "
                             f"got reduction={reduction!r}")
        self._name, self.reduction, self.dtype, self.options = name, reduction, dtype, options

    @property
    def name(self) -> str:
        if self._name:
            return self._name
        return self.function.__name__ if self.function is not None else snake_case(type(self).__name__)

    def call(self, y_true: Any, y_pred: Tensor) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred), returning one loss "
                                  "value per sample")

    def __call__(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> Tensor:
        sample_weight = masked_sample_weight(y_pred, sample_weight, self.reduction)
        if self.function is not None:
            return self.function(y_true, y_pred, sample_weight=sample_weight, **self.options)
        return reduce_weighted_values(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self) -> dict:
        config = dict(self.options)
        if self.function is None:
            config.update(name=self.name, reduction=self.reduction)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)


def masked_sample_weight(y_pred: Any, sample_weight: Any = None, reduction: Any = "sum_over_batch_size") -> Any:
    """The weights of a loss's values once the mask ``y_pred`` carries (``_keras_mask``, (batch, time)) joins
    ``sample_weight``: Keras 3's ``apply_mask``. For a mean, a kept entry weighs total / valid (the mask's size
    over its count of kept entries) and a masked one 0, so the mean of the loss is taken over the kept entries::

        loss = sum(l * mask * w) / valid

    for "sum" and "mean_with_sample_weight" the mask weighs 1 and 0. Without a mask (or with one that is not a
    leading part of ``y_pred``'s shape), ``sample_weight`` as given.
    """
    mask = getattr(y_pred, "_keras_mask", None)
    if mask is None:
        return sample_weight
    xp = backend.get_array_module(y_pred.data)
    keep = xp.asarray(data_of(mask)).astype(bool)
    if keep.ndim == 0 or keep.ndim >= y_pred.ndim or tuple(keep.shape) != tuple(y_pred.shape[:keep.ndim]):
        return sample_weight
    weight = keep.astype(y_pred.dtype)
    if reduction in ("sum_over_batch_size", "mean"):
        valid = float(weight.sum())
        weight = weight * (weight.size / valid) if valid else weight * 0
    if sample_weight is not None:
        given = xp.asarray(data_of(sample_weight), dtype=y_pred.dtype)
        if given.ndim > weight.ndim or tuple(given.shape) != tuple(weight.shape[:given.ndim]):
            raise ValueError(f"loss: sample_weight has shape {tuple(given.shape)}, which does not fit the mask of "
                             f"shape {tuple(weight.shape)} that y_pred carries (one weight per sample or per step)")
        weight = weight * given.reshape(given.shape + (1,) * (weight.ndim - given.ndim))
    return weight


def reduce_weighted_values(values: Any, sample_weight: Any = None, reduction: Any = "sum_over_batch_size") -> Any:
    """A loss's values reduced with per-sample weights, as the module docstring writes it (Keras 3's rule)."""
    values = values if isinstance(values, Tensor) else Tensor(data_of(values))
    weight = None
    if sample_weight is not None:
        xp = backend.get_array_module(values.data)
        weight = xp.asarray(data_of(sample_weight), dtype=values.dtype)
        if values.ndim == 0:
            weight = weight.mean()
        else:  # one weight per sample, over each sample's values
            weight = weight.reshape(weight.shape + (1,) * max(values.ndim - weight.ndim, 0))
        values = values * weight
    if reduction in ("none", None) or values.ndim == 0:
        return values
    total = F.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = float(backend.to_numpy(backend.get_array_module(values.data).asarray(data_of(sample_weight))).sum())
    else:
        divisor = float(values.size)
    return total / divisor if divisor else total * 0.0


class MeanSquaredError(Loss):
    function = staticmethod(F.mean_squared_error)


class MeanAbsoluteError(Loss):
    function = staticmethod(F.mean_absolute_error)


class BinaryCrossentropy(Loss):
    function = staticmethod(F.binary_crossentropy)

    def __init__(self, from_logits: bool = False, name: str | None = None,
                 reduction: Any = "sum_over_batch_size") -> None:
        super().__init__(name=name, reduction=reduction, from_logits=from_logits)


class CategoricalCrossentropy(BinaryCrossentropy):
    function = staticmethod(F.categorical_crossentropy)


class SparseCategoricalCrossentropy(BinaryCrossentropy):
    function = staticmethod(F.sparse_categorical_crossentropy)


class MixtureDensity(Loss):
    """The negative log-likelihood of targets (n, D) under a mixture of ``components`` diagonal Gaussians.

    The model's last layer is ``Dense(mixture_output_size(components, dimensions))`` with no activation;
    the layout of its outputs, the equations and the gradient are in ``minidl.functional.mixture``.
    """

    function = staticmethod(F.mixture_density_nll)

    def __init__(self, components: int = 1, dimensions: int | None = None, name: str | None = None,
                 reduction: Any = "sum_over_batch_size") -> None:
        check_mixture_sizes(components, 1 if dimensions is None else dimensions)
        super().__init__(name=name or "mixture_density", reduction=reduction, components=components,
                         dimensions=dimensions)


class CouplingFlow(Loss):
    """The negative log-likelihood of targets (n, D) under a conditional affine-coupling flow of ``steps`` steps.

    The model's last layer is ``Dense(flow_output_size(dimensions, steps, hidden))`` with no activation: the
    per-sample weights of each step's conditioner (``minidl.functional.coupling_flow``).
    """

    function = staticmethod(F.coupling_flow_nll)

    def __init__(self, steps: int = 4, hidden: int = 8, dimensions: int | None = None, name: str | None = None,
                 reduction: Any = "sum_over_batch_size") -> None:
        check_flow_sizes(1 if dimensions is None else dimensions, steps, hidden)
        super().__init__(name=name or "coupling_flow", reduction=reduction, steps=steps, hidden=hidden,
                         dimensions=dimensions)


ALL = {
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mixture_density": MixtureDensity,
    "coupling_flow": CouplingFlow,
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
    """Call a built-in or user loss; a user's function's values are reduced with the weights as Keras does."""
    if isinstance(loss, Loss):
        return loss(y_true, y_pred, sample_weight)
    return reduce_weighted_values(loss(y_true, y_pred), masked_sample_weight(y_pred, sample_weight))
