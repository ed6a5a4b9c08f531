"""The best model so far and the state to resume from, written as training goes, so that a stop loses nothing.

``genomics train`` passes a ``TrainingCheckpoint`` to ``fit`` beside early
stopping. After every epoch it writes to the output folder:

* ``model.npz``, when the monitored value improved: the bundle of the best
  weights so far, in the format ``predict`` and ``evaluate`` read, with
  ``calibration`` None (its outputs are the raw softmax, named as such) and a
  ``checkpoint`` entry saying so: ``{"epoch": best epoch (1-based),
  "epochs_run", "most_epochs", "monitor", "value", "calibrated": False}``.
  The finished training replaces it with the calibrated, evaluated bundle,
  which has no ``checkpoint`` entry. (Of an ensemble, the first member is
  checkpointed: a bundle of one network.)
* ``training-state.npz`` (``STATE_FILE``): the weights of the last epoch
  with the optimizer's state (moments, iteration count, learning rate),
  early stopping's and the learning-rate schedule's counters and best
  weights, minidl's random generator, the history, the settings, and the
  weights of the ensemble members already trained. ``--resume`` continues
  from it: the epochs after it are those an uninterrupted run would have
  trained (the same shuffles, dropout masks and fresh replicates), and the
  history is the uninterrupted run's. The finished training removes it.

Both are minidl model files written atomically (a temporary file in the
same folder, then ``os.replace``): a stop during a write leaves the
previous file whole.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import minidl
from genomics.errors import SettingError, braces_doubled
from minidl.callbacks import Callback, EarlyStopping, ReduceLROnPlateau
from minidl.saving import ModelFileError, read_extra_weights, read_metadata, read_model, read_optimizer_state

BUNDLE_FILE = "model.npz"
STATE_FILE = "training-state.npz"
STATE_KIND = "genomics-training-state"
STOPPER_FIELDS = ("wait", "best", "best_epoch", "stopped_epoch")
SCHEDULE_FIELDS = ("wait", "best", "cooldown_counter")


class ResumePoint:
    """What ``STATE_FILE`` holds, read back: where training stopped and everything needed to go on exactly."""

    def __init__(self, out_dir: str) -> None:
        self.path = os.path.join(out_dir, STATE_FILE)
        try:
            self.metadata = read_metadata(self.path)
            _, self.weights = read_model(self.path)
            self.extra = read_extra_weights(self.path)
            self.optimizer_state = read_optimizer_state(self.path)
        except (ModelFileError, OSError) as error:
            raise SettingError(f"{{resume}}: cannot read the training state "
                               f"{braces_doubled(repr(self.path))}: {braces_doubled(error)}") from None
        if self.metadata.get("kind") != STATE_KIND:
            raise SettingError(f"{{resume}}: {braces_doubled(repr(self.path))} is not a genomics training state")
        self.member, self.epochs_done = self.metadata["member"], self.metadata["epochs_done"]

    def finished_member(self, k: int) -> tuple[list, dict, int | None]:
        """(weights, history, best epoch (1-based)) of ensemble member ``k``, trained before the stop."""
        entry = self.metadata["finished"][k]
        return self.extra[f"member_{k}"], entry["history"], entry["best_epoch"]

    def check_settings(self, settings: dict) -> None:
        """Refuse, in one sentence, to resume with other settings than the stopped training's (epochs aside)."""
        saved, settings = self.metadata["settings"], json.loads(json.dumps(settings))  # as the file has them
        differing = [key for key in sorted(set(saved) | set(settings))
                     if key != "epochs" and saved.get(key) != settings.get(key)]
        if differing:
            raise SettingError("{resume}: the stopped training had " + braces_doubled(", ".join(
                f"{key} = {saved.get(key)!r}" for key in differing)) + "; this command gives " + braces_doubled(
                ", ".join(f"{key} = {settings.get(key)!r}" for key in differing)) + ": give the same options, or "
                "train anew without {resume}")


def resume_point(out_dir: str) -> ResumePoint:
    """The training state of ``out_dir``, or one sentence saying why there is none to resume."""
    if not os.path.exists(os.path.join(out_dir, STATE_FILE)):
        bundle = os.path.join(out_dir, BUNDLE_FILE)
        finished = os.path.exists(bundle) and "checkpoint" not in _metadata_or_empty(bundle)
        raise SettingError(f"{{resume}}: {braces_doubled(repr(out_dir))} holds " + (
            "a finished training (model.npz): nothing to resume" if finished else
            f"no training state to resume ({STATE_FILE}, written after each epoch): train without {{resume}}"))
    return ResumePoint(out_dir)


class TrainingCheckpoint(Callback):
    """After each epoch: the best bundle so far (``bundle_metadata`` gives its metadata) and the resume state.

    Place it after ``stopper`` (and ``schedule``) in ``fit``'s callbacks, so
    that it sees their verdict on the epoch. ``settings``: what a resumed
    run must repeat (compared by ``ResumePoint.check_settings``). ``member``:
    which ensemble member trains; ``finished``: the members trained before,
    as (weights, history, best epoch). ``resume``: the point to go on from,
    for this member (None: from the start). ``write_bundle``: write
    ``model.npz`` (the first member only).
    """

    def __init__(self, out_dir: str, stopper: EarlyStopping, schedule: list[ReduceLROnPlateau], settings: dict,
                 bundle_metadata: Callable[[dict, int | None, dict], dict], member: int = 0,
                 finished: list | None = None, resume: ResumePoint | None = None, write_bundle: bool = True) -> None:
        self.out_dir, self.stopper, self.schedule, self.settings = out_dir, stopper, schedule, settings
        self.bundle_metadata, self.member, self.finished = bundle_metadata, member, list(finished or [])
        self.resume, self.write_bundle = resume, write_bundle
        self.history: dict = dict(resume.metadata["history"]) if resume else {}

    @property
    def initial_epoch(self) -> int:
        """The epoch ``fit`` starts at: after the last one done (or past the end, when early stopping had
        stopped this member: then only the best weights are restored)."""
        if self.resume is None:
            return 0
        stopped = self.resume.metadata["early_stopping"]["stopped_epoch"] is not None
        return self.settings["epochs"] if stopped else self.resume.epochs_done

    def restore_model(self, model: Any) -> None:
        """The stopped epoch's weights and optimizer state into ``model`` (built and compiled as before)."""
        if self.resume is None:
            return
        model.set_weights(self.resume.weights)
        if self.resume.optimizer_state is not None:
            model.optimizer.set_state(model.trainable_weights, self.resume.optimizer_state)
        model.optimizer.learning_rate = self.resume.metadata["learning_rate"]

    def on_train_begin(self, logs: dict | None = None) -> None:
        """After the stopper and schedule reset themselves: their counters as the stopped run left them."""
        if self.resume is None:
            return
        state = self.resume.metadata
        for name in STOPPER_FIELDS:
            setattr(self.stopper, name, state["early_stopping"][name])
        self.stopper.best_weights = self.resume.extra.get("best")
        for callback, saved in zip(self.schedule, state["schedules"]):
            for name in SCHEDULE_FIELDS:
                setattr(callback, name, saved[name])
        minidl.random.generator().bit_generator.state = state["random_state"]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.write_bundle and self.stopper.best_epoch == epoch:
            self.model.save(os.path.join(self.out_dir, BUNDLE_FILE), include_optimizer=False,
                            metadata=self.bundle_metadata(self.history, epoch + 1, {
                                "epoch": epoch + 1, "epochs_run": epoch + 1, "most_epochs": self.settings["epochs"],
                                "monitor": self.stopper.monitor, "value": float(self.stopper.best),
                                "calibrated": False}))
        self._write_state(epoch + 1)

    def _write_state(self, epochs_done: int) -> None:
        extra = {f"member_{k}": weights for k, (weights, _, _) in enumerate(self.finished)}
        if self.stopper.best_weights is not None:
            extra["best"] = self.stopper.best_weights
        metadata = {
            "kind": STATE_KIND, "settings": self.settings, "member": self.member, "epochs_done": epochs_done,
            "history": self.history, "learning_rate": float(self.model.optimizer.learning_rate),
            "early_stopping": {name: _plain(getattr(self.stopper, name)) for name in STOPPER_FIELDS},
            "schedules": [{name: _plain(getattr(callback, name)) for name in SCHEDULE_FIELDS}
                          for callback in self.schedule],
            "random_state": minidl.random.generator().bit_generator.state,
            "finished": [{"history": history, "best_epoch": best} for _, history, best in self.finished]}
        self.model.save(os.path.join(self.out_dir, STATE_FILE), metadata=metadata, extra_weights=extra,
                        include_optimizer=True)


def finish(out_dir: str) -> None:
    """The training is complete and its bundle written: the resume state goes."""
    path = os.path.join(out_dir, STATE_FILE)
    if os.path.exists(path):
        os.remove(path)


def bundle_stamp(out_dir: str) -> tuple | None:
    """(inode, size, modification time in ns) of ``out_dir``'s model file, or None: taken before a command, it
    tells afterwards whether the command wrote the file (file times alone are too coarse for that)."""
    try:
        status = os.stat(os.path.join(out_dir, BUNDLE_FILE))
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def describe_kept(out_dir: str, before: tuple | None = None) -> str | None:
    """What a stopped training left in ``out_dir``, as part of a sentence; None when it wrote no model there
    (none exists, or it is the file whose ``bundle_stamp`` was ``before`` the command)."""
    bundle = os.path.join(out_dir, BUNDLE_FILE)
    if not os.path.exists(bundle) or (before is not None and bundle_stamp(out_dir) == before):
        return None
    entry = _metadata_or_empty(bundle).get("checkpoint")
    if entry is None:
        return f"the finished model is in {bundle}"
    state = os.path.join(out_dir, STATE_FILE)
    resumable = os.path.exists(state)
    return (f"kept the best model so far (epoch {entry['epoch']}, {entry['monitor']} {entry['value']:.4g}; not "
            f"calibrated) in {bundle}" + ("; rerun the same command with --resume to continue" if resumable else ""))


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number JSON writes."""
    return value.item() if hasattr(value, "item") else value


def _metadata_or_empty(path: str) -> dict:
    try:
        return read_metadata(path)
    except (ModelFileError, OSError):
        return {}


def rebuilt(like: Any, weights: list) -> Any:
    """A network of ``like``'s architecture holding ``weights`` (an ensemble member trained before a stop)."""
    model = type(like).from_config(like.get_config())
    model.set_weights(weights)
    return model
