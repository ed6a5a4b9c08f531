"""load_model: a model file back into a Sequential or a functional Model, compiled as it was saved."""

from __future__ import annotations

import os

from minidl.core import file_limits
from minidl.saving import npz as saving
from minidl.core.file_limits import ModelFileError, one_line
from minidl.core.registry import custom_object_scope
from minidl.saving import keras_files
from minidl.models.functional import MODEL_CLASSES, Model


def load_model(path: str, compile: bool = True, custom_objects: dict | None = None) -> Model:
    """Rebuild a model saved by ``model.save(path)`` (or by Keras); see ``_load``.

    ``custom_objects`` ({name in the file: class or function}) resolves the
    user's own layers, activations, losses and metrics for this load, beside
    those registered with ``minidl.saving.register_serializable``.
    """
    with custom_object_scope(custom_objects):
        return _load(path, compile)


def _load(path: str, compile: bool) -> Model:
    """Rebuild a model saved by ``model.save(path)``: same architecture, weights and (if saved) compile settings.

    Keras files (``.keras`` archives and legacy ``.h5``, recognised by their
    content) load too, without Keras: see ``minidl.saving.keras_files``. The
    model is built within the file's weight budget (``file_limits.weight_budget``):
    a configuration that asks for more weights than the file holds is refused
    before any big array exists. Whatever is malformed is a ModelFileError.
    """
    path = os.fspath(path)
    kind = keras_files.keras_kind(path) if os.path.isfile(path) else None
    if kind is not None:
        return keras_files.load_keras_model(path, kind, compile=compile)
    if os.path.isfile(path) and path.lower().endswith((".keras", ".h5", ".hdf5")):
        with open(path, "rb") as handle:
            if not handle.read(2).startswith(b"PK"):
                raise ModelFileError(f"{path!r} is not a model file: it is neither a zip archive (.keras) nor an "
                                     "HDF5 file (.h5)")
    config, weights, extra = saving.read_model_file(path, extra=(saving.OPTIMIZER_STATE,) if compile else ())
    model_class = config.get("model_class", "Sequential")  # files before functional models: Sequential
    if not isinstance(model_class, str) or model_class not in MODEL_CLASSES:
        raise ModelFileError(f"{path!r}: its model class {model_class!r} is not one of {sorted(MODEL_CLASSES)}")
    if not isinstance(config.get("model"), dict):
        raise ModelFileError(f"{path!r}: its model configuration is not a JSON object")
    try:
        with file_limits.weight_budget(sum(array.size for array in weights), path):
            model = MODEL_CLASSES[model_class].from_config(config["model"])
        model.set_weights(weights)
    except ModelFileError:
        raise
    except _REBUILD_ERRORS as error:
        raise ModelFileError(f"{path!r} describes a model that cannot be rebuilt: {one_line(error)}") from None
    settings = config.get("compile")
    if compile and settings:
        try:
            if not isinstance(settings, dict):
                raise TypeError(f"the compile settings are {type(settings).__name__}, not an object")
            model.compile(optimizer=settings["optimizer"], loss=settings["loss"], metrics=settings["metrics"],
                          loss_weights=settings.get("loss_weights"))
            state = saving.optimizer_state_of(config, extra, path)
            if state is not None:
                model.optimizer.set_state(model.trainable_weights, state)
        except ModelFileError:
            raise
        except _REBUILD_ERRORS as error:
            raise ModelFileError(f"{path!r} has compile settings that cannot be used: {one_line(error)} "
                                 "(load_model(path, compile=False) loads the model uncompiled)") from None
    return model


#: what rebuilding from a malformed configuration raises inside minidl (a value of the wrong type or shape)
_REBUILD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError)
