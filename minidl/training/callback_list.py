"""The callback list (Keras 3's ``CallbackList``): every loop calls its hooks through one object.

``fit`` builds one with the user's callbacks, a ``History`` (added last
unless the user gave one, so that it records what the others add to the
logs) and a ``ProgbarLogger`` for ``verbose``; ``evaluate`` and
``predict`` build theirs the same way. ``fit`` hands its list to its
validation, which calls the ``on_test_*`` hooks, as Keras does.

The progress bar draws a batch after the other callbacks saw it (so it
knows whether they stopped training), and draws an epoch's last line
before they see its end (so the line shows the figures of the epoch, not
what callbacks such as ``ReduceLROnPlateau`` add to the logs afterwards).
"""

from __future__ import annotations

from typing import Any

from minidl.callbacks import History
from minidl.training.progbar import ProgbarLogger


class CallbackList:
    """Calls each hook on every callback, in order (see the module docstring)."""

    def __init__(self, callbacks: Any = None, model: Any = None, add_history: bool = False,
                 add_progbar: bool = False, **params: Any) -> None:
        given = list(callbacks or [])
        self.progbar = next((c for c in given if isinstance(c, ProgbarLogger)), None)
        self.callbacks = [c for c in given if c is not self.progbar]
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if self.progbar is None and add_progbar:
            self.progbar = ProgbarLogger()
        if "verbose" in params:
            params["verbose"] = _verbosity(params["verbose"])
        self.params = params
        for callback in self._all():  # a Keras-like object need not subclass Callback: absent hooks are skipped
            if hasattr(callback, "set_params"):
                callback.set_params(params)
            if model is not None and hasattr(callback, "set_model"):
                callback.set_model(model)
        if model is not None and self.history is not None:
            model.history = self.history

    def _all(self) -> list:
        return self.callbacks + ([self.progbar] if self.progbar is not None else [])

    def _call(self, hook: str, *arguments: Any, progbar_first: bool = False) -> None:
        ordered = self._all()
        if progbar_first and self.progbar is not None:
            ordered = [self.progbar, *self.callbacks]
        for callback in ordered:
            method = getattr(callback, hook, None)
            if method is not None:
                method(*arguments)

    # training
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, logs, progbar_first=True)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_end", batch, logs)

    # evaluation (also fit's validation)
    def on_test_begin(self, logs: dict | None = None) -> None:
        self._call("on_test_begin", logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_end", batch, logs)

    # prediction
    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_end", batch, logs)


def _verbosity(verbose: Any) -> int:
    """0 (silent), 1 (a progress bar) or 2 (one line per epoch); Keras's "auto" is 1."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)
