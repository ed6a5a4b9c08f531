"""Loss functions: a scalar, the mean of the per-sample losses over the batch.

Arguments follow Keras's order, ``loss(y_true, y_pred)``. The targets are
constants (no gradient flows into them); ``y_pred`` is a Tensor. As in
Keras, per-sample losses are averaged over the last axis (MSE, MAE,
binary cross-entropy) or summed over the classes (categorical
cross-entropy), then averaged over every other axis, so the result is
comparable between batch sizes.

Probabilities are clipped to ``[eps, 1 - eps]`` (``minidl.config.epsilon()``, 1e-7) before taking
logarithms, as Keras does; with ``from_logits=True`` the cross-entropies
are computed from logits by the log-sum-exp form, stable for any magnitude.

``sample_weight`` (one weight per sample, shape (N,), or per step, (N, T):
leading axes of y_pred) multiplies each sample's loss before the mean, which still divides by the number of samples
(Keras's "sum over batch size" reduction): this is how ``class_weight`` acts.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend, config
from minidl.autodiff.function import Function, as_tensor
from minidl.functional.activation import stable_log_softmax, stable_sigmoid
from minidl.autodiff.tensor import Tensor, data_of



def _target(name: str, y_true: Any, y_pred: Tensor) -> Any:
    """``y_true`` as an array of ``y_pred``'s shape and dtype, or a ValueError naming both shapes."""
    xp = backend.get_array_module(y_pred.data)
    target = xp.asarray(data_of(y_true))
    pred_shape = y_pred.shape
    if target.shape != pred_shape:
        squeezed_last = pred_shape[:-1] if pred_shape and pred_shape[-1] == 1 else None
        if target.shape == squeezed_last or (
            target.shape[-1:] == (1,) and target.shape[:-1] == pred_shape
        ):
            target = target.reshape(pred_shape)
        else:
            raise ValueError(
                f"{name}: y_true has shape {target.shape} but y_pred has shape {pred_shape}; "
                "they must match (a trailing axis of size 1 may be left out)"
            )
    return target.astype(y_pred.dtype)


class MeanSquaredError(Function):
    """L = mean((y_pred - y_true)^2);  dL/dy_pred = 2 (y_pred - y_true) / n."""

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, y_pred: Any) -> Any:
        self.difference = y_pred - self.y_true
        return (self.weight * self.difference * self.difference).mean()

    def backward(self, gy: Any) -> Any:
        return gy * self.weight * 2 * self.difference / self.difference.size


class MeanAbsoluteError(Function):
    """L = mean(|y_pred - y_true|);  dL/dy_pred = sign(y_pred - y_true) / n."""

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, y_pred: Any) -> Any:
        xp = backend.get_array_module(y_pred)
        self.sign = xp.sign(y_pred - self.y_true)
        return (self.weight * xp.abs(y_pred - self.y_true)).mean()

    def backward(self, gy: Any) -> Any:
        return gy * self.weight * self.sign / self.sign.size


class BinaryCrossentropy(Function):
    """L = -mean(t ln p + (1 - t) ln(1 - p)), p = clip(y_pred, eps, 1 - eps).

    dL/dp = (p - t) / (p (1 - p)) / n inside the clip range, 0 outside it.
    """

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, y_pred: Any) -> Any:
        xp = backend.get_array_module(y_pred)
        eps = config.epsilon()
        self.p = xp.clip(y_pred, eps, 1 - eps)
        self.inside = (y_pred >= eps) & (y_pred <= 1 - eps)
        t = self.y_true
        return -(self.weight * (t * xp.log(self.p) + (1 - t) * xp.log(1 - self.p))).mean()

    def backward(self, gy: Any) -> Any:
        p, t = self.p, self.y_true
        return gy * self.weight * self.inside * (p - t) / (p * (1 - p)) / p.size


class BinaryCrossentropyFromLogits(Function):
    """L = -mean(t ln s(z) + (1 - t) ln(1 - s(z))), s the sigmoid;  dL/dz = (s(z) - t) / n.

    Evaluated as max(z, 0) - z t + ln(1 + e^-|z|), finite for any z.
    """

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, z: Any) -> Any:
        xp = backend.get_array_module(z)
        self.z = z
        t = self.y_true
        return (self.weight * (xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z))))).mean()

    def backward(self, gy: Any) -> Any:
        return gy * self.weight * (stable_sigmoid(self.z) - self.y_true) / self.z.size


class CategoricalCrossentropy(Function):
    """L = -mean over samples of sum_c t_c ln q_c, where q = clip(p / sum(p), eps, 1 - eps).

    As Keras, the predicted probabilities are renormalised to sum to 1 along
    the class axis, then clipped. With g_c = dL/dq_c = -t_c / q_c / n (zero
    where clipping was active) and S = sum(p):
    dL/dp_c = (g_c - sum_k g_k q_k) / S.
    """

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, y_pred: Any) -> Any:
        xp = backend.get_array_module(y_pred)
        self.total = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / self.total
        eps = config.epsilon()
        self.q = xp.clip(q, eps, 1 - eps)
        self.inside = (q >= eps) & (q <= 1 - eps)
        self.rows = q.size // q.shape[-1]
        return -(self.weight * self.y_true * xp.log(self.q)).sum() / self.rows

    def backward(self, gy: Any) -> Any:
        g = -self.weight * self.y_true / self.q * self.inside / self.rows  # zero where clipped
        return gy * (g - (g * self.q).sum(axis=-1, keepdims=True)) / self.total


class CategoricalCrossentropyFromLogits(Function):
    """L = -mean over samples of sum_c t_c log_softmax(z)_c.

    dL/dz_c = (softmax(z)_c sum_k t_k - t_c) / n; for one-hot targets softmax(z) - t.
    """

    def __init__(self, y_true: Any, weight: Any = 1.0) -> None:
        self.y_true, self.weight = y_true, weight

    def forward(self, z: Any) -> Any:
        self.log_probabilities = stable_log_softmax(z, axis=-1)
        self.rows = z.size // z.shape[-1]
        return -(self.weight * self.y_true * self.log_probabilities).sum() / self.rows

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        probabilities = xp.exp(self.log_probabilities)
        target_mass = self.y_true.sum(axis=-1, keepdims=True)
        return gy * self.weight * (probabilities * target_mass - self.y_true) / self.rows


def _sample_weight(name: str, sample_weight: Any, y_pred: Tensor) -> Any:
    """Per-sample weights of shape (N,) as an array that broadcasts over each sample's losses."""
    if sample_weight is None:
        return 1.0
    xp = backend.get_array_module(y_pred.data)
    weight = xp.asarray(data_of(sample_weight))
    if y_pred.ndim == 0 or not 1 <= weight.ndim <= max(1, y_pred.ndim - 1) or \
            tuple(weight.shape) != tuple(y_pred.shape[:weight.ndim]):
        raise ValueError(
            f"{name}: sample_weight has shape {weight.shape} but must be ({y_pred.shape[0] if y_pred.ndim else 0},), "
            f"one weight per sample of y_pred of shape {y_pred.shape} (or one per step: y_pred's leading axes)"
        )
    trailing = y_pred.ndim - weight.ndim
    return weight.astype(y_pred.dtype).reshape(weight.shape + (1,) * trailing)


def mean_squared_error(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    y_pred = as_tensor(y_pred)
    weight = _sample_weight("mean_squared_error", sample_weight, y_pred)
    return MeanSquaredError(_target("mean_squared_error", y_true, y_pred), weight)(y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    y_pred = as_tensor(y_pred)
    weight = _sample_weight("mean_absolute_error", sample_weight, y_pred)
    return MeanAbsoluteError(_target("mean_absolute_error", y_true, y_pred), weight)(y_pred)


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, sample_weight: Any = None
) -> Tensor:
    """Binary cross-entropy of targets in [0, 1] and probabilities (or logits)."""
    y_pred = as_tensor(y_pred)
    target = _target("binary_crossentropy", y_true, y_pred)
    weight = _sample_weight("binary_crossentropy", sample_weight, y_pred)
    function = BinaryCrossentropyFromLogits if from_logits else BinaryCrossentropy
    return function(target, weight)(y_pred)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, sample_weight: Any = None
) -> Tensor:
    """Cross-entropy of one-hot (or soft) targets and class probabilities (or logits), classes last."""
    y_pred = as_tensor(y_pred)
    if y_pred.ndim == 0:
        raise ValueError("categorical_crossentropy: y_pred needs a class axis, got a scalar")
    target = _target("categorical_crossentropy", y_true, y_pred)
    weight = _sample_weight("categorical_crossentropy", sample_weight, y_pred)
    function = CategoricalCrossentropyFromLogits if from_logits else CategoricalCrossentropy
    return function(target, weight)(y_pred)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, sample_weight: Any = None
) -> Tensor:
    """Cross-entropy of integer class labels, y_true of shape y_pred.shape[:-1] (or with a trailing 1).

    The labels are turned into one-hot rows, then ``categorical_crossentropy``
    applies; its backward is the backward of this loss.
    """
    y_pred = as_tensor(y_pred)
    xp = backend.get_array_module(y_pred.data)
    labels = data_of(y_true)
    labels = backend.get_array_module(labels).asarray(labels)  # checked where they are: no GPU-to-host copy
    classes = y_pred.shape[-1] if y_pred.ndim else 0
    if labels.shape == y_pred.shape[:-1] + (1,) and y_pred.ndim >= 1:
        labels = labels.reshape(y_pred.shape[:-1])
    if y_pred.ndim == 0 or labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: y_true has shape {labels.shape} but y_pred has "
            f"shape {y_pred.shape}; y_true must have y_pred's shape without its class axis"
        )
    if labels.dtype.kind == "f" and (labels != xp.round(labels)).any():
        raise ValueError("sparse_categorical_crossentropy: y_true must hold integer class labels")
    labels = labels.astype("int64")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {classes - 1}] for "
            f"{classes} classes, got values from {int(labels.min())} to {int(labels.max())}"
        )
    one_hot = xp.eye(classes, dtype=y_pred.dtype)[xp.asarray(labels)]
    return categorical_crossentropy(one_hot, y_pred, from_logits, sample_weight)
