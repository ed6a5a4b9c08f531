"""Model files: architecture and compile settings as JSON, weights as arrays, in one .npz (never a pickle).

This module knows the file format and nothing of model classes: ``save_model``
takes any built model (``get_config``, ``compile_config``, ``get_weights``),
and ``read_model`` returns the configuration and arrays that
``minidl.models.load_model`` rebuilds a model from.

The file is a numpy ``.npz`` archive holding ``__config__`` (the JSON, as
bytes) and ``weight_0``, ``weight_1``, ... in ``get_weights`` order. It is
read member by member within the bounds of ``minidl.core.file_limits`` (sizes
checked in the headers and while reading, numeric arrays only, never a
pickle), so a file from a stranger can neither run code nor fill memory;
whatever is malformed is a ``ModelFileError`` that names the file.
Writes go to a temporary file first and replace the target only when
complete, so an interrupted save never destroys the previous file.

A model file may also carry named lists of extra weights (``extra_weights``),
for example the other members of an ensemble of networks that share the
model's architecture: entries ``extra_<name>_<i>``, their counts in the JSON.
``load_model`` ignores them; ``read_extra_weights`` returns them.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import numpy

from minidl.core import file_limits
from minidl.core.file_limits import ModelFileError  # noqa: F401 - the error of this module, defined below it
from minidl.core.registry import (  # noqa: F401 - keras.saving's names, so Keras code runs with its import changed
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)
from minidl.saving.serialization import deserialize_keras_object, serialize_keras_object  # noqa: F401 - keras.saving's
from minidl.core.version import __version__

MODEL_FORMAT = "minidl-model"
WEIGHTS_FORMAT = "minidl-weights"
FORMAT_VERSION = 1
OPTIMIZER_STATE = "optimizer"  # the extra weight list that holds the optimizer's state


#: minidl.models.load_model, put here by minidl.models (this module sits below the model classes it would rebuild)
MODEL_LOADER: dict = {}


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True) -> Any:
    """keras.saving.load_model's place: ``minidl.models.load_model``.

    ``safe_mode`` is accepted and changes nothing: minidl never runs code named in a file.
    """
    if "load_model" not in MODEL_LOADER:
        raise RuntimeError("minidl.saving.load_model: import minidl.models first")
    return MODEL_LOADER["load_model"](filepath, compile=compile, custom_objects=custom_objects)


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


def _read(path: str, expected_format: str, extra: tuple | str = ()) -> tuple[dict, list, dict]:
    """(configuration, the model's weights, {name: arrays} of the extra lists named in ``extra``, "*" for all).

    Every member is read within the bounds of ``minidl.core.file_limits``, numeric
    arrays only; anything malformed is a ModelFileError naming the file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a folder, not a minidl model file")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head.startswith(b"PK"):  # every .npz is a zip archive; anything else (text, pickles) is not ours
        raise ModelFileError(f"{path!r} is not a minidl model file: it is not an .npz (zip) archive")
    with file_limits.open_zip(path, path) as archive:
        names = set(archive.namelist())
        if "__config__.npy" not in names:
            raise ModelFileError(f"{path!r} is not a minidl file: it holds no __config__ entry")
        text = file_limits.read_npy_member(archive, "__config__.npy", "MAX_CONFIG_BYTES", path)
        config = _checked_config(file_limits.parse_json(text.tobytes(), path, "its __config__"), path,
                                 expected_format)
        count = sum(1 for name in names if name.startswith("weight_"))
        weights = _read_arrays(archive, names, [f"weight_{i}" for i in range(count)], path)
        counts = config.get("extra_weights") or {}
        wanted = list(counts) if extra == "*" else [name for name in extra if name in counts]
        extras = {name: _read_arrays(archive, names, [f"extra_{name}_{i}" for i in range(counts[name])], path)
                  for name in wanted}
    return config, weights, extras


def _read_arrays(archive: Any, present: set, names: list, path: str) -> list:
    """The arrays ``names`` (members ``<name>.npy`` of ``present``), their bytes together within the bound."""
    arrays, size = [], 0
    for name in names:
        if f"{name}.npy" not in present:
            raise ModelFileError(f"{path!r} holds no array {name!r}, which its __config__ announces")
        arrays.append(file_limits.read_npy_member(archive, f"{name}.npy", "MAX_WEIGHT_BYTES", path))
        size += arrays[-1].nbytes
        if size > file_limits.MAX_WEIGHT_BYTES:
            raise ModelFileError(f"{path!r}: its arrays hold more than {file_limits.MAX_WEIGHT_BYTES:,} bytes "
                                 "(minidl.core.file_limits.MAX_WEIGHT_BYTES)")
    return arrays


def _checked_config(config: Any, path: str, expected_format: str) -> dict:
    """The parsed __config__ once its format, version and extra weight counts have the types they must have."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{path!r} is not a minidl file: its __config__ is JSON but not an object")
    if config.get("format") != expected_format:
        raise ModelFileError(f"{path!r} holds {config.get('format')!r}, not {expected_format!r}")
    version = config.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path!r} has format version {version!r}; versions are whole numbers")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path!r} has format version {version}; this minidl reads up to {FORMAT_VERSION}")
    counts = config.get("extra_weights") or {}
    if not isinstance(counts, dict) or not all(
            isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= file_limits.MAX_ZIP_MEMBERS
            for count in counts.values()):
        raise ModelFileError(f"{path!r}: its extra_weights entry is not {{name: number of arrays}}")
    return config


def optimizer_state_of(config: dict, extra: dict, path: str) -> dict | None:
    """The optimizer state ({"iterations", "slots"}, as Optimizer.set_state takes) from a file's read parts."""
    layout = config.get("optimizer_state")
    if not layout:
        return None
    arrays = extra.get(OPTIMIZER_STATE, [])
    if not isinstance(layout, dict) or not isinstance(layout.get("slots"), list) or not all(
            isinstance(keys, list) and all(isinstance(key, str) for key in keys) for keys in layout["slots"]):
        raise ModelFileError(f"{path!r}: its optimizer_state entry is not {{\"iterations\", \"slots\": [[names]]}}")
    if sum(len(keys) for keys in layout["slots"]) != len(arrays):
        raise ModelFileError(f"{path!r}: its optimizer state names {sum(len(keys) for keys in layout['slots'])} "
                             f"arrays but the file holds {len(arrays)}")
    iterator = iter(arrays)
    return {"iterations": layout.get("iterations"),
            "slots": [{key: next(iterator) for key in keys} for keys in layout["slots"]]}


def save_model(model: Any, path: str, metadata: dict | None = None, extra_weights: dict | None = None,
               include_optimizer: bool = True) -> None:
    """Write ``model`` to ``path``; ``metadata`` (JSON-serialisable) travels with it, see ``read_metadata``.

    ``extra_weights``: {name: list of arrays} stored beside the model's own
    weights (names of letters, digits and underscores), see ``read_extra_weights``.
    With ``include_optimizer`` (and a compiled model) the optimizer's state
    (iteration count, moments) travels too, as the extra list "optimizer":
    training resumed from the file continues exactly where it stopped.
    """
    if os.path.splitext(os.fspath(path))[1].lower() in (".keras", ".h5", ".hdf5"):  # keras.saving.save_model's
        model.save(path, metadata=metadata, extra_weights=extra_weights)  # files: the Keras format, as Keras
        return
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
    config, _, extra = _read(path, MODEL_FORMAT, extra=(OPTIMIZER_STATE,))
    return optimizer_state_of(config, extra, os.fspath(path))


def read_model(path: str) -> tuple[dict, list]:
    """(configuration, weights) of a model file written by ``save_model``; a ModelFileError names what is wrong."""
    config, weights, _ = _read(path, MODEL_FORMAT)
    return config, weights


def read_model_file(path: str, extra: tuple | str = ()) -> tuple[dict, list, dict]:
    """(configuration, weights, {name: arrays} of the extra lists named in ``extra``) in one bounded read."""
    return _read(path, MODEL_FORMAT, extra)


def read_metadata(path: str) -> dict:
    """The metadata dict saved with a model (empty if none was given)."""
    config, _, _ = _read(path, MODEL_FORMAT)
    metadata = config.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{os.fspath(path)!r}: its metadata is not a JSON object")
    return metadata


def read_extra_weights(path: str) -> dict:
    """{name: list of arrays}: the extra weight lists saved with a model (empty if none; the optimizer's apart)."""
    _, _, extra = _read(path, MODEL_FORMAT, extra="*")
    extra.pop(OPTIMIZER_STATE, None)
    return extra


def save_weights(model: Any, path: str) -> None:
    model._require_built("save_weights")
    shapes = [list(w.shape) for w in model.get_weights()]
    _write(os.fspath(path), {"format": WEIGHTS_FORMAT, "version": FORMAT_VERSION, "shapes": shapes}, model.get_weights())


def load_weights(model: Any, path: str) -> None:
    _, weights, _ = _read(path, WEIGHTS_FORMAT)
    try:
        model.set_weights(weights)
    except ValueError as error:
        raise ModelFileError(f"{os.fspath(path)!r} does not fit model {model.name!r}: {error}") from None
