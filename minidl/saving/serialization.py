"""Keras 3's object serialization: ``serialize_keras_object`` and ``deserialize_keras_object``.

An object is written as Keras 3 writes it, so that Keras reads minidl's
configs and minidl reads Keras's::

    {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": None}

- a built-in object names Keras's module and no registered name;
- a user's class has ``module`` None and ``registered_name`` "package>Name"
  (its ``register_keras_serializable`` name) or its class name;
- a function is ``{"module": "builtins", "class_name": "function",
  "config": its name, "registered_name": "function"}``;
- None, numbers, strings, lists and dicts of them are themselves.

Reading looks names up among the custom objects in scope, the registered
ones and minidl's built-in objects, never anywhere else: a config cannot
make minidl import or run code it names. Layers and models are read by
``minidl.saving.keras_files`` (it translates Keras's layer options into
minidl's); it puts its reader and writer in ``MODEL_FORMATS`` when
``minidl.models`` is imported.
"""

from __future__ import annotations

import inspect
from typing import Any

from minidl import activations, constraints, initializers, losses, metrics, optimizers, regularizers, schedules
from minidl import layers as layers_module
from minidl.layers import InputLayer, Layer
from minidl.core.registry import custom_lookup, custom_object_scope, registered_name

#: filled by minidl.saving.keras_files: "read_layer" (entry -> layer or model) and "write_model" (model -> entry)
MODEL_FORMATS: dict = {}

#: minidl's modules of built-in objects and the Keras module each stands for
_KERAS_MODULES = {
    "minidl.layers": "keras.layers", "minidl.losses": "keras.losses", "minidl.metrics": "keras.metrics",
    "minidl.training.streaming": "keras.metrics", "minidl.optimizers": "keras.optimizers",
    "minidl.schedules": "keras.optimizers.schedules", "minidl.initializers": "keras.initializers",
    "minidl.regularizers": "keras.regularizers", "minidl.constraints": "keras.constraints",
    "minidl.activations": "keras.activations",
}

#: the registries that name minidl's built-in classes and functions, by Keras module
_REGISTRIES = {
    "keras.losses": losses.REGISTRY, "keras.metrics": metrics.REGISTRY, "keras.optimizers": optimizers.REGISTRY,
    "keras.optimizers.schedules": schedules.REGISTRY, "keras.initializers": initializers.REGISTRY,
    "keras.regularizers": regularizers.REGISTRY, "keras.constraints": constraints.REGISTRY,
    "keras.activations": activations.REGISTRY,
}

#: config keys of nested objects in a built-in layer's config, and the Keras module of each kind
_NESTED_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
                   "constraint": "keras.constraints"}


class SerializationError(ValueError):
    """An object or config that cannot be (de)serialized; the message names it and says why."""


def keras_module(obj: Any) -> str | None:
    """The Keras module of a minidl built-in object ("keras.layers", ...), None for a user's own."""
    module = getattr(type(obj) if not isinstance(obj, type) else obj, "__module__", "") or ""
    for prefix, keras_name in _KERAS_MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            return keras_name
    return None


def keras_object(serialized: Any, module: str | None) -> Any:
    """minidl's ``{"class_name", "config"}`` as Keras writes an object (with its module and registered name)."""
    if not (isinstance(serialized, dict) and "class_name" in serialized):
        return serialized
    class_name, registered = str(serialized["class_name"]), None
    if ">" in class_name:  # a registered user class: "package>Name"
        registered, class_name, module = class_name, class_name.rpartition(">")[2], None
    return {"module": module, "class_name": class_name, "config": serialized.get("config", {}),
            "registered_name": registered}


def keras_layer_config(layer: Layer) -> dict:
    """A built-in layer's config as Keras 3 writes it (nested initializers etc. with their modules)."""
    if isinstance(layer, InputLayer):
        return {"batch_shape": [None, *layer.shape], "dtype": layer.dtype.name, "sparse": False, "ragged": False,
                "name": layer.name}
    config = dict(layer.get_config())
    config.pop("input_shape", None)
    for key, inner in (layer.wrapped_layers() if hasattr(layer, "wrapped_layers") else {}).items():
        config[key] = [_wrapped_entry(item) for item in inner] if isinstance(inner, list) else _wrapped_entry(inner)
    for key, value in list(config.items()):
        for suffix, module in _NESTED_MODULES.items():
            if key.endswith(suffix):
                config[key] = keras_object(value, module)
    return config


def _wrapped_entry(inner: Any) -> dict:
    """A layer inside a layer (Bidirectional's, an RNN's cell or cells) as Keras writes it; a user's own too."""
    if keras_module(inner) != "keras.layers":
        return serialize_keras_object(inner)
    return {"module": "keras.layers", "class_name": type(inner).__name__, "config": keras_layer_config(inner),
            "registered_name": None}


def _function_name(function: Any) -> str:
    name = registered_name(function)
    if name is None:
        name = getattr(function, "__name__", None)
    if not name or name == "<lambda>":
        raise SerializationError(f"serialize_keras_object: the function {function!r} has no name to save it by; "
                                 "define it with def and register it with register_keras_serializable")
    return name


def serialize_keras_object(obj: Any) -> Any:
    """``obj`` as Keras 3's JSON-ready dict (see the module docstring); a SerializationError says what cannot be."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if hasattr(obj, "dtype") and hasattr(obj, "tolist") and not hasattr(obj, "get_config"):  # numpy values
        return obj.tolist()
    if "write_model" in MODEL_FORMATS and hasattr(obj, "_graph_nodes"):
        return MODEL_FORMATS["write_model"](obj)
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        module = keras_module(obj)
        if module == "keras.layers":
            config = keras_layer_config(obj)
        elif module is not None:
            config = {key: serialize_keras_object(keras_object(value, None) if isinstance(value, dict) else value)
                      for key, value in obj.get_config().items()}
        else:
            config = serialize_keras_object(obj.get_config())
        name = registered_name(obj)
        return {"module": module, "class_name": type(obj).__name__, "config": config,
                "registered_name": name if name else (None if module else type(obj).__name__)}
    if callable(obj) and not isinstance(obj, type):
        return {"module": "builtins", "class_name": "function", "config": _function_name(obj),
                "registered_name": "function"}
    raise SerializationError(f"serialize_keras_object: cannot serialize {obj!r} (a {type(obj).__name__}); give it "
                             "get_config (and from_config), or register a function with register_keras_serializable")


def _lookup_function(name: str) -> Any:
    """A function by name: custom objects and registered ones first, then minidl's activations, losses, metrics."""
    found = custom_lookup(name)
    if found is not None:
        return found
    for registry in (activations.REGISTRY, losses.REGISTRY, metrics.REGISTRY):
        entry = registry.entries.get(name.lower())
        if callable(entry) and not isinstance(entry, type):
            return entry
    raise SerializationError(f"deserialize_keras_object: no function named {name!r} (register it with "
                             "register_keras_serializable, or pass it in custom_objects)")


def plain_config(value: Any) -> Any:
    """A Keras-serialized value as minidl's built-in classes read it: objects as {"class_name", "config"}."""
    if isinstance(value, dict) and "class_name" in value:
        if value["class_name"] in ("DTypePolicy", "Policy"):
            return (value.get("config") or {}).get("name", "float32")
        inner = value.get("config")
        inner = {key: plain_config(item) for key, item in inner.items()} if isinstance(inner, dict) else inner
        name = value.get("registered_name")
        return {"class_name": value["class_name"] if name in (None, "function") else name, "config": inner}
    if isinstance(value, list):
        return [plain_config(item) for item in value]
    return value


def _accepted(cls: type, options: dict) -> dict:
    """The options a built-in class names in its constructors: Keras's extra keys ("name", "use_ema"...) dropped."""
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names.update(inspect.signature(vars(klass)["__init__"]).parameters)
    return {key: value for key, value in options.items() if key in names - {"self", "kwargs", "options"}} \
        if names - {"self", "args", "kwargs"} else options


def deserialize_keras_object(config: Any, custom_objects: dict | None = None, safe_mode: bool = True,
                             **kwargs: Any) -> Any:
    """The object a Keras 3 config describes (see the module docstring); ``custom_objects`` name the user's own."""
    with custom_object_scope(custom_objects):
        return _deserialize(config)


def _deserialize(config: Any) -> Any:
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        return _lookup_function(config)
    if isinstance(config, (list, tuple)):
        return [_deserialize(item) for item in config]
    if not isinstance(config, dict):
        raise SerializationError(f"deserialize_keras_object: cannot read {config!r} (a {type(config).__name__})")
    if "class_name" not in config:
        return {key: _deserialize(value) for key, value in config.items()}
    class_name, module = str(config["class_name"]), config.get("module")
    registered, inner = config.get("registered_name"), config.get("config")
    if class_name == "function" or module == "builtins":
        return _lookup_function(str(inner))
    custom = custom_lookup(registered) if registered and registered != class_name else None
    custom = custom or custom_lookup(class_name)
    if custom is not None and not isinstance(custom, type):
        return custom
    is_layer = (custom is not None and issubclass(custom, Layer)) or module in ("keras.layers", "keras",
                                                                                 "keras.src.models.functional") \
        or class_name in layers_module.ALL or class_name in ("Functional", "Sequential", "Model")
    if is_layer and "read_layer" in MODEL_FORMATS:
        return MODEL_FORMATS["read_layer"](config, "deserialize_keras_object")
    if custom is not None:
        return custom.from_config(inner or {}) if hasattr(custom, "from_config") else custom(**(inner or {}))
    registries = [_REGISTRIES[module]] if module in _REGISTRIES else list(_REGISTRIES.values())
    for registry in registries:
        cls = registry.entries.get(class_name.lower())
        if isinstance(cls, type):
            options = {key: _deserialize(value) if isinstance(value, dict) and "class_name" in value
                       else plain_config(value) for key, value in (inner or {}).items()}  # a schedule inside
            return registry.deserialize({"class_name": class_name, "config": _accepted(cls, options)})
    raise SerializationError(f"deserialize_keras_object: unknown class {class_name!r} (module {module!r}); register "
                             "it with register_keras_serializable, or pass it in custom_objects")
