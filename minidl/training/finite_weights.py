"""The weights to keep when training diverges: a NaN or infinite loss never leaves non-finite weights behind.

``fit`` does not apply the update of a step whose loss is not finite. An
update from a finite loss can still overflow (a huge learning rate, an
exploding gradient); the next loss is then not finite, and the weights
that step left are put back to the ones before it.
"""

from __future__ import annotations

from minidl.core import backend


class LastFiniteWeights:
    """The weights before each of the last two updates, to fall back on when an update made them non-finite.

    ``keep()`` before step k copies the weights W_(k-1) into one of two
    buffers (one copy of the weights per step, no allocation). When step
    k's loss, computed from W_(k-1), is not finite, its update is not
    applied; if W_(k-1) itself holds a NaN or infinity (step k-1's update,
    from a finite loss, overflowed), ``restore_if_not_finite`` puts back
    W_(k-2), the weights whose loss (step k-1's) was finite.
    """

    def __init__(self, weights: list) -> None:
        self.weights = weights
        self.buffers: list[list | None] = [None, None]
        self.kept = 0

    def keep(self) -> None:
        slot = self.kept % 2
        if self.buffers[slot] is None:
            self.buffers[slot] = [w.data.copy() for w in self.weights]
        else:
            for copy, w in zip(self.buffers[slot], self.weights):
                copy[...] = w.data
        self.kept += 1

    def restore_if_not_finite(self) -> bool:
        """Put back W_(k-2) if the current weights are not all finite; whether it did."""
        if all(bool(backend.get_array_module(w.data).isfinite(w.data).all()) for w in self.weights):
            return False
        previous = self.buffers[(self.kept - 2) % 2] if self.kept >= 2 else None
        if previous is None:
            return False
        for copy, w in zip(previous, self.weights):
            w.data[...] = copy
        return True
