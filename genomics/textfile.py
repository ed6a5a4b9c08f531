"""Reading a user's text file whole, with every failure as one sentence naming the file.

Scenario files (TOML) and demes YAML files come from strangers too: they
are read by ``read_toml`` and ``read_yaml``, which bound the file's size and
what it may expand to (YAML aliases), and ``path_within`` keeps a name read
from a file (a shard of a manifest, a scenario's file) inside its folder.

A missing file stays a ``FileNotFoundError`` (the command line reports it as
one line); a folder, an unreadable file or bytes that are not UTF-8 become
a ``ValueError`` that names the path and what was expected.
"""

from __future__ import annotations

import os
from typing import Any


def read_text(path: str, what: str = "text file") -> str:
    """The whole content of ``path`` as text; ``what`` names the expected kind in the error."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no {what} at {path!r}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a UTF-8 {what} (byte {error.start} is {error.object[error.start]:#04x})") \
            from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the {what} ({error.strerror})") from None


MAX_DOCUMENT_BYTES = 1 << 20     # a scenario file (TOML) or a demes YAML file
MAX_DOCUMENT_VALUES = 100_000    # tables, lists and scalars of one document, YAML aliases counted at each use
MAX_DOCUMENT_DEPTH = 64          # tables and lists inside one another


def path_within(directory: str, name: Any, what: str) -> str:
    """The path of ``name`` (relative to ``directory``), refused unless it stays inside that folder.

    Absolute names, ``..`` that climb out and links that lead out are a
    ``ValueError`` naming the folder and the name; the check compares the
    resolved paths (``os.path.realpath``), so it holds for names that do not
    exist yet (files about to be written).
    """
    if not isinstance(name, str) or not name or "\0" in name or os.path.isabs(name):
        raise ValueError(f"{directory}: the {what} {name!r} is not a relative file name inside that folder")
    root = os.path.realpath(directory)
    resolved = os.path.realpath(os.path.join(root, name))
    if resolved == root or os.path.commonpath([root, resolved]) != root:
        raise ValueError(f"{directory}: the {what} {name!r} leads outside that folder (to {resolved!r})")
    return os.path.join(directory, name)


def _read_bounded(path: str, what: str) -> str:
    """The text of ``path``, refused when larger than ``MAX_DOCUMENT_BYTES``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise FileNotFoundError(f"no {what} at {path!r}") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the {what} ({error.strerror})") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{path}: the {what} is larger than {MAX_DOCUMENT_BYTES} bytes; a scenario needs far less")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: the {what} is not a UTF-8 text file (byte {error.start} is "
                         f"{data[error.start]:#04x})") from None


def check_document_size(document: Any, path: str, what: str) -> None:
    """Refuse a parsed document of more than ``MAX_DOCUMENT_VALUES`` values or ``MAX_DOCUMENT_DEPTH`` levels.

    The walk uses its own stack and counts a value each time it is reached,
    so a YAML alias counts at every use (a 631-byte file of nested aliases
    that would expand to millions of values, or an alias of itself, stops at
    the bound) and the work is at most the bound.
    """
    pending, values = [(document, 1)], 0
    while pending:
        node, depth = pending.pop()
        values += 1
        if values > MAX_DOCUMENT_VALUES:
            raise ValueError(f"{path}: the {what} expands to more than {MAX_DOCUMENT_VALUES} values (YAML aliases "
                             "count at each use); a scenario needs far fewer")
        if depth > MAX_DOCUMENT_DEPTH:
            raise ValueError(f"{path}: the {what} nests tables or lists more than {MAX_DOCUMENT_DEPTH} deep")
        if isinstance(node, dict):
            pending.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            pending.extend((value, depth + 1) for value in node)


def read_toml(path: str, what: str = "scenario file") -> dict:
    """A TOML document of at most ``MAX_DOCUMENT_BYTES``, values and depth bounded; failures are one ValueError."""
    try:
        import tomllib  # noqa: PLC0415
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # noqa: PLC0415
    text = _read_bounded(path, what)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ValueError(f"{path}: the {what} nests tables or arrays too deeply to read") from None
    check_document_size(document, path, what)
    return document


def read_yaml(path: str, what: str = "demes YAML file") -> Any:
    """A YAML document (safe types only) of at most ``MAX_DOCUMENT_BYTES``, whose expansion is bounded."""
    from ruamel.yaml import YAML  # noqa: PLC0415 - demes' own dependency, and its reader
    from ruamel.yaml.error import YAMLError  # noqa: PLC0415

    text = _read_bounded(path, what)
    try:
        document = YAML(typ="safe").load(text)
    except YAMLError as error:
        raise ValueError(f"{path}: the {what} is not valid YAML: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise ValueError(f"{path}: the {what} nests lists or mappings too deeply to read") from None
    check_document_size(document, path, what)
    return document
