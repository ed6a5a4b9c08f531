"""Keras model files without Keras: read and write ``.keras`` archives and legacy ``.h5`` files.

A Keras 3 ``.keras`` file is a zip archive of

    metadata.json      {"keras_version": ..., "date_saved": ...}
    config.json        the model: {"class_name": "Functional" | "Sequential", "config": {"layers": [...], ...}}
    model.weights.h5   HDF5: layers/<group>/vars/0, 1, ... per layer, in model.layers order

where a layer's group is its class name in snake case, numbered in order
of appearance (the second Dense is ``dense_1`` whatever its own name).
A legacy ``.h5`` file (``model.save("m.h5")`` in Keras 2 and 3) holds the
same configuration in the root attribute ``model_config`` and the weights
under ``model_weights/<layer name>/``, listed by the attribute ``weight_names``.

Reading translates every layer's Keras configuration into minidl's: an
option minidl does not have is accepted only at the value that makes it
irrelevant (``data_format="channels_last"``, ``groups=1``, no activity
regularizer, ...); any other value, and any layer minidl lacks, stops the
load with one sentence naming the layer and the option. Nothing named in a
file is imported or executed. The files are read with ``h5py``; Keras and
TensorFlow are never needed. Nothing outside the file is read through it
(``minidl.saving.safe_hdf5``), every size is bounded (``minidl.core.file_limits``)
and whatever is malformed is a ``KerasFileError`` (a ``ModelFileError``).
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import io
import json
import os
import re
import zipfile
from typing import Any

import numpy

from minidl.core import file_limits
from minidl import layers as layers_module
from minidl.core.file_limits import one_line
from minidl.layers import InputLayer, Layer
from minidl.saving import safe_hdf5
from minidl.models.functional import FILE_WRITERS, Model, rebuild_graph
from minidl.models.keras_training import compile_arguments_from_keras, keras_compile_config, \
    keras_optimizer_variables, legacy_training_config, optimizer_from_keras, read_keras_optimizer_state, \
    write_keras_optimizer_state
from minidl.models.sequential import Sequential
from minidl.core.registry import custom_lookup
from minidl.saving.npz import ModelFileError
from minidl.saving.keras_weights import KerasFileError, read_layer_arrays, write_layer_arrays
from minidl.saving.serialization import MODEL_FORMATS, keras_layer_config, keras_module, serialize_keras_object

KERAS_VERSION = "3.15.1"  # the version our files say they follow (the newest we test against)

#: options minidl's layers lack, and the values at which they change nothing
_NEUTRAL = {
    "data_format": {"channels_last"}, "groups": {1}, "activity_regularizer": {None},
    "beta_regularizer": {None}, "gamma_regularizer": {None}, "beta_constraint": {None}, "gamma_constraint": {None},
    "synchronized": {False}, "renorm": {False}, "renorm_clipping": {None}, "quantization_config": {None},
    "lora_rank": {None}, "sparse": {False}, "ragged": {False}, "optional": {False}, "autocast": {True},
}
_IGNORED = {"renorm_momentum", "lora_alpha", "build_config", "batch_size"}  # meaningful only with options above


def _keras_snake_case(name: str) -> str:
    """Keras's snake case of a class name: "BatchNormalization" -> "batch_normalization", "Conv1D" -> "conv1d"."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _h5py() -> Any:
    try:
        import h5py  # noqa: PLC0415 - only Keras files need it
    except ImportError:
        raise KerasFileError("reading and writing Keras files needs h5py (pip install h5py)") from None
    return h5py


# ---------------------------------------------------------------------------- Keras config -> minidl layers
def _accepted_options(cls: type) -> set:
    """The keyword arguments a layer class takes (its own and its bases')."""
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            for parameter in inspect.signature(vars(klass)["__init__"]).parameters.values():
                if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                    names.add(parameter.name)
    return names - {"self"}


def _plain(value: Any) -> Any:
    """A Keras-serialized value as minidl reads it: objects as {"class_name", "config"}, dtype policies as names."""
    if isinstance(value, dict) and "class_name" in value:
        if value["class_name"] in ("DTypePolicy", "Policy"):
            return value.get("config", {}).get("name", "float32")
        config = {key: _plain(item) for key, item in (value.get("config") or {}).items() if item is not None}
        return {"class_name": value["class_name"], "config": config}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _layer_from_keras(entry: dict, where: str) -> Layer:
    """A minidl layer (or model) from one entry of a Keras model config."""
    class_name, config = entry.get("class_name"), dict(entry.get("config") or {})
    name = config.get("name", entry.get("name"))
    if not isinstance(class_name, str):
        raise KerasFileError(f"{where}: layer {name!r} has the class name {class_name!r}; a class name is a string")
    if class_name in ("Functional", "Model", "Sequential"):
        return _model_from_keras(entry, f"{where}/{name}")
    if class_name == "InputLayer":
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        if shape is None:
            raise KerasFileError(f"{where}: input layer {name!r} has no shape")
        dtype = _plain(config.get("dtype", "float32"))
        return InputLayer(tuple(shape[1:]), name=name, dtype=dtype if isinstance(dtype, str) else "float32")
    cls = layers_module.ALL.get(class_name)
    custom = None if cls is not None else custom_lookup(entry.get("registered_name") or class_name) or \
        custom_lookup(class_name)
    if custom is not None:  # the user's own layer, registered or given in custom_objects: its own from_config
        try:
            return custom.from_config({key: _plain(value) for key, value in config.items()})
        except (TypeError, ValueError) as error:
            raise KerasFileError(f"{where}: the custom layer {name!r} ({class_name}) cannot be rebuilt: "
                                 f"{error}") from None
    if cls is None:
        raise KerasFileError(f"{where}: layer {name!r} is a Keras {class_name}, which minidl does not have "
                             f"(it has: {', '.join(sorted(layers_module.ALL))})")
    accepted = _accepted_options(cls)
    options: dict = {}
    for key, value in config.items():
        value = _plain(value)
        if key == "batch_input_shape" and value is not None:
            options["input_shape"] = tuple(value[1:])
        elif key == "dtype" and value not in ("float32", "float64"):
            raise KerasFileError(f"{where}: layer {name!r} ({class_name}) computes in {value!r}; minidl loads "
                                 "float32 and float64 models")
        elif key == "axis" and class_name == "BatchNormalization" and value != -1:
            options["axis"] = _last_axis(value, entry, where, name)
        elif key in accepted:
            options[key] = value
        elif key in _IGNORED or (key in _NEUTRAL and _hashable(value) in _NEUTRAL[key]):
            continue
        else:
            raise KerasFileError(f"{where}: layer {name!r} ({class_name}) has the option {key}={value!r}, which "
                                 "minidl does not support")
    try:
        return cls(**options)
    except (TypeError, ValueError) as error:
        raise KerasFileError(f"{where}: layer {name!r} ({class_name}) cannot be rebuilt: {error}") from None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _last_axis(value: Any, entry: dict, where: str, name: str) -> int:
    """BatchNormalization's axis as saved ([3], 3 or -1): -1 when it is the last axis, else an error."""
    axis = value[0] if isinstance(value, list) and len(value) == 1 else value
    shape = (entry.get("build_config") or {}).get("input_shape")
    if isinstance(axis, int) and (axis == -1 or (shape is not None and axis == len(shape) - 1)):
        return -1
    raise KerasFileError(f"{where}: layer {name!r} (BatchNormalization) normalises axis {value!r}; minidl "
                         "normalises the last (channel) axis only")


def _references(inbound: Any) -> list:
    """A Keras 3 or Keras 2 inbound node as ({"args": [[layer, call, output], ...], "list": bool})."""
    if isinstance(inbound, dict):  # Keras 3: {"args": [tensor or [tensors]], "kwargs": {...}}
        kwargs = {key: {"tensor": list(value["config"]["keras_history"])} if isinstance(value, dict) else value
                  for key, value in (inbound.get("kwargs") or {}).items() if value not in (None, False)}
        kwargs.pop("training", None)
        kwargs.pop("mask", None)  # minidl computes masks again as its layers run, from the same layers
        states = kwargs.pop("initial_state", None)  # an RNN's: minidl's takes its states after the sequence
        arguments = inbound.get("args") or [None]
        several = isinstance(arguments[0], list) or len(arguments) > 1  # mha(query, value): tensors by position
        tensors = list(arguments[0] if isinstance(arguments[0], list) else arguments)
        if states is not None:
            tensors, several = tensors + (states if isinstance(states, list) else [states]), True
        return {"args": [list(t["config"]["keras_history"]) for t in tensors], "list": several,
                **({"kwargs": kwargs} if kwargs else {})}
    # Keras 2: [[layer, call, output, kwargs], ...]
    return {"args": [list(item[:3]) for item in inbound], "list": len(inbound) > 1}


def _endpoints(value: Any) -> Any:
    """input_layers/output_layers: one [layer, call, output], a list of them, or a dict by name."""
    if isinstance(value, dict):
        return {key: list(item[:3]) for key, item in value.items()}
    if value and isinstance(value[0], str):
        return [list(value[:3])]
    return [list(item[:3]) for item in value]


def _model_from_keras(entry: dict, where: str = "model") -> Model:
    class_name, config = entry.get("class_name"), entry.get("config") or {}
    if class_name == "Sequential":
        model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_entry in config["layers"]:  # as Keras: a model without a layer list is no model
            layer = _layer_from_keras(layer_entry, where)
            model.add(layer)
        if not model.built and (config.get("build_input_shape") or (entry.get("build_config") or {}).get(
                "input_shape")):
            shape = config.get("build_input_shape") or entry["build_config"]["input_shape"]
            model.build((None,) + tuple(shape[1:]))  # Keras's batch shape, whatever batch size it recorded
        return model
    if class_name not in ("Functional", "Model"):
        raise KerasFileError(f"{where}: a {class_name} model is not supported (Functional and Sequential are)")
    created, calls = {}, []
    for layer_entry in config["layers"]:
        if str(layer_entry.get("module")).startswith("keras.src.ops") and \
                layer_entry.get("class_name") not in layers_module.ALL:  # x + y is rebuilt as an Add layer; the
            continue  # rest are Keras's masks for later calls' mask= (ids != 0), which minidl's layers compute
        layer = _layer_from_keras(layer_entry, where)
        name = layer_entry.get("name") or layer.name
        created[name] = layer
        try:
            calls.extend((name, index, _references(node)) for index, node in enumerate(layer_entry.get(
                "inbound_nodes", [])))
        except (KeyError, TypeError, IndexError) as error:
            raise KerasFileError(f"{where}: the calls of layer {name!r} cannot be read ({error})") from None
        except KerasFileError as error:
            raise KerasFileError(f"{where}: layer {name!r}: {error}") from None
    return rebuild_graph(created, calls, _endpoints(config["input_layers"]), _endpoints(config["output_layers"]),
                         name=config.get("name"), trainable=config.get("trainable", True))


# ---------------------------------------------------------------------------- weights
def _weight_groups(model: Model, prefix: str = "layers") -> list:
    """(HDF5 group path, layer) for every layer with weights, as Keras 3 names them (nested models recursed)."""
    used: dict = {}
    found = []
    for layer in model.layers:
        base = _keras_snake_case(layer.config_class_name if isinstance(layer, Model) else type(layer).__name__)
        used[base] = used.get(base, -1) + 1
        group = f"{prefix}/{base}" if used[base] == 0 else f"{prefix}/{base}_{used[base]}"
        if isinstance(layer, Model):
            found.extend(_weight_groups(layer, f"{group}/layers"))
        else:
            found.append((group, layer))
    return found


def _read_keras_weights(model: Model, store: Any, path: str) -> None:
    """Keras 3 weights: layers/<group>/vars/0, 1, ... (links and datasets checked by ``safe_hdf5``)."""
    for group, layer in _weight_groups(model):
        if not layer.weights:
            continue
        arrays = read_layer_arrays(store, group, layer, path)
        _set_layer_weights(layer, arrays, path)


def _set_layer_weights(layer: Layer, arrays: list, path: str) -> None:
    try:
        layer.set_weights(arrays)
    except ValueError as error:
        raise KerasFileError(f"{path!r}: the weights of layer {layer.name!r} do not fit it: {error}") from None


def _read_legacy_weights(model: Model, store: Any, path: str) -> None:
    """Legacy weights: a group per top-level layer (a nested model's holds all of its weights, in order)."""
    root = "model_weights" if safe_hdf5.get_group(store, "model_weights", path) is not None else ""
    for layer in model.layers:
        if not layer.weights:
            continue
        group = safe_hdf5.get_group(store, f"{root}/{layer.name}", path)
        if group is None:
            raise KerasFileError(f"{path!r} holds no weights for layer {layer.name!r}")
        listed = safe_hdf5.read_attribute(group, "weight_names", path, "MAX_CONFIG_BYTES")
        listed = [] if listed is None else numpy.atleast_1d(listed).tolist()
        names = [name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name) for name in listed]
        _set_layer_weights(layer, [safe_hdf5.read_dataset(group, name, path) for name in names], path)


def _weight_labels(layer: Layer) -> list:
    """Names of a layer's weights as legacy files list them: "<layer>/<weight>" (nested: per inner layer)."""
    if isinstance(layer, Model):
        return [f"{layer.name}/{label}" for inner in layer.layers for label in _weight_labels(inner)]
    own = [label for label, _, _ in layer._weights]  # a wrapper's are its layers', named by them
    return [f"{layer.name}/{label}" for label in own] if len(own) == len(layer.weights) else [
        f"{layer.name}/{weight.name}" for weight in layer.weights]


# ---------------------------------------------------------------------------- loading
def keras_kind(path: str) -> str | None:
    """"keras" for a .keras archive, "h5" for an HDF5 file, None otherwise (from the first bytes and member names)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "h5"
    if head.startswith(b"PK"):
        with contextlib.suppress(ModelFileError), file_limits.open_zip(path, path) as archive:
            if "config.json" in archive.namelist():
                return "keras"
    return None


def load_keras_model(path: str, kind: str, compile: bool = True) -> Model:
    """A minidl model from a .keras or legacy .h5 file (see the module docstring).

    The HDF5 weights are checked whole (``safe_hdf5.check_hdf5_file``: nothing
    outside the file, bounded sizes) before the model is built, and the model is
    built within the weight values they hold (``file_limits.weight_budget``).
    """
    if kind == "keras":
        with file_limits.open_zip(path, path) as archive:
            entry = file_limits.parse_json(file_limits.read_zip_member(
                archive, "config.json", "MAX_CONFIG_BYTES", path, "the configuration"), path, "config.json")
            store = safe_hdf5.open_hdf5(file_limits.read_zip_member(  # held once, by the HDF5 file
                archive, "model.weights.h5", "MAX_WEIGHT_BYTES", path, "the weights"), path)
        with store:
            model = _model_within_budget(entry, safe_hdf5.check_hdf5_file(store, path), path)
            _read_keras_weights(model, store, path)
            optimizer_variables = keras_optimizer_variables(store)
        training = entry.get("compile_config")
    else:
        with open(path, "rb") as handle, safe_hdf5.open_hdf5(handle, path) as store:  # no file lock needed
            budget = safe_hdf5.check_hdf5_file(store, path)
            text = safe_hdf5.read_text_attribute(store, "model_config", path)
            if text is None:
                raise KerasFileError(f"{path!r} is an HDF5 file without a model_config: a weights-only file? "
                                     "Build the model and call model.load_weights instead")
            model = _model_within_budget(file_limits.parse_json(text, path, "model_config"), budget, path)
            _read_legacy_weights(model, store, path)
            text = safe_hdf5.read_text_attribute(store, "training_config", path)
            training = file_limits.parse_json(text, path, "training_config") if text else None
    if compile and training:
        _compile_from_keras(model, training, path)
        if kind == "keras" and getattr(model, "optimizer", None) is not None:
            read_keras_optimizer_state(model, optimizer_variables, path)
    return model


def _model_within_budget(entry: Any, budget: int, path: str) -> Model:
    """The model of a Keras configuration, built within ``budget`` weight values; any malformation named."""
    if not isinstance(entry, dict):
        raise KerasFileError(f"{path!r}: its configuration is JSON but not an object")
    try:
        with file_limits.weight_budget(budget, path):
            return _model_from_keras(entry, os.path.basename(path))
    except ModelFileError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, RecursionError, OverflowError) as error:
        raise KerasFileError(f"{path!r}: its configuration cannot be rebuilt ({one_line(error)})") from None


def _compile_from_keras(model: Model, training: dict, path: str) -> None:
    """Compile as the file says (optimizer, loss, metrics); anything minidl cannot follow is a warning, not a stop."""
    import warnings

    try:
        optimizer = optimizer_from_keras(training.get("optimizer") or training.get("optimizer_config"))
        model.compile(optimizer=optimizer, loss=compile_arguments_from_keras(training.get("loss")),
                      metrics=compile_arguments_from_keras(training.get("metrics")),
                      loss_weights=training.get("loss_weights"))
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as error:
        warnings.warn(f"{path!r}: the model is loaded uncompiled; its training settings cannot be followed "
                      f"({error})", stacklevel=3)


# ---------------------------------------------------------------------------- saving
#: options Keras 3.15 writes for no layer of these classes and refuses on reading
_KERAS_REFUSES = {"SpatialDropout1D": ("trainable",), "SpatialDropout2D": ("trainable",)}

#: minidl's layer classes that Keras has under the same name and options
_KERAS_LAYERS = set(layers_module.ALL) - {"GroupPooling", "GroupShuffle"}


def _keras_layer_entry(layer: Layer) -> dict:
    """One layer as Keras 3 writes it: a built-in with module "keras.layers", a user's own with its registered name.

    A user's layer carries its ``get_config`` (its own keys, serialized) and,
    as Keras writes, the shape it was built for, so that a reader can build
    it before its weights are set.
    """
    if isinstance(layer, Model):
        return _keras_entry(layer)
    if keras_module(layer) is None:  # the user's own class
        entry = serialize_keras_object(layer)
        shapes = [list(node.input_tensors[0].shape) for node in layer.inbound_nodes if node.input_tensors] \
            if getattr(layer, "inbound_nodes", None) else []
        if shapes:
            entry["build_config"] = {"input_shape": [None, *shapes[0]]}
        return entry
    if type(layer).__name__ not in _KERAS_LAYERS:
        raise KerasFileError(f"layer {layer.name!r} is a minidl {type(layer).__name__}, which Keras does not have; "
                             "save this model as a minidl file (.npz) instead")
    config = keras_layer_config(layer)
    for key in _KERAS_REFUSES.get(type(layer).__name__, ()):
        config.pop(key, None)
    return {"module": "keras.layers", "class_name": type(layer).__name__, "config": config, "registered_name": None}


def _keras_entry(model: Model) -> dict:
    """The config.json object of a minidl model, in Keras 3's layout."""
    if isinstance(model, Sequential):
        model._require_built("save")
        layer_entries = [{"module": "keras.layers", "class_name": "InputLayer",
                          "config": keras_layer_config(model._input_layer), "registered_name": None}]
        layer_entries += [_keras_layer_entry(layer) for layer in model.layers]
        return {"module": "keras", "class_name": "Sequential", "registered_name": None,
                "config": {"name": model.name, "trainable": model.trainable, "layers": layer_entries}}
    graph = model.get_config()
    shapes = {(node.layer.name, tensor.index): list(tensor.shape) for node in model._graph_nodes
              for tensor in node.outputs}
    entries = []
    by_name = {layer.name: layer for layer in model.layers}
    for item in graph["layers"]:
        entry = _keras_layer_entry(by_name[item["name"]])
        entry["name"] = item["name"]
        layer = by_name[item["name"]]
        recurrent = hasattr(layer, "go_backwards") or hasattr(layer, "merge_mode")
        positional = getattr(layer, "keras_positional_inputs", False)
        entry["inbound_nodes"] = [_keras_node(shapes, call, recurrent, positional) for call in item["inbound_nodes"]]
        entries.append(entry)
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": entries,
                       "input_layers": graph["input_layers"], "output_layers": graph["output_layers"]}}


def _keras_node(shapes: dict, call: dict, recurrent: bool = False, positional: bool = False) -> dict:
    """One call as Keras 3 writes it; ``shapes``: (layer name, output index) -> the tensor's shape. A recurrent
    layer's states after its sequence are Keras's ``initial_state=``; ``positional``: the layer takes its tensors
    as separate arguments (``mha(query, value)``)."""
    def tensor(ref: list) -> dict:
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shapes.get((ref[0], ref[2])), "dtype": "float32", "keras_history": ref}}
    tensors = [tensor(ref) for ref in call["args"]]
    kwargs = {key: tensor(value["tensor"]) if isinstance(value, dict) else value
              for key, value in (call.get("kwargs") or {}).items()}
    if recurrent and call.get("list"):
        return {"args": [tensors[0]], "kwargs": {**kwargs, "initial_state": tensors[1:]}}
    return {"args": tensors if positional else [tensors if call.get("list") else tensors[0]], "kwargs": kwargs}


def save_keras_model(model: Model, path: str) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` archive (or a legacy ``.h5`` file) that Keras loads."""
    h5py = _h5py()
    path = os.fspath(path)
    entry = _keras_entry(model)
    compile_config = keras_compile_config(model)
    temporary = f"{path}.partial"
    try:
        if path.endswith((".h5", ".hdf5")):
            with h5py.File(temporary, "w") as store:
                store.attrs["model_config"] = json.dumps({"class_name": entry["class_name"],
                                                          "config": entry["config"]})
                store.attrs["keras_version"] = KERAS_VERSION
                store.attrs["backend"] = "tensorflow"
                if compile_config is not None:
                    store.attrs["training_config"] = json.dumps(legacy_training_config(compile_config))
                weights = store.create_group("model_weights")
                weights.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
                for layer in model.layers:
                    group = weights.create_group(layer.name)
                    names = _weight_labels(layer)
                    group.attrs["weight_names"] = [name.encode() for name in names]
                    for name, array in zip(names, layer.get_weights()):
                        group.create_dataset(name, data=array)
        else:
            buffer = io.BytesIO()
            with h5py.File(buffer, "w") as store:
                store.create_group("vars")
                for group, layer in _weight_groups(model):
                    write_layer_arrays(store, group, layer)
                if compile_config is not None:
                    write_keras_optimizer_state(store, model)
            with zipfile.ZipFile(temporary, "w") as archive:
                archive.writestr("metadata.json", json.dumps({
                    "keras_version": KERAS_VERSION,
                    "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"), "writer": "minidl"}))
                archive.writestr("config.json", json.dumps(
                    entry if compile_config is None else {**entry, "compile_config": compile_config}))
                archive.writestr("model.weights.h5", buffer.getvalue())
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise OSError(f"cannot write the Keras file {path!r}: {error.strerror or error}") from None
    except Exception:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


FILE_WRITERS.update({".keras": save_keras_model, ".h5": save_keras_model, ".hdf5": save_keras_model})
MODEL_FORMATS.update({"read_layer": _layer_from_keras, "write_model": _keras_entry})
