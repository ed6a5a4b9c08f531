"""What a model file from a stranger can make minidl read and allocate: stated bounds, checked before the work.

A model file is a zip archive (minidl's ``.npz``, Keras's ``.keras``) or an
HDF5 file (``.h5``, and the ``model.weights.h5`` inside a ``.keras``). Its
headers announce sizes; nothing here trusts them alone. Every zip member is
checked against its bound from the header *and* read in chunks that stop as
soon as the actual bytes pass it, so a member whose header lies cannot make
the reader hold more. JSON is checked for nesting depth and number of values
before it is parsed (Python's parser recurses once per level and holds every
value as an object of ~50 bytes). An ``.npy`` member's header gives the
array's shape and type: ``prod(shape) * itemsize`` must equal the bytes the
member holds, and stay under the bound, before anything is allocated.

The bounds are module constants (as Pillow's ``Image.MAX_IMAGE_PIXELS``); a
user who trusts a bigger file may raise them, e.g.
``minidl.core.file_limits.MAX_WEIGHT_BYTES = 16 * 2**30``.

Building a model from a file's configuration is bounded too: within
``weight_budget(n)``, layers may create at most n weight values in all (the
number the file's arrays hold), and ``claim_weight`` refuses a layer whose
weight would pass it *before* its array is allocated. A configuration that
asks for ``Dense(units=20_000_000)`` beside 12 stored values ends there.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import json
import math
import re
import struct
import zipfile
import zlib
from typing import Any, BinaryIO, Iterator

import numpy

#: a model's configuration (JSON). Real ones are kilobytes (a 500-layer Keras ResNet: ~1 MB); parsed JSON takes up
#: to ~20x its text in Python objects, so 16 MiB of text bounds the parsed configuration to about 350 MB
MAX_CONFIG_BYTES = 16 * 2**20
#: all weight arrays of one file together (and so any one of them): 4 GiB is a billion float32 values, far beyond
#: what a numpy engine trains; a file's weights are read into memory whole, so this bounds that memory
MAX_WEIGHT_BYTES = 4 * 2**30
#: members of one zip archive: a minidl file holds a member per weight (plus optimizer slots and extra lists),
#: so 20,000 covers a 2,000-layer model with an ensemble of four; the central directory is read before any check
MAX_ZIP_MEMBERS = 20_000
#: nesting of JSON arrays and objects: Keras configurations nest ~10 levels (a few more per nested model);
#: Python's json parser and the readers recurse once per level, and Python's recursion limit is ~1,000
MAX_JSON_DEPTH = 100
#: JSON values (numbers, strings, arrays, objects) in one configuration: a 1,000-layer model has ~100,000
MAX_JSON_VALUES = 2_000_000
#: links (to groups and datasets) of one HDF5 file: a Keras weights file has a few per layer
MAX_HDF5_LINKS = 100_000

_CHUNK = 2**20  # bytes read from a zip member at a time
_NPY_HEADER_BYTES = 10_000 + 16  # numpy's own bound on an .npy header (max_header_size), with its preamble
_DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError)  # a damaged member
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}  # what numpy and Keras write
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string literal (escapes included)
_NUMERIC_KINDS = "biuf"  # booleans, integers, unsigned integers, floats: what weights are


class ModelFileError(ValueError):
    """A file that is not a readable minidl model (or weights) file; the message names it and says why."""


def one_line(error: BaseException) -> str:
    """An exception's text on one line (what a ModelFileError may quote of an error from inside)."""
    if isinstance(error, KeyError) and len(error.args) == 1:  # str(KeyError("x")) is only "'x'"
        return f"no entry {error.args[0]!r}"
    if isinstance(error, (TypeError, AttributeError)):  # a value of the wrong type somewhere in the file
        return f"a value of the wrong type ({' '.join(str(error).split())})"
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------------- zip archives
def open_zip(source: str | BinaryIO, path: str) -> zipfile.ZipFile:
    """A zip archive whose member list passed every check: count, unique safe names, known compression, sizes.

    ``source``: a file name or an open binary file; ``path``: the file's name in messages.
    """
    check_central_directory(source, path)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise ModelFileError(f"{path!r} is not a readable zip archive ({one_line(error)})") from None
    try:
        check_zip_members(archive, path)
    except ModelFileError:
        archive.close()
        raise
    return archive


def check_central_directory(source: str | BinaryIO, path: str) -> None:
    """Refuse an archive whose end record announces more members than allowed, before zipfile parses them all.

    ``zipfile`` builds an object of ~500 bytes per member of the central
    directory (46 bytes each in the file) when it opens an archive; the end
    record (and its zip64 twin) at the end of the file gives their number.
    An archive whose end record cannot be found is left to ``zipfile`` to refuse.
    """
    handle = open(source, "rb") if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else source
    try:
        start = handle.tell()
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65_536 - 22))
        tail = handle.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) - end < 22:
            return
        members = struct.unpack_from("<H", tail, end + 10)[0]
        locator = end - 20
        if members == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            handle.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
            record = handle.read(56)
            if len(record) == 56 and record.startswith(b"PK\x06\x06"):
                members = struct.unpack_from("<Q", record, 32)[0]
        handle.seek(start)
    except (OSError, ValueError, OverflowError, struct.error):
        return
    finally:
        if handle is not source:
            handle.close()
    if members > MAX_ZIP_MEMBERS:
        raise ModelFileError(f"{path!r} holds {members:,} zip members; a model file holds at most "
                             f"{MAX_ZIP_MEMBERS:,} (minidl.core.file_limits.MAX_ZIP_MEMBERS)")


def check_zip_members(archive: zipfile.ZipFile, path: str) -> None:
    """Refuse archives with too many members, repeated or escaping names, unknown compression or too many bytes."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ModelFileError(f"{path!r} holds {len(members):,} zip members; a model file holds at most "
                             f"{MAX_ZIP_MEMBERS:,} (minidl.core.file_limits.MAX_ZIP_MEMBERS)")
    names = set()
    for member in members:
        name = member.filename
        if name in names:
            raise ModelFileError(f"{path!r} holds the zip member {name!r} twice")
        names.add(name)
        if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) or ":" in name:
            raise ModelFileError(f"{path!r} holds a zip member named {name!r}, a path outside the archive")
        if member.compress_type not in _ZIP_METHODS:
            raise ModelFileError(f"{path!r}: zip member {name!r} uses compression method {member.compress_type}; "
                                 "model files are stored or deflated")
    total = sum(member.file_size for member in members)
    if total > MAX_CONFIG_BYTES + MAX_WEIGHT_BYTES:
        raise ModelFileError(f"{path!r} announces {total:,} bytes once unpacked; a model file holds at most "
                             f"{MAX_CONFIG_BYTES + MAX_WEIGHT_BYTES:,} (minidl.core.file_limits)")


def read_zip_member(archive: zipfile.ZipFile, name: str, bound: str, path: str, what: str) -> bytearray:
    """The bytes of member ``name``, at most the bound named ``bound``: checked in its header, then while reading."""
    stream = open_zip_member(archive, name, bound, path, what)
    with stream:
        return read_bounded(stream, archive.getinfo(name).file_size, path, f"{what} ({name})")


def open_zip_member(archive: zipfile.ZipFile, name: str, bound: str, path: str, what: str,
                    allowance: int = 0) -> BinaryIO:
    """An open stream of member ``name`` once its announced size passed the bound named ``bound`` (+ ``allowance``).

    Read it with ``read_bounded``.
    """
    try:
        member = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{path!r} holds no {name!r} ({what})") from None
    limit = globals()[bound] + allowance
    if member.file_size > limit:
        raise ModelFileError(f"{path!r}: {what} ({name}) announces {member.file_size:,} bytes; at most {limit:,} "
                             f"are read (minidl.core.file_limits.{bound})")
    try:
        return archive.open(member)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise ModelFileError(f"{path!r}: cannot read {what} ({name}): {one_line(error)}") from None


def read_bounded(stream: BinaryIO, size: int, path: str, what: str, into: bytearray | None = None) -> bytearray:
    """Exactly ``size`` bytes from ``stream`` (appended to ``into``), in chunks; more or fewer is a ModelFileError."""
    data = bytearray() if into is None else into
    start = len(data)
    while len(data) - start <= size:
        try:
            chunk = stream.read(min(_CHUNK, size - (len(data) - start) + 1))
        except _DAMAGED as error:
            raise ModelFileError(f"{path!r}: {what} is damaged or truncated ({one_line(error)})") from None
        if not chunk:
            break
        data += chunk
    if len(data) - start > size:
        raise ModelFileError(f"{path!r}: {what} holds more bytes than its header announces ({size:,}); "
                             "the archive is damaged or forged")
    if len(data) - start != size:
        raise ModelFileError(f"{path!r}: {what} is truncated ({len(data) - start:,} of {size:,} bytes)")
    return data


# ---------------------------------------------------------------------------- .npy arrays
def read_npy_member(archive: zipfile.ZipFile, name: str, bound: str, path: str) -> numpy.ndarray:
    """A numeric array from the ``.npy`` member ``name``: header checked against the member's size and ``bound``.

    Refused: object (pickled) and other non-numeric types, shapes whose
    ``prod(shape) * itemsize`` differs from the bytes stored or passes the bound named ``bound``.
    """
    stream = open_zip_member(archive, name, bound, path, "an array", allowance=_NPY_HEADER_BYTES)
    size = archive.getinfo(name).file_size
    with stream:
        prefix = _read_prefix(stream, min(size, _NPY_HEADER_BYTES), path, name)
        header = io.BytesIO(prefix)
        shape, fortran_order, dtype = _npy_header(header, path, name)
        offset = header.tell()
        count = math.prod(shape)
        if count * dtype.itemsize != size - offset:
            raise ModelFileError(f"{path!r}: the array {name!r} announces shape {shape} of {dtype} "
                                 f"({count * dtype.itemsize:,} bytes) but holds {size - offset:,} bytes")
        data = bytearray(prefix[offset:])
        read_bounded(stream, size - len(prefix), path, f"the array {name!r}", into=data)
    array = numpy.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


def _read_prefix(stream: BinaryIO, size: int, path: str, name: str) -> bytes:
    try:
        prefix = stream.read(size)
    except _DAMAGED as error:
        raise ModelFileError(f"{path!r}: the array {name!r} is damaged ({one_line(error)})") from None
    if len(prefix) < size:
        raise ModelFileError(f"{path!r}: the array {name!r} is truncated")
    return prefix


def _npy_header(header: BinaryIO, path: str, name: str) -> tuple:
    """(shape, fortran_order, dtype) of an .npy header, numeric types only (numpy's own header parser)."""
    from numpy.lib import format as npy  # noqa: PLC0415

    try:
        version = npy.read_magic(header)
        read = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
        if read is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran_order, dtype = read(header, max_header_size=10_000)
    except (ValueError, TypeError, SyntaxError, EOFError, OverflowError, MemoryError) as error:
        raise ModelFileError(f"{path!r}: the array {name!r} has a damaged header ({one_line(error)})") from None
    if dtype.hasobject:
        raise ModelFileError(f"{path!r}: the array {name!r} holds Python objects (a pickle); minidl reads numeric "
                             "arrays only and never unpickles")
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ModelFileError(f"{path!r}: the array {name!r} has type {dtype}; weights are numeric arrays")
    if any(extent < 0 for extent in shape):
        raise ModelFileError(f"{path!r}: the array {name!r} announces the shape {shape}")
    return tuple(shape), fortran_order, dtype


# ---------------------------------------------------------------------------- JSON
def parse_json(data: bytes | bytearray | str, path: str, what: str) -> Any:
    """JSON text parsed once its depth and number of values passed their bounds; anything wrong: ModelFileError."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{path!r}: {what} has {len(data):,} bytes; at most {MAX_CONFIG_BYTES:,} are read "
                             "(minidl.core.file_limits.MAX_CONFIG_BYTES)")
    depth, values = json_structure(bytes(data))
    if depth > MAX_JSON_DEPTH:
        raise ModelFileError(f"{path!r}: {what} nests {depth} levels deep; at most {MAX_JSON_DEPTH} are read "
                             "(minidl.core.file_limits.MAX_JSON_DEPTH)")
    if values > MAX_JSON_VALUES:
        raise ModelFileError(f"{path!r}: {what} holds about {values:,} values; at most {MAX_JSON_VALUES:,} are read "
                             "(minidl.core.file_limits.MAX_JSON_VALUES)")
    try:
        return json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ModelFileError(f"{path!r}: {what} is not JSON ({one_line(error)})") from None


def json_structure(data: bytes) -> tuple[int, int]:
    """(deepest nesting of arrays and objects, number of values) of JSON text, without parsing or recursion.

    String literals are blanked first, so brackets and commas inside them do not count; values
    are counted as commas plus opening brackets plus one (an upper bound, exact for valid JSON).
    """
    stripped = numpy.frombuffer(_STRING.sub(b'""', data), dtype=numpy.uint8)
    depth = deepest = 0
    values = 1
    for start in range(0, len(stripped), _CHUNK):
        chunk = stripped[start:start + _CHUNK]
        opening = (chunk == ord("[")) | (chunk == ord("{"))
        step = opening.astype(numpy.int32) - ((chunk == ord("]")) | (chunk == ord("}")))
        running = depth + numpy.cumsum(step, dtype=numpy.int64)
        if len(running):
            deepest = max(deepest, int(running.max()))
            depth = int(running[-1])
        values += int(numpy.count_nonzero(opening)) + int(numpy.count_nonzero(chunk == ord(",")))
    return deepest, values


# ---------------------------------------------------------------------------- building within a weight budget
_WEIGHT_BUDGET: contextvars.ContextVar = contextvars.ContextVar("minidl_weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(values: int, path: str) -> Iterator[None]:
    """Within the block, layers create at most ``values`` weight values in all (see ``claim_weight``).

    ``values``: how many numbers the file's weight arrays hold; a model whose
    configuration matches its weights needs no more.
    """
    token = _WEIGHT_BUDGET.set({"left": int(values), "total": int(values), "path": path})
    try:
        yield
    finally:
        _WEIGHT_BUDGET.reset(token)


def claim_weight(label: str, shape: tuple) -> None:
    """Called by ``Layer.add_weight`` before it allocates: inside ``weight_budget``, refuse what passes the budget."""
    budget = _WEIGHT_BUDGET.get()
    if budget is None:
        return
    values = math.prod(int(extent) for extent in shape)
    if values > budget["left"]:
        raise ModelFileError(
            f"{budget['path']!r}: its configuration gives {label} the shape {tuple(shape)} ({values:,} values), "
            f"but the file's weight arrays hold {budget['total']:,} values in all ({budget['left']:,} not yet "
            "claimed): configuration and weights do not match")
    budget["left"] -= max(values, 0)
