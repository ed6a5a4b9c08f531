"""load_model: a model file back into a Sequential or a functional Model, compiled as it was saved."""

from __future__ import annotations

import os

from minidl import saving
from minidl.registry import custom_object_scope
from minidl.models import keras_files
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
    content) load too, without Keras: see ``minidl.models.keras_files``.
    """
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head.startswith(b"\x89HDF") or head.startswith(b"PK"):
            with open(path, "rb") as handle:
                content = handle.read()
            kind = keras_files.is_keras_file(content)
            if kind is not None:
                return keras_files.load_keras_model(os.fspath(path), content, kind, compile=compile)
    config, weights = saving.read_model(path)
    try:
        cls = MODEL_CLASSES[config.get("model_class", "Sequential")]  # files before functional models: Sequential
        model = cls.from_config(config["model"])
        model.set_weights(weights)
    except (KeyError, TypeError, ValueError) as error:
        raise saving.ModelFileError(f"{os.fspath(path)!r} describes a model that cannot be rebuilt: {error}") from None
    if compile and config.get("compile"):
        settings = config["compile"]
        try:
            model.compile(optimizer=settings["optimizer"], loss=settings["loss"], metrics=settings["metrics"],
                          loss_weights=settings.get("loss_weights"))
            state = saving.read_optimizer_state(path)
            if state is not None:
                model.optimizer.set_state(model.trainable_weights, state)
        except (KeyError, TypeError, ValueError) as error:
            raise saving.ModelFileError(f"{os.fspath(path)!r} has compile settings that cannot be used: {error} "
                                        "(load_model(path, compile=False) loads the model uncompiled)") from None
    return model
