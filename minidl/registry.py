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
"""

from __future__ import annotations

from typing import Any

_NOT_ALLOWED = object()


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
        """The registered object called ``name``, or a ValueError listing every valid name."""
        key = name.lower() if isinstance(name, str) else name
        if key not in self.entries:
            raise ValueError(f"unknown {self.kind} {name!r}; valid names are: {', '.join(self.names)}")
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
    """``{"class_name": ..., "config": ...}`` of an object with ``get_config``."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}
