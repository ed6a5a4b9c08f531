"""Optimizers with Keras 3's update rules and defaults.

Every update (``apply_gradients``) does, in this order, as Keras does:

1. clip the gradients: ``clipnorm`` (each gradient's L2 norm), else
   ``global_clipnorm`` (all gradients' joint norm), else ``clipvalue``;
2. decoupled weight decay: ``w <- w - w * weight_decay * lr``;
3. the optimizer's own rule (each class's docstring);
4. ``iterations += 1``.

``lr`` is the learning rate at this update: a number, or a schedule
evaluated at ``iterations`` (0 for the first update). State (momenta,
moments, accumulators) is kept per weight, created at its first update.
SGD with momentum, RMSprop and Adam do their arithmetic in one fused kernel:
the array code of each (``momentum_update``, ``rmsprop_update``,
``adam_update``, in place, below) is registered with
``minidl.kernels.accelerated``, which runs a compiled loop of the same name
where one applies, checked against it.

Two ways to use one::

    optimizer.apply_gradients(zip(grads, weights))   # Keras
    loss.backward(); optimizer.step(weights)          # PyTorch-like, uses w.grad
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minidl.core import backend
from minidl.kernels import accelerated
from minidl.core.registry import Registry
from minidl.core.registry import serialize as serialize_object
from minidl import schedules  # noqa: F401 - minidl.optimizers.schedules, as keras.optimizers.schedules
from minidl.schedules import LearningRateSchedule, deserialize, serialize
from minidl.autodiff.tensor import Tensor, data_of


# ---------------------------------------------------------------------------- the fused updates, in place
@accelerated
def momentum_update(w: Any, g: Any, velocity: Any, lr: float, momentum: float, nesterov: bool) -> None:
    """SGD with momentum: v = momentum v - lr g; w += v (Nesterov: w += momentum v - lr g)."""
    velocity *= momentum
    velocity -= lr * g
    if nesterov:
        w += momentum * velocity - lr * g
    else:
        w += velocity


@accelerated
def rmsprop_update(w: Any, g: Any, a: Any, mg: Any, s: Any, lr: float, rho: float, momentum: float,
                   epsilon: float) -> None:
    """RMSprop: a = rho a + (1 - rho) g^2; step = lr g / sqrt(a [- mg^2] + eps); w -= step (or momentum s)."""
    xp = backend.get_array_module(w)
    a *= rho
    a += (1 - rho) * g * g
    if mg is not None:  # centered: mg = rho mg + (1 - rho) g
        mg *= rho
        mg += (1 - rho) * g
        denominator = a - mg * mg + epsilon
    else:
        denominator = a + epsilon
    increment = lr * g / xp.sqrt(denominator)
    if s is not None:
        s *= momentum
        s += increment
        w -= s
    else:
        w -= increment


@accelerated
def adam_update(w: Any, g: Any, m: Any, v: Any, v_max: Any, alpha: float, beta_1: float, beta_2: float,
                epsilon: float) -> None:
    """Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v or v_max) + eps)."""
    xp = backend.get_array_module(w)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    if v_max is not None:  # amsgrad
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    w -= (m * alpha) / (xp.sqrt(v) + epsilon)


class Optimizer:
    """Base class: clipping, weight decay, learning-rate schedules and per-weight state."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if sum(option is not None for option in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{type(self).__name__}: give at most one of clipnorm, clipvalue, global_clipnorm")
        for name, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm),
                            ("weight_decay", weight_decay)):
            if value is not None and value < 0:
                raise ValueError(f"{type(self).__name__}: {name} must be >= 0, got {value}")
        self._learning_rate = learning_rate
        self.weight_decay, self.clipnorm, self.clipvalue, self.global_clipnorm = (
            weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.iterations = 0
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._weights: list[Tensor] = []

    # ----------------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The learning rate of the next update."""
        if isinstance(self._learning_rate, LearningRateSchedule) or callable(self._learning_rate):
            return float(self._learning_rate(self.iterations))
        return float(self._learning_rate)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._learning_rate = value

    # ----------------------------------------------------------------- applying updates
    def build(self, weights: Iterable[Tensor]) -> None:
        """Remember the weights that ``step()`` without arguments updates."""
        self._weights = list(weights)

    def apply_gradients(self, grads_and_weights: Iterable[tuple[Any, Tensor]]) -> None:
        """Update each weight with its gradient (array or Tensor); pairs whose gradient is None are skipped."""
        pairs = [(data_of(g), w) for g, w in grads_and_weights if g is not None]
        if not pairs:
            return
        for g, w in pairs:
            if g.shape != w.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for a weight of shape {w.shape}")
        grads = self._clip([g for g, _ in pairs])
        lr = self.learning_rate
        for g, (_, w) in zip(grads, pairs):
            if self.weight_decay:
                w.data -= w.data * (self.weight_decay * lr)
            state = self.state.setdefault(w, {})
            self.update(w.data, g.astype(w.dtype, copy=False), lr, state)
            constraint = getattr(w, "constraint", None)
            if constraint is not None:  # a layer's kernel_constraint / bias_constraint, after the update (Keras)
                w.data[...] = constraint(w.data)
        self.iterations += 1

    def step(self, weights: Iterable[Tensor] | None = None) -> None:
        """Update ``weights`` (default: those given to ``build``) with their ``.grad``."""
        weights = self._weights if weights is None else list(weights)
        self.apply_gradients((w.grad, w) for w in weights)

    def zero_grad(self, weights: Iterable[Tensor] | None = None) -> None:
        for w in self._weights if weights is None else weights:
            w.grad = None

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        """Change the array ``w`` in place given its gradient ``g``; ``state`` is this weight's own."""
        raise NotImplementedError

    def to(self, device: str) -> "Optimizer":
        """Move every state array (moments, accumulators) to ``device``, in place."""
        for state in self.state.values():
            for key, array in state.items():
                state[key] = backend.to_device(array, device)
        return self

    # ----------------------------------------------------------------- saving and restoring the state
    def get_state(self, weights: list) -> dict:
        """{"iterations": n, "slots": one {name: array} per weight of ``weights``}: what resuming needs."""
        return {"iterations": self.iterations,
                "slots": [{key: backend.to_numpy(array) for key, array in self.state.get(w, {}).items()}
                          for w in weights]}

    def set_state(self, weights: list, state: dict) -> None:
        """Restore ``get_state``'s result for the same weights, in the same order (shapes checked first)."""
        slots = state["slots"]
        if len(slots) != len(weights):
            raise ValueError(f"{type(self).__name__}: the saved state is for {len(slots)} weights, the model "
                             f"trains {len(weights)}")
        for w, slot in zip(weights, slots):
            for key, array in slot.items():
                if tuple(array.shape) != tuple(w.shape):
                    raise ValueError(f"{type(self).__name__}: saved {key!r} of shape {tuple(array.shape)} for a "
                                     f"weight of shape {tuple(w.shape)}")
        self.state = {}
        xp_of = backend.get_array_module
        for w, slot in zip(weights, slots):
            if slot:
                self.state[w] = {key: xp_of(w.data).asarray(array, dtype=w.dtype) for key, array in slot.items()}
        self.iterations = int(state["iterations"])

    def _clip(self, grads: list) -> list:
        if self.clipnorm:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            xp = backend.get_array_module(*grads)
            norm = xp.sqrt(sum((g.astype(xp.float64) ** 2).sum() for g in grads))
            scale = self.global_clipnorm / xp.maximum(norm, self.global_clipnorm)
            return [g * scale.astype(g.dtype) for g in grads]
        if self.clipvalue:
            xp = backend.get_array_module(*grads)
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ----------------------------------------------------------------- configuration
    def get_config(self) -> dict:
        rate = self._learning_rate
        return {
            "learning_rate": serialize(rate) if isinstance(rate, LearningRateSchedule) else float(rate),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
            **self._own_config(),
        }

    def _own_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize(config["learning_rate"])
        return cls(**config)


def _clip_by_norm(g: Any, clipnorm: float) -> Any:
    """g * clipnorm / max(||g||, clipnorm): unchanged when the norm is within clipnorm."""
    xp = backend.get_array_module(g)
    norm = xp.sqrt((g.astype(xp.float64) ** 2).sum())  # stays on g's device: no host round trip
    return g * (clipnorm / xp.maximum(norm, clipnorm)).astype(g.dtype)


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    without momentum:  w <- w - lr g
    with momentum m:   v <- m v - lr g;   w <- w + v            (v starts at 0)
    Nesterov:          v <- m v - lr g;   w <- w + m v - lr g
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = momentum, nesterov

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        if not self.momentum:
            w -= lr * g
            return
        if "velocity" not in state:
            state["velocity"] = backend.get_array_module(w).zeros_like(w)
        momentum_update(w, g, state["velocity"], lr, self.momentum, self.nesterov)

    def _own_config(self) -> dict:
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    a <- rho a + (1 - rho) g^2
    centered: mg <- rho mg + (1 - rho) g;   denominator = a - mg^2 + eps;   else a + eps
    step = lr g / sqrt(denominator)
    momentum:  s <- momentum s + step;  w <- w - s;   else  w <- w - step
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        xp = backend.get_array_module(w)
        if not state:
            state["velocity"] = xp.zeros_like(w)
            if self.centered:
                state["average_gradient"] = xp.zeros_like(w)
            if self.momentum > 0:
                state["momentum"] = xp.zeros_like(w)
        rmsprop_update(w, g, state["velocity"], state.get("average_gradient"), state.get("momentum"), lr,
                       self.rho, self.momentum, self.epsilon)

    def _own_config(self) -> dict:
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adaptive moment estimation (Kingma and Ba), in Keras's form, t = iterations + 1:

    m <- m + (g - m)(1 - beta_1);   v <- v + (g^2 - v)(1 - beta_2)
    alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
    amsgrad: v_max <- max(v_max, v), used in place of v
    w <- w - alpha m / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        xp = backend.get_array_module(w)
        if not state:
            state["m"], state["v"] = xp.zeros_like(w), xp.zeros_like(w)
            if self.amsgrad:
                state["v_max"] = xp.zeros_like(w)
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        adam_update(w, g, state["m"], state["v"], state.get("v_max"), alpha, self.beta_1, self.beta_2,
                    self.epsilon)

    def _own_config(self) -> dict:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adagrad(Optimizer):
    """Per-element learning rates shrinking with the sum of squared gradients.

    a <- a + g^2   (a starts at initial_accumulator_value);   w <- w - lr g / sqrt(a + epsilon)
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, got {initial_accumulator_value}")
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        xp = backend.get_array_module(w)
        if not state:
            state["accumulator"] = xp.full_like(w, self.initial_accumulator_value)
        a = state["accumulator"]
        a += g * g
        w -= lr * g / xp.sqrt(a + self.epsilon)

    def _own_config(self) -> dict:
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Zeiler's Adadelta with a learning rate, as Keras has it (rms(x) = sqrt(x + epsilon)):

    a <- rho a + (1 - rho) g^2
    delta = -rms(d) / rms(a) * g
    d <- rho d + (1 - rho) delta^2
    w <- w + lr delta
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def update(self, w: Any, g: Any, lr: float, state: dict) -> None:
        xp = backend.get_array_module(w)
        if not state:
            state["accumulated_grad"], state["accumulated_delta"] = xp.zeros_like(w), xp.zeros_like(w)
        a, d = state["accumulated_grad"], state["accumulated_delta"]
        a *= self.rho
        a += (1 - self.rho) * g * g
        delta = -xp.sqrt(d + self.epsilon) / xp.sqrt(a + self.epsilon) * g
        d *= self.rho
        d += (1 - self.rho) * delta * delta
        w += lr * delta

    def _own_config(self) -> dict:
        return {"rho": self.rho, "epsilon": self.epsilon}


ALL = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad, "adadelta": Adadelta}


REGISTRY = Registry("optimizer", ALL, base=Optimizer)


def get(identifier: Any) -> Optimizer:
    """An optimizer from a Keras name ("adam"), a config dict or an instance."""
    return REGISTRY.get(identifier)


def serialize_optimizer(optimizer: Optimizer) -> dict:
    return serialize_object(optimizer)
