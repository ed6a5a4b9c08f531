"""Learning-rate schedules: ``schedule(step) -> learning rate``, step = updates done so far.

Pass one as an optimizer's ``learning_rate``; the optimizer evaluates it at
every update with its iteration count (0 for the first update), as Keras does.
``minidl.optimizers.schedules`` is this module, so that
``keras.optimizers.schedules.ExponentialDecay`` runs with the import changed.
Each takes Keras's arguments, ``name`` included.
"""

from __future__ import annotations

import math
from typing import Any

from minidl.core.registry import Registry, serialize as serialize_object


class LearningRateSchedule:
    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))


class _StepDecay(LearningRateSchedule):
    """The shared arguments of the exponential and inverse-time decays."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str | None = None) -> None:
        if decay_steps <= 0:
            raise ValueError(f"{type(self).__name__}: decay_steps must be positive, got {decay_steps}")
        self.name = name or type(self).__name__
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase = decay_rate, staircase

    def progress(self, step: int) -> float:
        """step / decay_steps, floored if ``staircase``."""
        ratio = step / self.decay_steps
        return math.floor(ratio) if self.staircase else ratio


class ExponentialDecay(_StepDecay):
    """lr = initial * decay_rate ^ (step / decay_steps)  (the exponent floored if ``staircase``)."""

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.decay_rate ** self.progress(step)


class InverseTimeDecay(_StepDecay):
    """lr = initial / (1 + decay_rate * step / decay_steps)  (the ratio floored if ``staircase``).

    With ``decay_steps=1`` this is the classic ``lr / (1 + decay * k)`` of
    Keras 2's ``decay`` argument.
    """

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate / (1 + self.decay_rate * self.progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """lr = values[i] for boundaries[i-1] < step <= boundaries[i] (values[0] up to the first boundary)."""

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        self.name = name
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay: values needs one more entry than boundaries, got "
                f"{len(values)} values for {len(boundaries)} boundaries"
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]


class PolynomialDecay(LearningRateSchedule):
    """lr = (initial - end) * (1 - min(step, decay_steps) / decay_steps)^power + end.

    ``power=1`` (the default) is a linear decay from ``initial_learning_rate``
    to ``end_learning_rate`` over ``decay_steps`` updates, constant after.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 1e-4,
                 power: float = 1.0, name: str = "PolynomialDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"PolynomialDecay: decay_steps must be positive, got {decay_steps}")
        self.name = name
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power

    def __call__(self, step: int) -> float:
        fraction = 1 - min(step, self.decay_steps) / self.decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * fraction**self.power + self.end_learning_rate


class CosineDecay(LearningRateSchedule):
    """Keras's cosine decay, after an optional linear warmup (Loshchilov and Hutter 2017, without restarts).

    Without ``warmup_target``: with s = min(step, decay_steps),
    lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi s / decay_steps)) + alpha).
    With it: lr rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays as above from
    ``warmup_target`` over the next ``decay_steps`` (step capped at their sum).
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str = "CosineDecay",
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        if decay_steps <= 0:
            raise ValueError(f"CosineDecay: decay_steps must be positive, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decayed(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._decayed(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate
        return self._decayed(step - self.warmup_steps, self.warmup_target)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov and Hutter 2017), Keras's rule.

    Period i lasts first_decay_steps * t_mul^i updates and starts at
    initial * m_mul^i; within it, at fraction f of the period,
    lr = initial * ((1 - alpha) * 0.5 * m_mul^i * (1 + cos(pi f)) + alpha).
    With c = step / first_decay_steps: i = floor(c) when t_mul = 1, else
    i = floor(log(1 - c (1 - t_mul)) / log(t_mul)) and
    f = (c - (1 - t_mul^i) / (1 - t_mul)) / t_mul^i.
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0, m_mul: float = 1.0,
                 alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        if first_decay_steps <= 0:
            raise ValueError(f"CosineDecayRestarts: first_decay_steps must be positive, got {first_decay_steps}")
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step: int) -> float:
        completed = step / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(completed)
            completed -= restart
        else:
            restart = math.floor(math.log(1.0 - completed * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul**restart) / (1.0 - self.t_mul)
            completed = (completed - done) / self.t_mul**restart
        cosine = 0.5 * self.m_mul**restart * (1.0 + math.cos(math.pi * completed))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


ALL = {cls.__name__: cls for cls in (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                     PiecewiseConstantDecay, PolynomialDecay)}


REGISTRY = Registry("learning-rate schedule", ALL, base=LearningRateSchedule)


def serialize(schedule: LearningRateSchedule) -> dict:
    return serialize_object(schedule)


def deserialize(config: dict) -> Any:
    return REGISTRY.deserialize(config)
