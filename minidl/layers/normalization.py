"""BatchNormalization over the last (channel) axis, LayerNormalization per sample and GroupNormalization per group
of channels, Keras's defaults and weight order."""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl import constraints, initializers, regularizers
from minidl.layers.base import Layer
from minidl.autodiff.tensor import Tensor


class BatchNormalization(Layer):
    """Normalise each channel by batch statistics in training, by moving statistics in inference.

    Weights, in Keras's order: gamma (if ``scale``), beta (if ``center``),
    moving_mean, moving_variance (these two not trainable; updated in
    training as ``moving = moving * momentum + batch * (1 - momentum)``).
    """

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"BatchNormalization: only axis=-1 (channels-last) is supported, got axis={axis}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        if epsilon <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon}")
        self.momentum, self.epsilon, self.center, self.scale = momentum, epsilon, center, scale
        self.initializers = {
            "gamma": initializers.get(gamma_initializer), "beta": initializers.get(beta_initializer),
            "moving_mean": initializers.get(moving_mean_initializer),
            "moving_variance": initializers.get(moving_variance_initializer),
        }

    def build(self, input_shape: tuple) -> None:
        channels = (input_shape[-1],)
        self.gamma = self.add_weight("gamma", channels, self.initializers["gamma"]) if self.scale else None
        self.beta = self.add_weight("beta", channels, self.initializers["beta"]) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", channels, self.initializers["moving_mean"], trainable=False)
        self.moving_variance = self.add_weight("moving_variance", channels, self.initializers["moving_variance"],
                                               trainable=False)

    def call(self, x: Tensor, training: bool, mask: Any = None) -> Tensor:
        """In training, a mask (the input's shape without its channels) limits the batch statistics to the
        entries it keeps, as Keras 3's ``_moments``; the output is normalised everywhere."""
        if mask is not None and len(getattr(mask, "shape", ())) != x.ndim - 1:
            raise ValueError(f"layer {self.label!r}: the mask must have one axis less than the inputs, got a mask of "
                             f"shape {tuple(mask.shape)} for inputs of shape {tuple(x.shape)}")
        if not (training and self.trainable):  # a frozen BatchNormalization runs in inference mode, as Keras
            return F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                                epsilon=self.epsilon)
        if mask is not None:
            y, batch_mean, batch_variance = F.masked_batch_norm_with_statistics(x, mask, self.gamma, self.beta,
                                                                                self.epsilon)
            self.update_moving_statistics(batch_mean, batch_variance)
            return y
        y, batch_mean, batch_variance = F.batch_norm_with_statistics(x, self.gamma, self.beta, self.epsilon)
        self.update_moving_statistics(batch_mean, batch_variance)
        return y

    def update_moving_statistics(self, batch_mean: Any, batch_variance: Any) -> None:
        """moving = moving * momentum + batch * (1 - momentum), in place, with the biased batch variance (Keras)."""
        for moving, batch in ((self.moving_mean, batch_mean), (self.moving_variance, batch_variance)):
            moving.data *= self.momentum
            moving.data += (1 - self.momentum) * batch

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **{f"{name}_initializer": initializers.serialize(init) for name, init in self.initializers.items()}}


class LayerNormalization(Layer):
    """Normalise each sample over ``axis`` (default the last), then scale by gamma and shift by beta.

    The same in training and inference (no batch statistics); the math and
    its gradient are in ``functional/layer_norm.py``. Weights, in Keras's
    order: gamma (if ``scale``), beta (if ``center``), shaped like the
    normalised axes.
    """

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", rms_scaling: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if rms_scaling:
            raise ValueError("LayerNormalization: rms_scaling=True is not supported")
        if epsilon <= 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive, got {epsilon}")
        self.axis = [axis] if isinstance(axis, int) else list(axis)
        self.epsilon, self.center, self.scale = epsilon, center, scale
        self.initializers = {"gamma": initializers.get(gamma_initializer), "beta": initializers.get(beta_initializer)}

    def _axes(self, input_shape: tuple) -> tuple:
        """The normalised axes of a batch (1 is the first axis after the batch axis)."""
        rank = len(input_shape) + 1
        if any(not -rank < axis < rank or axis % rank == 0 for axis in self.axis):
            raise ValueError(f"layer {self.label!r}: axis {self.axis} must name feature axes of an input of "
                             f"shape {(None,) + tuple(input_shape)}")
        return tuple(sorted({axis % rank for axis in self.axis}))

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape[axis - 1] for axis in self._axes(input_shape))
        if None in shape:
            raise ValueError(f"layer {self.label!r}: the normalised axes need known sizes, got {input_shape}")
        self.gamma = self.add_weight("gamma", shape, self.initializers["gamma"]) if self.scale else None
        self.beta = self.add_weight("beta", shape, self.initializers["beta"]) if self.center else None

    def call(self, x: Tensor, training: bool) -> Tensor:
        return F.layer_norm(x, self.gamma, self.beta, axes=self._axes(x.shape[1:]), epsilon=self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis if len(self.axis) > 1 else self.axis[0],
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                **{f"{name}_initializer": initializers.serialize(init) for name, init in self.initializers.items()}}


class GroupNormalization(Layer):
    """Normalise each sample over groups of channels (Wu and He 2018), Keras's ``GroupNormalization``.

    The C channels (last axis) split into ``groups`` groups of C / G in
    order; each sample's group is normalised over all its positions and
    channels together, then each channel scaled and shifted:

        x (N, ..., C) -> (N, ..., G, C / G);  mu, var over every axis but N and G
        y = gamma[c] (x - mu) / sqrt(var + eps) + beta[c]

    ``groups=-1`` is one group per channel (instance normalisation), 1 is
    layer normalisation over all axes. The normalisation is
    ``functional.layer_norm`` over those axes (its backward in
    ``functional/layer_norm.py``), the per-channel scale and shift after
    it. Weights, in Keras's order: gamma (C,) if ``scale``, beta (C,) if
    ``center``.
    """

    supports_masking = True  # passes a mask on unchanged, as Keras's

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: groups must be a positive int (or -1, one per channel), "
                             f"got {groups!r}")
        if axis != -1:
            raise ValueError(f"GroupNormalization: only axis=-1 (channels-last) is supported, got axis={axis}")
        if epsilon <= 0:
            raise ValueError(f"GroupNormalization: epsilon must be positive, got {epsilon}")
        self.groups, self.axis, self.epsilon, self.center, self.scale = groups, axis, epsilon, center, scale
        self.initializers = {"gamma": initializers.get(gamma_initializer), "beta": initializers.get(beta_initializer)}
        self.regularizers = {"gamma": regularizers.get(gamma_regularizer), "beta": regularizers.get(beta_regularizer)}
        self.constraints = {"gamma": constraints.get(gamma_constraint), "beta": constraints.get(beta_constraint)}

    def build(self, input_shape: tuple) -> None:
        channels = input_shape[-1] if input_shape else None
        if channels is None:
            raise ValueError(f"layer {self.label!r}: the channel axis needs a known size, got {input_shape}")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(f"layer {self.label!r}: {channels} channels cannot be split into {groups} groups "
                             "(groups must divide the channels)")
        self.groups = groups
        for name, wanted in (("gamma", self.scale), ("beta", self.center)):
            weight = self.add_weight(name=name, shape=(channels,), initializer=self.initializers[name],
                                     regularizer=self.regularizers[name], constraint=self.constraints[name]) \
                if wanted else None
            setattr(self, name, weight)

    def call(self, x: Tensor, training: bool) -> Tensor:
        channels = x.shape[-1]
        grouped = F.reshape(x, x.shape[:-1] + (self.groups, channels // self.groups))
        axes = tuple(range(1, grouped.ndim - 2)) + (grouped.ndim - 1,)
        y = F.reshape(F.layer_norm(grouped, axes=axes, epsilon=self.epsilon), x.shape)
        if self.gamma is not None:
            y = y * self.gamma
        return y if self.beta is None else y + self.beta

    def get_config(self) -> dict:
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **{f"{name}_initializer": initializers.serialize(init) for name, init in self.initializers.items()},
                **{f"{name}_regularizer": regularizers.serialize(r) for name, r in self.regularizers.items()},
                **{f"{name}_constraint": constraints.serialize(c) for name, c in self.constraints.items()}}
