"""Model files: architecture and compile settings as JSON, weights as arrays, in one .npz (never a pickle).

This module knows the file format and nothing of model classes: ``save_model``
takes any built model (``get_config``, ``compile_config``, ``get_weights``),
and ``read_model`` returns the configuration and arrays that
``minidl.models.load_model`` rebuilds a model from.

The file is a numpy ``.npz`` archive holding ``__config__`` (the JSON, as
bytes) and ``weight_0``, ``weight_1``, ... in ``get_weights`` order. It is
read with ``allow_pickle=False``, so a file from a stranger cannot run code.
Writes go to a temporary file first and replace the target only when
complete, so an interrupted save never destroys the previous file.

A model file may also carry named lists of extra weights (``extra_weights``),
for example the other members of an ensemble of networks that share the
model's architecture: entries ``extra_<name>_<i>``, their counts in the JSON.
``load_model`` ignores them; ``read_extra_weights`` returns them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
import zlib
from typing import Any

import numpy

from minidl.registry import custom_object_scope, register_serializable  # noqa: F401 - Keras's saving API
from minidl.version import __version__

#: Keras's name for the decorator, so that Keras code runs with only the import changed
register_keras_serializable = register_serializable

MODEL_FORMAT = "minidl-model"
WEIGHTS_FORMAT = "minidl-weights"
FORMAT_VERSION = 1
OPTIMIZER_STATE = "optimizer"  # the extra weight list that holds the optimizer's state


class ModelFileError(ValueError):
    """A file that is not a readable minidl model (or weights) file; the message names it and says why."""


def _write(path: str, config: dict, weights: list, extra_weights: dict | None = None) -> None:
    arrays = {f"weight_{i}": numpy.asarray(w) for i, w in enumerate(weights)}
    for name, values in (extra_weights or {}).items():
        arrays.update({f"extra_{name}_{i}": numpy.asarray(w) for i, w in enumerate(values)})
    arrays["__config__"] = numpy.frombuffer(json.dumps(config).encode("utf-8"), dtype=numpy.uint8)
    temporary = f"{path}.partial"
    try:
        with open(temporary, "wb") as handle:
            numpy.savez_compressed(handle, **arrays)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise OSError(error.errno, f"cannot write the model file {path!r}: {error.strerror or error}") from None


def _read(path: str, expected_format: str, extra: bool = False) -> tuple[dict, list]:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a folder, not a minidl model file")
    with open(path, "rb") as handle:
        content = handle.read()
    if not content.startswith(b"PK"):  # every .npz is a zip archive; anything else (text, pickles) is not ours
        raise ModelFileError(f"{path!r} is not a minidl model file: it is not an .npz (zip) archive")
    try:
        with numpy.load(io.BytesIO(content), allow_pickle=False) as archive:
            if "__config__" not in archive.files:
                raise ModelFileError(f"{path!r} is not a minidl file: it holds no __config__ entry")
            config = json.loads(archive["__config__"].tobytes().decode("utf-8"))
            if extra:  # the named extra weight lists instead of the model's own
                counts = config.get("extra_weights", {}) if isinstance(config, dict) else {}
                weights = {name: [archive[f"extra_{name}_{i}"] for i in range(count)] for name, count in counts.items()}
            else:
                count = sum(1 for name in archive.files if name.startswith("weight_"))
                weights = [archive[f"weight_{i}"] for i in range(count)]
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"cannot read {path!r} as a minidl file (damaged or truncated archive: "
                             f"{type(error).__name__}: {error})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path!r} is not a minidl file: its __config__ is JSON but not an object")
    if config.get("format") != expected_format:
        raise ModelFileError(f"{path!r} holds {config.get('format')!r}, not {expected_format!r}")
    if config.get("version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path!r} has format version {config['version']}; this minidl reads up to {FORMAT_VERSION}")
    return config, weights


def save_model(model: Any, path: str, metadata: dict | None = None, extra_weights: dict | None = None,
               include_optimizer: bool = True) -> None:
    """Write ``model`` to ``path``; ``metadata`` (JSON-serialisable) travels with it, see ``read_metadata``.

    ``extra_weights``: {name: list of arrays} stored beside the model's own
    weights (names of letters, digits and underscores), see ``read_extra_weights``.
    With ``include_optimizer`` (and a compiled model) the optimizer's state
    (iteration count, moments) travels too, as the extra list "optimizer":
    training resumed from the file continues exactly where it stopped.
    """
    model._require_built("save")
    extra_weights = dict(extra_weights or {})
    for name in extra_weights:
        if not isinstance(name, str) or not name.replace("_", "").isalnum() or name == OPTIMIZER_STATE:
            raise ValueError(f"extra weight names are letters, digits and underscores (not {OPTIMIZER_STATE!r}), "
                             f"got {name!r}")
    compile_config = model.compile_config()
    optimizer_slots = None
    if include_optimizer and compile_config is not None and model.optimizer is not None:
        state = model.optimizer.get_state(model.trainable_weights)
        optimizer_slots = {"iterations": state["iterations"], "slots": [sorted(slot) for slot in state["slots"]]}
        extra_weights[OPTIMIZER_STATE] = [slot[key] for slot in state["slots"] for key in sorted(slot)]
    config = {"format": MODEL_FORMAT, "version": FORMAT_VERSION, "minidl_version": __version__,
              "model_class": getattr(model, "config_class_name", type(model).__name__),
              "model": model.get_config(), "compile": compile_config, "metadata": metadata or {},
              "optimizer_state": optimizer_slots,
              "extra_weights": {name: len(values) for name, values in extra_weights.items()}}
    _write(os.fspath(path), config, model.get_weights(), extra_weights)


def read_optimizer_state(path: str) -> dict | None:
    """The optimizer state saved with a model ({"iterations", "slots"}, as Optimizer.set_state takes), or None."""
    config, extra = _read(path, MODEL_FORMAT, extra=True)
    layout = config.get("optimizer_state")
    if not layout:
        return None
    arrays = iter(extra.get(OPTIMIZER_STATE, []))
    return {"iterations": layout["iterations"],
            "slots": [{key: next(arrays) for key in keys} for keys in layout["slots"]]}


def read_model(path: str) -> tuple[dict, list]:
    """(configuration, weights) of a model file written by ``save_model``; a ModelFileError names what is wrong."""
    return _read(path, MODEL_FORMAT)


def read_metadata(path: str) -> dict:
    """The metadata dict saved with a model (empty if none was given)."""
    config, _ = _read(path, MODEL_FORMAT)
    return config.get("metadata", {})


def read_extra_weights(path: str) -> dict:
    """{name: list of arrays}: the extra weight lists saved with a model (empty if none; the optimizer's apart)."""
    _, extra = _read(path, MODEL_FORMAT, extra=True)
    extra.pop(OPTIMIZER_STATE, None)
    return extra


def save_weights(model: Any, path: str) -> None:
    model._require_built("save_weights")
    shapes = [list(w.shape) for w in model.get_weights()]
    _write(os.fspath(path), {"format": WEIGHTS_FORMAT, "version": FORMAT_VERSION, "shapes": shapes}, model.get_weights())


def load_weights(model: Any, path: str) -> None:
    _, weights = _read(path, WEIGHTS_FORMAT)
    try:
        model.set_weights(weights)
    except ValueError as error:
        raise ModelFileError(f"{os.fspath(path)!r} does not fit model {model.name!r}: {error}") from None
