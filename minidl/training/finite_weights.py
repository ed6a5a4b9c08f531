"""The state to go back to when training diverges: the weights (and optimizer state) of the last finite step.

Keras's ``fit`` applies every update, a NaN or infinite loss's included (its
gradients are then NaN, and so are the weights after it). minidl's ``fit``
does the same; ``minidl.callbacks.RestoreLastFiniteWeights`` asks instead
for the weights of the last finite step, with this class, and stops there.
An update from a finite loss can also overflow (a huge learning rate, an
exploding gradient); the next loss is then not finite, and the weights that
update left are not the ones to keep either: the ones before it are.
"""

from __future__ import annotations

from typing import Any

from minidl.core import backend


class LastFiniteWeights:
    """The model's state before each of the last two updates, to fall back on when training diverges.

    ``keep()`` before step k copies the weights W_(k-1) (every weight, moving
    statistics included) and the optimizer's state (its per-weight slots and
    iteration count) into one of two buffers, reused from step to step. When
    step k's loss, computed from W_(k-1), is not finite, ``restore()`` puts
    back W_(k-1) if it is finite (step k's update undone), else W_(k-2), the
    state whose loss (step k-1's) was finite.

    Used by hand around ``train_on_batch``::

        guard = LastFiniteWeights(model)
        guard.keep()
        loss = model.train_on_batch(x, y)
        if not math.isfinite(loss):
            guard.restore()
    """

    def __init__(self, model: Any) -> None:
        self.weights = list(model.weights)
        self.optimizer = getattr(model, "optimizer", None)
        self.snapshots: list[dict | None] = [None, None]
        self.kept = 0

    def _slots(self) -> list[tuple[Any, str, Any]]:
        """(weight, slot name, array) for every array of the optimizer's state."""
        state = getattr(self.optimizer, "state", None) or {}
        return [(w, key, array) for w, slots in state.items() for key, array in slots.items() if array is not None]

    def keep(self) -> None:
        """Copy the current state into the older buffer (in place where its layout is unchanged)."""
        slot = self.kept % 2
        snapshot, slots = self.snapshots[slot], self._slots()
        layout = [(id(w), key, array.shape) for w, key, array in slots]
        if snapshot is None:
            snapshot = {"weights": [w.data.copy() for w in self.weights]}
        else:
            for copy, w in zip(snapshot["weights"], self.weights):
                copy[...] = w.data
        if snapshot.get("layout") == layout:
            for copy, (_, _, array) in zip(snapshot["slots"], slots):
                copy[...] = array
        else:
            snapshot["layout"], snapshot["slots"] = layout, [array.copy() for _, _, array in slots]
        snapshot["keys"] = [(w, key) for w, key, _ in slots]
        snapshot["iterations"] = getattr(self.optimizer, "iterations", 0)
        self.snapshots[slot] = snapshot
        self.kept += 1

    def _finite(self, arrays: list) -> bool:
        return all(bool(backend.get_array_module(a).isfinite(a).all()) for a in arrays)

    def restore(self) -> str:
        """Put back the last finite state (see the class docstring); which one, in words."""
        latest = self.snapshots[(self.kept - 1) % 2] if self.kept >= 1 else None
        older = self.snapshots[self.kept % 2] if self.kept >= 2 else None
        if latest is not None and self._finite(latest["weights"]):
            chosen, words = latest, "the weights of the last finite step (this batch's update undone)"
        elif older is not None:
            chosen, words = older, "the weights before the previous batch's update, which made them non-finite"
        else:
            return "the weights as they are (no finite step to go back to)"
        for copy, w in zip(chosen["weights"], self.weights):
            w.data[...] = copy
        if self.optimizer is not None and hasattr(self.optimizer, "state"):
            state: dict = {}
            for (w, key), copy in zip(chosen["keys"], chosen["slots"]):
                state.setdefault(w, {})[key] = copy.copy()
            self.optimizer.state = state
            self.optimizer.iterations = chosen["iterations"]
        return words
