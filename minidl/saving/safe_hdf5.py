"""HDF5 files from strangers: read only what lies inside the file, in bounded memory.

HDF5 can place a dataset's values elsewhere: in raw files named by the
dataset (external storage, ``create_dataset(..., external=[("/etc/passwd",
0, n)])``), in other HDF5 files (external links, virtual datasets), or at
another path of the same file (soft links). A Keras weights file uses none of
these, and reading one would hand the bytes of another file to the model's
weights. So before any value is read, ``check_hdf5_file`` walks every link of
the file (iteratively, each object once) and refuses

- any link that is not a hard link (soft, external or user-defined links),
- any dataset whose values lie outside the file (external storage, virtual),
- any dataset that is filtered (compressed: Keras writes none, and a filtered
  dataset's stored size says nothing of its size once read), or that stores
  fewer bytes than ``prod(shape) * itemsize`` (its values would be invented),
- more links than ``MAX_HDF5_LINKS`` or more weight bytes than
  ``MAX_WEIGHT_BYTES`` (see ``minidl.core.file_limits``).

What is then read (``read_dataset``, ``read_text_attribute``) goes through
paths checked link by link again. Every value a file stores is therefore in
the file's own bytes, and the weight values it can hold are at most its size.
"""

from __future__ import annotations

import io
from typing import Any

import numpy

from minidl.core import file_limits
from minidl.core.file_limits import ModelFileError, one_line


def h5py_module() -> Any:
    try:
        import h5py  # noqa: PLC0415 - only Keras files need it
    except ImportError:
        raise ModelFileError("reading and writing Keras files needs h5py (pip install h5py)") from None
    return h5py


def open_hdf5(source: Any, path: str) -> Any:
    """An h5py File, read-only, from an open binary file or the bytes of a file; damaged: a ModelFileError."""
    h5py = h5py_module()
    try:
        return h5py.File(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source, "r")
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as error:
        raise ModelFileError(f"{path!r} is not a readable HDF5 file ({one_line(error)})") from None


def check_hdf5_file(store: Any, path: str) -> int:
    """Walk every link of ``store`` and refuse what lies outside the file (see the module); return its weight values.

    The returned number (values of all numeric datasets) is the budget a model
    built from the file's configuration may allocate.
    """
    h5py = h5py_module()
    seen, pending, values, weight_bytes, links = set(), [("", store)], 0, 0, 0
    try:
        while pending:
            where, group = pending.pop()
            for name in group:
                child = f"{where}/{name}"
                links += 1
                if links > file_limits.MAX_HDF5_LINKS:
                    raise ModelFileError(f"{path!r} holds more than {file_limits.MAX_HDF5_LINKS:,} HDF5 links "
                                         "(minidl.core.file_limits.MAX_HDF5_LINKS)")
                _check_link(group, name, child, path, h5py)
                item = group[name]
                if item.id in seen:
                    continue
                seen.add(item.id)
                if isinstance(item, h5py.Group):
                    pending.append((child, item))
                elif isinstance(item, h5py.Dataset):
                    size = _check_dataset(item, child, path)
                    weight_bytes += size
                    if weight_bytes > file_limits.MAX_WEIGHT_BYTES:
                        raise ModelFileError(f"{path!r}: its datasets hold more than {file_limits.MAX_WEIGHT_BYTES:,} "
                                             "bytes (minidl.core.file_limits.MAX_WEIGHT_BYTES)")
                    if item.dtype.kind in "biuf":
                        values += item.size
    except ModelFileError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as error:
        raise ModelFileError(f"{path!r}: cannot walk its HDF5 structure ({one_line(error)})") from None
    return values


def _check_link(group: Any, name: str, where: str, path: str, h5py: Any) -> None:
    """Refuse a link that is not a hard link, reading the link itself (never resolving it)."""
    key = name.encode("utf-8") if isinstance(name, str) else name
    kind = group.id.links.get_info(key).type
    if kind == h5py.h5l.TYPE_HARD:
        return
    if kind == h5py.h5l.TYPE_EXTERNAL:
        target = group.id.links.get_val(key)
        raise ModelFileError(f"{path!r}: {where} is an external link to {_text(target[0])!r}:{_text(target[1])!r}; "
                             "minidl reads nothing from outside the file")
    if kind == h5py.h5l.TYPE_SOFT:
        raise ModelFileError(f"{path!r}: {where} is a soft link to {_text(group.id.links.get_val(key))!r}; model "
                             "files hold no links")
    raise ModelFileError(f"{path!r}: {where} is a link of an unknown kind; minidl reads nothing outside the file")


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _check_dataset(dataset: Any, where: str, path: str) -> int:
    """The bytes ``dataset`` holds once read, after refusing storage outside the file, filters and missing values."""
    if dataset.is_virtual:
        raise ModelFileError(f"{path!r}: dataset {where} is virtual (its values lie in other files); minidl reads "
                             "nothing from outside the file")
    if dataset.external:
        raise ModelFileError(f"{path!r}: dataset {where} keeps its values in the external file "
                             f"{dataset.external[0][0]!r}; minidl reads nothing from outside the file")
    if dataset.shape is None:  # an empty (null) dataspace: nothing to read
        return 0
    if dataset.id.get_create_plist().get_nfilters():
        raise ModelFileError(f"{path!r}: dataset {where} is compressed or filtered; Keras weights files are not, "
                             "and minidl reads weights only as stored")
    size = int(dataset.size) * dataset.dtype.itemsize
    if size > file_limits.MAX_WEIGHT_BYTES:
        raise ModelFileError(f"{path!r}: dataset {where} announces {size:,} bytes; at most "
                             f"{file_limits.MAX_WEIGHT_BYTES:,} are read (minidl.core.file_limits.MAX_WEIGHT_BYTES)")
    if dataset.dtype.kind in "biuf" and dataset.id.get_storage_size() < size:
        raise ModelFileError(f"{path!r}: dataset {where} announces {size:,} bytes but stores "
                             f"{dataset.id.get_storage_size():,}")
    return size


def _follow(store: Any, location: str, path: str) -> Any:
    """The object at ``location`` ("a/b/c"), each step checked to be a hard link; None where a step is missing."""
    h5py = h5py_module()
    node = store
    try:
        for name in (part for part in str(location).split("/") if part):
            if not isinstance(node, h5py.Group) or not node.id.links.exists(name.encode("utf-8")):
                return None
            _check_link(node, name, location, path, h5py)
            node = node[name]
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as error:
        raise ModelFileError(f"{path!r}: cannot follow {location} ({one_line(error)})") from None
    return node


def get_group(store: Any, location: str, path: str) -> Any:
    """The group at ``location``, or None where there is none (a dataset there is a ModelFileError)."""
    node = _follow(store, location, path)
    if node is not None and not isinstance(node, h5py_module().Group):
        raise ModelFileError(f"{path!r}: {location} is not an HDF5 group")
    return node


def read_dataset(store: Any, location: str, path: str) -> numpy.ndarray:
    """The numeric array at ``location``, read only after every check of ``check_hdf5_file`` passed for it."""
    dataset = _follow(store, location, path)
    if dataset is None:
        raise ModelFileError(f"{path!r} holds no dataset {location}")
    if not isinstance(dataset, h5py_module().Dataset):
        raise ModelFileError(f"{path!r}: {location} is not an HDF5 dataset")
    _check_dataset(dataset, location, path)
    if dataset.shape is None or dataset.dtype.kind not in "biuf" or dataset.dtype.fields is not None:
        raise ModelFileError(f"{path!r}: dataset {location} has type {dataset.dtype}; weights are numeric arrays")
    try:
        return numpy.asarray(dataset[()])
    except (OSError, ValueError, RuntimeError, TypeError) as error:
        raise ModelFileError(f"{path!r}: dataset {location} cannot be read ({one_line(error)})") from None


def read_attribute(node: Any, name: str, path: str, bound: str) -> Any:
    """The attribute ``name`` of ``node`` (None when absent), once its stored size passed the bound named ``bound``.

    A variable-length string's characters are in the file's heap, so the file's
    size bounds them; fixed-size values are checked before they are read.
    """
    try:
        if name not in node.attrs:
            return None
        attribute = node.attrs.get_id(name)
        limit = getattr(file_limits, bound)
        if attribute.get_storage_size() > limit:
            raise ModelFileError(f"{path!r}: the attribute {name!r} has {attribute.get_storage_size():,} bytes; at "
                                 f"most {limit:,} are read (minidl.core.file_limits.{bound})")
        return node.attrs[name]
    except ModelFileError:
        raise
    except (OSError, ValueError, RuntimeError, TypeError, KeyError) as error:
        raise ModelFileError(f"{path!r}: the attribute {name!r} cannot be read ({one_line(error)})") from None


def read_text_attribute(node: Any, name: str, path: str) -> str | None:
    """A text attribute (a JSON configuration) as str, at most ``MAX_CONFIG_BYTES``; None when absent."""
    value = read_attribute(node, name, path, "MAX_CONFIG_BYTES")
    if value is None:
        return None
    if isinstance(value, numpy.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"{path!r}: the attribute {name!r} is not UTF-8 text") from None
    if not isinstance(value, str):
        raise ModelFileError(f"{path!r}: the attribute {name!r} is not text")
    if len(value) > file_limits.MAX_CONFIG_BYTES:
        raise ModelFileError(f"{path!r}: the attribute {name!r} has {len(value):,} characters; at most "
                             f"{file_limits.MAX_CONFIG_BYTES:,} are read (minidl.core.file_limits.MAX_CONFIG_BYTES)")
    return value
