"""Weight penalties added to the training loss, as in Keras.

L1: l1 * sum(|w|)      L2: l2 * sum(w^2)      L1L2: both

(Keras's L2 has no factor 1/2.) A layer's penalties appear in ``layer.losses``
and ``fit`` adds their sum to the loss it minimises and reports.
"""

from __future__ import annotations

from typing import Any

from minidl import functional as F
from minidl.core.registry import Registry, serialize as serialize_object
from minidl.autodiff.tensor import Tensor


class Regularizer:
    def __call__(self, weight: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


class L1L2(Regularizer):
    """penalty = l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        for name, value in (("l1", l1), ("l2", l2)):
            if value < 0:
                raise ValueError(f"regularizer factor {name} must be >= 0, got {value}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight: Tensor) -> Tensor:
        penalty = Tensor(0.0, dtype=weight.dtype)
        if self.l1:
            penalty = penalty + self.l1 * F.sum(F.abs(weight))
        if self.l2:
            penalty = penalty + self.l2 * F.sum(weight * weight)
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:  # noqa: E741 - Keras's name
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:  # noqa: E741
    return L1L2(l1, l2)


ALL = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


REGISTRY = Registry("regularizer", ALL, base=Regularizer, none=None)


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from None, a name ("l2"), a config dict, an instance or a callable."""
    return REGISTRY.get(identifier)


def serialize(regularizer: Regularizer | None) -> dict | None:
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise ValueError(f"cannot save the custom regularizer {regularizer!r}; use L1, L2 or L1L2")
    return serialize_object(regularizer)
