"""Look-ups of Keras-style identifiers ("adam", "relu", {"class_name": ..., "config": ...}).

One rule everywhere: an unknown name is a ValueError that lists the valid ones.
"""

from __future__ import annotations

from typing import Any


def lookup(kind: str, name: str, table: dict) -> Any:
    """``table[name]`` (case-insensitive), or a ValueError listing every valid name of ``kind``."""
    key = name.lower() if isinstance(name, str) else name
    if key not in table:
        raise ValueError(f"unknown {kind} {name!r}; valid names are: {', '.join(sorted(table))}")
    return table[key]


def snake_case(name: str) -> str:
    """'GlorotUniform' -> 'glorot_uniform', 'MaxPooling2D' -> 'max_pooling2d'."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and (name[i - 1].islower() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
