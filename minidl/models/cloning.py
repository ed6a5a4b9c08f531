"""Copies of a model's architecture: ``clone_model``, ``model.to_json`` and ``model_from_json``, as in Keras.

``clone_model(model)`` builds the same graph of new layers, each made
from its layer's config (``layer.__class__.from_config(layer.get_config())``,
or ``clone_function(layer)``), so its weights are new (freshly initialised),
not shared; ``input_tensors`` (``Input`` tensors) put the copy on other
inputs. ``model.to_json()`` writes the architecture as Keras 3 writes it
(config.json of a ``.keras`` file), so Keras reads minidl's and minidl
reads Keras's with ``model_from_json``.
"""

from __future__ import annotations

import json
from typing import Any

from minidl.layers import InputLayer, Layer
from minidl.layers.symbolic import SymbolicTensor
from minidl.models.functional import CONFIG_WRITERS, Model, rebuild_graph
from minidl.saving.keras_files import KERAS_VERSION, KerasFileError, _keras_entry, _model_from_keras
from minidl.models.sequential import Sequential
from minidl.core.registry import custom_object_scope


def _new_layer(layer: Layer) -> Layer:
    """A layer of the same class and config as ``layer``, with new weights (Keras's default clone_function)."""
    return type(layer).from_config(layer.get_config())


def clone_model(model: Model, input_tensors: Any = None, clone_function: Any = None, call_function: Any = None,
                recursive: bool = False, **kwargs: Any) -> Model:
    """A model with ``model``'s architecture and new layers (new weights); see the module docstring."""
    if not isinstance(model, Model):
        raise ValueError(f"clone_model: give a Sequential or functional Model, got {type(model).__name__}")
    if call_function is not None or kwargs:
        raise ValueError("clone_model: minidl takes model, input_tensors, clone_function and recursive; "
                         f"got {['call_function'] if call_function is not None else []}{sorted(kwargs)}")
    model._require_built("clone_model")
    make = clone_function or _new_layer

    def cloned(layer: Layer) -> Layer:
        if isinstance(layer, Model):
            return clone_model(layer, clone_function=clone_function) if recursive or clone_function is None \
                else make(layer)
        new = make(layer)
        if not isinstance(new, Layer):
            raise ValueError(f"clone_model: clone_function must return a layer, got {new!r} for {layer.name!r}")
        return new

    given = _input_layers(input_tensors)
    if isinstance(model, Sequential):
        first = given[0] if given else InputLayer(model._input_layer.shape, name=model._input_layer.name)
        return Sequential([first, *[cloned(layer) for layer in model.layers]], name=model.name,
                          trainable=model.trainable)
    config = model.get_config()
    created, calls = {}, []
    inputs_by_name = dict(zip([t.node.layer.name for t in model.inputs], given)) if given else {}
    for entry, layer in zip(config["layers"], model._layers):
        if isinstance(layer, InputLayer):
            created[entry["name"]] = inputs_by_name.get(layer.name) or InputLayer(layer.shape, name=layer.name)
        else:
            created[entry["name"]] = cloned(layer)
        calls.extend((entry["name"], index, call) for index, call in enumerate(entry["inbound_nodes"]))
    if given and len(given) != len(model.inputs):
        raise ValueError(f"clone_model: model {model.name!r} has {len(model.inputs)} inputs, but "
                         f"{len(given)} input_tensors were given")
    return rebuild_graph(created, calls, config["input_layers"], config["output_layers"], name=model.name,
                         trainable=model.trainable, cls=type(model))


def _input_layers(input_tensors: Any) -> list:
    """The InputLayers of ``Input`` tensors (one, a list, or a dict by name; None gives [])."""
    if input_tensors is None:
        return []
    tensors = list(input_tensors.values()) if isinstance(input_tensors, dict) else \
        list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
    layers = []
    for tensor in tensors:
        if not (isinstance(tensor, SymbolicTensor) and tensor.node.is_input):
            raise ValueError(f"clone_model: input_tensors must be Input(...) tensors, got {tensor!r}")
        layers.append(tensor.node.layer)
    return layers


def model_to_json_config(model: Model) -> dict:
    """The JSON object ``model.to_json()`` writes: Keras 3's model config, with Keras's version and backend."""
    return {**_keras_entry(model), "keras_version": KERAS_VERSION, "backend": "tensorflow"}


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """The model (new weights) that ``to_json`` described, minidl's or Keras's; ``custom_objects`` names the user's own."""
    try:
        entry = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise KerasFileError(f"model_from_json: the text is not JSON ({error})") from None
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise KerasFileError("model_from_json: the JSON is not a model config (an object with a 'class_name')")
    with custom_object_scope(custom_objects):
        return _model_from_keras(entry, "model_from_json")


CONFIG_WRITERS["json"] = model_to_json_config
