"""Look-ups of Keras-style identifiers: a name ("adam"), a config dict, or the object itself.

Every kind of named object (initializers, activations, regularizers,
losses, metrics, schedules, optimizers, layers) has one ``Registry``, and
every one answers the same way:

- a name (case-insensitive; a class name such as "GlorotUniform" too)
  gives the registered object, instantiated with its defaults when it is a
  class (``instantiate=True``);
- ``{"class_name": ..., "config": {...}}`` gives ``cls.from_config(config)``
  (or ``cls(**config)``), as written by ``serialize``;
- an instance of ``base``, or any callable that is not a class, is
  returned unchanged (a user's own function or object);
- ``None`` gives ``none``, where the kind allows it;
- anything else, and an unknown name, is a ValueError that lists every
  valid name, in one format for all kinds.

A user's own classes and functions (a custom layer, activation, loss or
metric) are found by name too once registered, Keras's pattern:
``@register_serializable(package="my_course")`` records them as
"my_course>Name", and ``load_model(path, custom_objects={...})`` names
others for one load. Nothing else is ever looked up: a file cannot make
minidl import or run code it names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_NOT_ALLOWED = object()

_REGISTERED: dict[str, Any] = {}  # "package>name" -> the class or function
_REGISTERED_NAMES: dict[Any, str] = {}  # the class or function -> "package>name"
_SCOPES: list[dict] = []  # the custom_objects of the loads in progress


def register_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Decorator: make a class or function loadable by name, as "package>name" (Keras's register_keras_serializable).

    ::

        @register_serializable(package="course")
        class Maxout(Layer): ...
    """
    if ">" in package:
        raise ValueError(f"register_serializable: the package name cannot contain '>', got {package!r}")

    def decorate(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if _REGISTERED.get(key, obj) is not obj:
            raise ValueError(f"register_serializable: {key!r} is already registered to {_REGISTERED[key]!r}")
        _REGISTERED[key] = obj
        _REGISTERED_NAMES[obj] = key
        return obj

    return decorate


def registered_name(obj: Any) -> str | None:
    """"package>name" of a registered class or function (or of an instance of a registered class), else None."""
    for candidate in (obj, type(obj)):
        with contextlib.suppress(TypeError):
            if candidate in _REGISTERED_NAMES:
                return _REGISTERED_NAMES[candidate]
    return None


register_keras_serializable = register_serializable  # Keras's name


def get_custom_objects() -> dict:
    """The live dict of registered objects ({"package>Name": class or function}), as Keras's.

    Entries added to it directly (``get_custom_objects()["swish2"] = swish2``)
    are found by that name when models and configs are read.
    """
    return _REGISTERED


def get_registered_name(obj: Any) -> str:
    """"package>name" of a registered class or function, else its own name (Keras's get_registered_name)."""
    return registered_name(obj) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None) -> Any:
    """The object registered (or given in ``custom_objects``/``module_objects``) under ``name``, else None."""
    with custom_object_scope(custom_objects, module_objects):
        return custom_lookup(name)


@contextlib.contextmanager
def custom_object_scope(*objects: dict | None) -> Iterator[None]:
    """Within the block, names in each dict of ``objects`` ({name in the file: class or function}) resolve to them.

    ``with custom_object_scope({"Maxout": Maxout}, {"my_loss": my_loss}):`` as Keras's (CustomObjectScope).
    """
    scope: dict = {}
    for given in objects:
        if given is not None and not isinstance(given, dict):
            raise ValueError(f"custom_object_scope: give dicts of {{name: class or function}}, got {given!r}")
        scope.update(given or {})
    _SCOPES.append(scope)
    try:
        yield
    finally:
        _SCOPES.pop()


CustomObjectScope = custom_object_scope  # Keras's class name for the same context manager


def custom_lookup(name: str) -> Any:
    """The object a name stands for among custom objects in scope or registered ones, or None."""
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    matches = {id(obj): obj for key, obj in _REGISTERED.items() if key.rpartition(">")[2] == name}
    return next(iter(matches.values())) if len(matches) == 1 else None


def snake_case(name: str) -> str:
    """'GlorotUniform' -> 'glorot_uniform', 'MaxPooling2D' -> 'max_pooling2d'."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and (name[i - 1].islower() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class Registry:
    """The named objects of one ``kind`` ("loss", "optimizer", ...); see the module docstring."""

    def __init__(self, kind: str, entries: dict, base: type | None = None, instantiate: bool = True,
                 none: Any = _NOT_ALLOWED) -> None:
        self.kind, self.base, self.instantiate, self.none = kind, base, instantiate, none
        self.names = sorted(entries)
        self.entries = {name.lower(): entry for name, entry in entries.items()}
        for entry in entries.values():  # class names too: "GlorotUniform", "glorotuniform"
            if isinstance(entry, type):
                self.entries.setdefault(snake_case(entry.__name__), entry)
                self.entries.setdefault(entry.__name__.lower(), entry)

    def lookup(self, name: Any) -> Any:
        """The object called ``name`` (built in, registered or a custom object in scope), or a ValueError."""
        key = name.lower() if isinstance(name, str) else name
        if key not in self.entries:
            custom = custom_lookup(name) if isinstance(name, str) else None
            if custom is not None:
                return custom
            raise ValueError(f"unknown {self.kind} {name!r}; valid names are: {', '.join(self.names)} (or a name "
                             "registered with register_serializable, or given in custom_objects)")
        return self.entries[key]

    def get(self, identifier: Any) -> Any:
        """The object an identifier stands for (name, config dict, instance, callable or None)."""
        if identifier is None and self.none is not _NOT_ALLOWED:
            return self.none
        if isinstance(identifier, str):
            entry = self.lookup(identifier)
            return entry() if self.instantiate and isinstance(entry, type) else entry
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if (self.base is not None and isinstance(identifier, self.base)) or (
            callable(identifier) and not isinstance(identifier, type)
        ):
            return identifier
        raise ValueError(f"cannot interpret {identifier!r} as a {self.kind}; valid names are: {', '.join(self.names)}")

    def deserialize(self, config: dict) -> Any:
        """An object from ``{"class_name": ..., "config": ...}``."""
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"a {self.kind} config must be a dict with a 'class_name', got {config!r}")
        cls = self.lookup(str(config["class_name"]))
        options = config.get("config", {})
        if not isinstance(options, dict):
            raise ValueError(f"the config of {self.kind} {config['class_name']!r} must be a dict, got {options!r}")
        return cls.from_config(options) if hasattr(cls, "from_config") else cls(**options)


def serialize(obj: Any) -> dict:
    """``{"class_name": ..., "config": ...}`` of an object with ``get_config`` (a registered class by its registered name)."""
    return {"class_name": registered_name(obj) or type(obj).__name__, "config": obj.get_config()}
