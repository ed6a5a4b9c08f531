"""The user's own network for ``genomics train --network``: a Python builder or a ``.keras`` file.

Two ways to give it (``load_user_network``):

- ``file.py:build_network``: a function of the user's own file, called as
  ``build_network(input_shape, classes)`` and returning a minidl model
  (``minidl.Model`` or ``Sequential``, written as in Keras with minidl's
  imports). **The file is the user's own code and is run, on purpose, with
  the user's rights** (as ``python file.py`` would run it): nothing in it is
  checked or sandboxed, so give only files you wrote or trust.
- ``model.keras`` (or ``.h5``): a Keras model file read by minidl (no code
  is run); its architecture is used with new weights (Keras's
  ``clone_model``), or with the file's weights when ``keep_weights`` is set.

``input_shape`` is the shape of one replicate as the network takes it:
``"sites-by-haplotypes"`` (snps, haplotypes x channels): 1-D convolutions
along the SNPs with every haplotype as a channel, as Perez et al. and
Kirschner, Perez et al. feed their networks (``genomics.learning.networks.model_input``'s
``cnn1d`` layout); or ``"image"`` (haplotypes, snps, channels).

Checked before training, each in one sentence: the model takes that input
shape, its output is one value per scenario, ``(None, classes)``, and it
has a layer named ``logits`` or ends in a Dense softmax (temperature
scaling reads the logits). The ``description`` (JSON-able) is what a
bundle stores: the model's Keras-style architecture (``model.to_json()``),
the input layout and shape, the number of scenarios, where the network came
from (file, function, SHA-256 of the file) and whether weights were kept;
``rebuild_network(description)`` makes the same architecture again from it
alone, so ``predict`` needs neither the ``.py`` nor the ``.keras`` file. A
builder whose model cannot be rebuilt from its config (a layer of the
user's own class) is refused when it is loaded, not at prediction.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import dataclass

from minidl.layers import Dense
from minidl.models import Model, clone_model, load_model, model_from_json

#: the input layouts a user's network may take, and the ``networks.model_input`` kind that makes each
INPUT_LAYOUTS = {"sites-by-haplotypes": "cnn1d", "image": "cnn2d"}
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")


class UserNetworkError(ValueError):
    """The user's network cannot be loaded, built or used for this design."""


@dataclass
class UserNetwork:
    """A built network and the JSON-able ``description`` a bundle stores to rebuild it."""

    model: Model
    description: dict


def input_shape_for(image_shape: tuple, input_layout: str) -> tuple:
    """One replicate's shape as a network of ``input_layout`` takes images of ``image_shape``
    (haplotypes, snps, channels)."""
    if input_layout not in INPUT_LAYOUTS:
        raise UserNetworkError(f"the network's input layout must be one of {', '.join(INPUT_LAYOUTS)}, got "
                               f"{input_layout!r}")
    haplotypes, snps, channels = (int(size) for size in image_shape)
    return (snps, haplotypes * channels) if input_layout == "sites-by-haplotypes" else (haplotypes, snps, channels)


def is_user_network(spec: str) -> bool:
    """Whether ``--network`` names the user's own network (``file.py:function`` or a Keras file), not a preset."""
    return ".py:" in spec or spec.endswith(".py") or spec.lower().endswith(KERAS_SUFFIXES)


def load_user_network(spec: str, image_shape: tuple, classes: int, input_layout: str = "sites-by-haplotypes",
                      keep_weights: bool = False) -> UserNetwork:
    """The network ``spec`` names (``file.py:build_network`` or ``model.keras``), built for images of
    ``image_shape`` (haplotypes, snps, channels) and ``classes`` scenarios, checked; see the module docstring."""
    shape = input_shape_for(image_shape, input_layout)
    if spec.lower().endswith(KERAS_SUFFIXES):
        model, source = _from_keras_file(spec, keep_weights), {"source": "keras file", "file": spec}
    else:
        if keep_weights:
            raise UserNetworkError(f"keep_weights applies to a .keras file; {spec} builds a new network")
        model, source = _from_builder(spec, shape, classes)
    check_network(model, shape, classes, spec)
    config = json.loads(model.to_json())
    try:
        rebuilt = model_from_json(json.dumps(config))
    except Exception as error:  # a layer of the user's own class, or one minidl cannot write
        raise UserNetworkError(f"{spec}: the network cannot be rebuilt from its architecture alone ({error}), so a "
                               "bundle could not predict without your file; build it from minidl's layers") from None
    if rebuilt.count_params() != model.count_params():
        raise UserNetworkError(f"{spec}: the network rebuilt from its architecture has {rebuilt.count_params()} "
                               f"weights, not {model.count_params()}; build it from minidl's layers")
    description = {**source, "sha256": _sha256(source["file"]), "input_layout": input_layout,
                   "model_input_kind": INPUT_LAYOUTS[input_layout], "input_shape": list(shape), "classes": int(classes),
                   "weights": "from the file" if keep_weights else "initialised anew",
                   "parameters": int(model.count_params()), "architecture": config}
    return UserNetwork(model, description)


def rebuild_network(description: dict) -> Model:
    """The architecture a ``description`` records, with new weights (a bundle then loads its trained ones)."""
    if not isinstance(description, dict) or "architecture" not in description:
        raise UserNetworkError("the bundle's network description has no 'architecture': it was not written by "
                               "load_user_network")
    model = model_from_json(json.dumps(description["architecture"]))
    check_network(model, tuple(description["input_shape"]), int(description["classes"]),
                  f"the bundle's network ({description.get('file', 'unknown file')})")
    return model


def logits_model(model: Model) -> Model:
    """The model from the same inputs to the layer named "logits" (weights shared), for temperature scaling of a
    functional network (``networks.logits`` truncates a Sequential); a network without that layer is refused."""
    try:
        layer = model.get_layer("logits")
    except Exception:  # minidl raises ValueError naming the layers it has
        raise UserNetworkError("the network has no layer named 'logits' to read the values before the softmax "
                               "from") from None
    return Model(model.inputs, layer.output)


def check_network(model: object, input_shape: tuple, classes: int, where: str) -> None:
    """One sentence where ``model`` is not a minidl model taking ``(None, *input_shape)`` and giving
    ``(None, classes)``, or has neither a layer named "logits" nor a final Dense softmax."""
    if not isinstance(model, Model):
        raise UserNetworkError(f"{where} returned {type(model).__name__}, not a minidl model (build it with "
                               "minidl.Model or minidl.Sequential)")
    taken, given = _shape(model, "input_shape"), (None, *input_shape)
    if taken is None or len(taken) != len(given) or any(a is not None and a != b for a, b in zip(taken[1:], given[1:])):
        raise UserNetworkError(f"{where}: the network takes inputs of shape {taken} but the data give {given}")
    output = _shape(model, "output_shape")
    if output is None or tuple(output[1:]) != (classes,):
        raise UserNetworkError(f"{where}: the network's output has shape {output}, but it must give one value per "
                               f"scenario, (None, {classes}), for the {classes} scenarios")
    names = [layer.name for layer in model.layers]
    last = model.layers[-1]
    softmax_dense = isinstance(last, Dense) and getattr(last.activation, "__name__", "") == "softmax"
    if "logits" not in names and not softmax_dense:
        raise UserNetworkError(f"{where}: the network has neither a layer named 'logits' (the values before the "
                               "softmax, for temperature scaling) nor a final Dense softmax layer; name the last "
                               "linear layer 'logits' (Dense(classes, name='logits') then Activation('softmax'))")


def _shape(model: Model, attribute: str) -> tuple | None:
    try:
        shape = getattr(model, attribute)
    except Exception:  # a Sequential without an Input has no shapes yet
        return None
    return tuple(shape) if isinstance(shape, (tuple, list)) and not isinstance(shape[0], (tuple, list)) else None


def _from_builder(spec: str, input_shape: tuple, classes: int) -> tuple[Model, dict]:
    """The model ``build_network(input_shape, classes)`` of ``file.py:build_network`` returns (the user's code)."""
    path, _, function_name = spec.rpartition(":") if ".py:" in spec else (spec, ":", "build_network")
    if not path.endswith(".py") or not os.path.isfile(path):
        raise UserNetworkError(f"network {spec}: expected file.py:function of an existing Python file (or a "
                               ".keras file, or a preset name)")
    module_name = f"genomics_user_network_{_sha256(path)[:12]}"
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module  # so that classes defined in the file can be found while it runs
        module_spec.loader.exec_module(module)  # the user's own code, run on purpose (module docstring)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise UserNetworkError(f"{path}: running the file failed with {type(error).__name__}: {error}") from None
    builder = getattr(module, function_name, None)
    if not callable(builder):
        raise UserNetworkError(f"{path} defines no function {function_name!r} (expected "
                               f"def {function_name}(input_shape, classes) returning a minidl model)")
    try:
        model = builder(tuple(input_shape), int(classes))
    except Exception as error:
        raise UserNetworkError(f"{spec}({tuple(input_shape)}, {classes}) failed with {type(error).__name__}: "
                               f"{error}") from None
    return model, {"source": "python builder", "file": path, "function": function_name}


def _from_keras_file(path: str, keep_weights: bool) -> Model:
    """The model of a Keras file: its weights kept, or the same architecture with new weights."""
    if not os.path.isfile(path):
        raise UserNetworkError(f"network {path}: no such file")
    try:
        model = load_model(path, compile=False)
    except Exception as error:  # minidl's KerasFileError names what it could not read
        raise UserNetworkError(f"{path}: cannot be read as a Keras model ({error})") from None
    return model if keep_weights else clone_model(model)


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
