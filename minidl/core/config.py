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


_floatx = "float32"
FLOAT_TYPES = ("float16", "float32", "float64")


def floatx() -> str:
    """The default float type of new layers' weights, as a string (``keras.config.floatx``; "float32")."""
    return _floatx


def set_floatx(value: str) -> None:
    """Make ``value`` ("float16", "float32" or "float64") the dtype of layers built from now on."""
    global _floatx
    if value not in FLOAT_TYPES:
        raise ValueError(f"set_floatx: the float type must be one of {', '.join(FLOAT_TYPES)}, got {value!r}")
    _floatx = str(value)


def image_data_format() -> str:
    """Where images keep their channels: always "channels_last" in minidl (Keras's default)."""
    return "channels_last"


def set_image_data_format(value: str) -> None:
    """Accepts "channels_last" only: minidl's layers are channels-last (set a layer's data_format instead)."""
    if value != "channels_last":
        raise ValueError(f"set_image_data_format: minidl keeps images channels-last, got {value!r}; "
                         "transpose the data to (batch, ..., channels)")
