"""Global settings Keras code reads: the fuzz factor ``epsilon()`` (``keras.config.epsilon``).

``epsilon()`` (1e-7 by default, as Keras) is what the cross-entropy losses
clip probabilities to, [epsilon, 1 - epsilon], and what custom metrics add
to denominators; ``set_epsilon`` changes it for everything that reads it.
"""

from __future__ import annotations

_epsilon = 1e-7


def epsilon() -> float:
    """The fuzz factor: a small number kept away from zero in logs and denominators."""
    return _epsilon


def set_epsilon(value: float) -> None:
    global _epsilon
    value = float(value)
    if not 0 < value < 0.5:
        raise ValueError(f"set_epsilon: epsilon must be in (0, 0.5), got {value}")
    _epsilon = value
