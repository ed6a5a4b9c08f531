"""Model files from strangers (issue 30): nothing read from outside the file, bounded memory, one clear error.

Every hostile file here starts from a valid file that minidl writes (a
minidl ``.npz``, a Keras ``.keras`` archive, a legacy Keras ``.h5``) and is
changed the way an attacker or a damaged disk would change it. Each load
either gives a model or raises ``ModelFileError`` whose one-line message names
the file; never another exception, never memory beyond the stated bounds.
"""

import io
import json
import struct
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minidl
from minidl import Input, ModelFileError, Sequential
from minidl.core import file_limits
from minidl import layers as L
from minidl.models import Model, load_model

KINDS = [".npz", ".keras", ".h5"]
KERNEL = {".h5": "model_weights/dense/dense/kernel", ".keras": "layers/dense/vars/0"}  # the first Dense's kernel


def small_model():
    """A compiled, trained (so it has optimizer state) model of two Dense layers and a BatchNormalization."""
    minidl.core.random.seed(5)
    model = Sequential([Input((4,)), L.Dense(3, activation="relu"), L.BatchNormalization(),
                        L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(8, 4)).astype(np.float32), np.eye(2)[rng.integers(0, 2, 8)], epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    """{extension: bytes} of the same small model saved as each kind of file minidl reads."""
    folder = tmp_path_factory.mktemp("valid")
    model = small_model()
    files = {}
    for kind in KINDS:
        model.save(folder / f"model{kind}")
        files[kind] = (folder / f"model{kind}").read_bytes()
    return files


def expect_refusal(path, match=None):
    """Loading ``path`` raises ModelFileError; its message is one line, names the file and matches ``match``."""
    with pytest.raises(ModelFileError, match=match) as caught:
        load_model(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message, message
    return message


# ---------------------------------------------------------------------------- helpers that forge files
def keras_members(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npz_members(content):
    """{name: bytes} of an .npz's members, the config decoded as a dict under "__config__"."""
    members = keras_members(content)
    config = json.loads(np.load(io.BytesIO(members.pop("__config__.npy"))).tobytes())
    return config, members


def write_npz(path, config, members):
    buffer = io.BytesIO()
    np.save(buffer, np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))
    return write_zip(path, {"__config__.npy": buffer.getvalue(), **members}, zipfile.ZIP_DEFLATED)


def keras_config(kind, content):
    """The model configuration (dict) of a .keras or .h5 file's bytes."""
    if kind == ".keras":
        return json.loads(keras_members(content)["config.json"])
    with h5py.File(io.BytesIO(content), "r") as store:
        return json.loads(store.attrs["model_config"])


def with_config(kind, content, config, path):
    """``content`` (a file of ``kind``) with its model configuration replaced by ``config`` (any JSON), at ``path``."""
    if kind == ".npz":
        whole, members = npz_members(content)
        whole["model"] = config
        return write_npz(path, whole, members)
    if kind == ".keras":
        members = keras_members(content)
        members["config.json"] = json.dumps(config)
        return write_zip(path, members)
    path.write_bytes(content)
    with h5py.File(path, "r+") as store:
        store.attrs["model_config"] = json.dumps(config)
    return path


def model_config(kind, content):
    return npz_members(content)[0]["model"] if kind == ".npz" else keras_config(kind, content)


def whole_config(kind, content):
    """All the JSON a file holds: a minidl file's whole __config__ (compile settings, optimizer layout, ...)."""
    return npz_members(content)[0] if kind == ".npz" else keras_config(kind, content)


def with_whole_config(kind, content, config, path):
    if kind == ".npz":
        return write_npz(path, config, npz_members(content)[1])
    return with_config(kind, content, config, path)


def edit_hdf5(kind, content, path, change):
    """``content`` with ``change(h5py.File)`` applied to its HDF5 weights (the file, or the .keras member)."""
    if kind == ".h5":
        path.write_bytes(content)
        with h5py.File(path, "r+") as store:
            change(store)
        return path
    members = keras_members(content)
    weights = path.with_suffix(".weights.h5")
    weights.write_bytes(members["model.weights.h5"])
    with h5py.File(weights, "r+") as store:
        change(store)
    members["model.weights.h5"] = weights.read_bytes()
    return write_zip(path, members)


def layer_entries(config):
    """The layer entries of a model configuration (Keras's, or minidl's own)."""
    return config["config"]["layers"] if "config" in config else config["layers"]


def dense_layers(config):
    return [layer for layer in layer_entries(config) if layer["class_name"] == "Dense"]


# ---------------------------------------------------------------------------- 1. nothing from outside the file
def secret_file(tmp_path):
    """A file outside the model whose bytes read as the kernel's 12 float32 values."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(100, 112, dtype=np.float32).tobytes())
    return secret


def _external_storage(store, location, tmp_path):
    secret = secret_file(tmp_path)
    del store[location]
    store.create_dataset(location, shape=(4, 3), dtype=np.float32, external=[(str(secret), 0, 48)])


def _external_link(store, location, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as elsewhere:
        elsewhere["data"] = np.arange(100, 112, dtype=np.float32).reshape(4, 3)
    del store[location]
    store[location] = h5py.ExternalLink(str(other), "/data")


def _soft_link(store, location, tmp_path):
    store["elsewhere"] = np.arange(100, 112, dtype=np.float32).reshape(4, 3)
    del store[location]
    store[location] = h5py.SoftLink("/elsewhere")


def _virtual(store, location, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as elsewhere:
        elsewhere["data"] = np.arange(100, 112, dtype=np.float32).reshape(4, 3)
    layout = h5py.VirtualLayout(shape=(4, 3), dtype=np.float32)
    layout[...] = h5py.VirtualSource(str(other), "data", shape=(4, 3))
    del store[location]
    store.create_virtual_dataset(location, layout)


OUTSIDE = {"external storage": (_external_storage, "external file"), "external link": (_external_link, "external link"),
           "soft link": (_soft_link, "soft link"), "virtual dataset": (_virtual, "virtual")}


@pytest.mark.parametrize("attack", sorted(OUTSIDE))
@pytest.mark.parametrize("kind", [".keras", ".h5"])
def test_keras_weights_whose_values_lie_outside_the_file_are_refused(kind, attack, valid_files, tmp_path):
    change, message = OUTSIDE[attack]
    path = edit_hdf5(kind, valid_files[kind], tmp_path / f"hostile{kind}",
                     lambda store: change(store, KERNEL[kind], tmp_path))
    expect_refusal(path, message)


def test_a_link_anywhere_in_the_weights_file_is_refused_even_where_no_layer_reads(valid_files, tmp_path):
    def change(store):
        store["unused"] = h5py.ExternalLink("/etc/passwd", "/x")
    expect_refusal(edit_hdf5(".keras", valid_files[".keras"], tmp_path / "m.keras", change), "external link")


def test_a_dataset_announcing_more_values_than_it_stores_is_refused(valid_files, tmp_path):
    def change(store):  # allocated late and never written: HDF5 would invent its values from the fill value
        del store[KERNEL[".h5"]]
        store.create_dataset(KERNEL[".h5"], shape=(4, 3), dtype=np.float32, fillvalue=7.0)
    expect_refusal(edit_hdf5(".h5", valid_files[".h5"], tmp_path / "m.h5", change), "stores 0")


def test_a_compressed_dataset_is_refused(valid_files, tmp_path):
    def change(store):
        del store[KERNEL[".keras"]]
        store.create_dataset(KERNEL[".keras"], data=np.ones((4, 3), np.float32), compression="gzip")
    expect_refusal(edit_hdf5(".keras", valid_files[".keras"], tmp_path / "m.keras", change), "compressed")


# ---------------------------------------------------------------------------- 2. decompression bombs
SPACES = 384 * 2**20  # the bomb: 384 MiB of spaces after a valid configuration, 393 kB once deflated


def stream_member(archive, name, head, spaces, tail=b""):
    """Write member ``name`` as ``head``, then ``spaces`` spaces, then ``tail``, without holding it in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        member.write(head)
        block = b" " * 2**20
        for _ in range(spaces // len(block)):
            member.write(block)
        member.write(tail)


def peak_memory_of(call):
    """(outcome, peak bytes traced while ``call()`` ran): outcome is the value or the exception."""
    tracemalloc.start()
    try:
        outcome = call()
    except Exception as error:  # noqa: BLE001 - the test inspects it
        outcome = error
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, peak


BOUND = 200 * 2**20  # the generous bound on what loading a small hostile file may take


def test_a_keras_file_whose_config_unpacks_to_384_mib_is_refused_in_bounded_memory(valid_files, tmp_path):
    members = keras_members(valid_files[".keras"])
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        stream_member(archive, "config.json", members["config.json"], SPACES)
        archive.writestr("model.weights.h5", members["model.weights.h5"])
    assert path.stat().st_size < 2 * 2**20
    outcome, peak = peak_memory_of(lambda: load_model(path))
    assert isinstance(outcome, ModelFileError) and "bomb.keras" in str(outcome), outcome
    assert "config.json" in str(outcome) and peak < BOUND, (str(outcome), peak)


def test_an_npz_whose_config_unpacks_to_384_mib_is_refused_in_bounded_memory(valid_files, tmp_path):
    config, members = npz_members(valid_files[".npz"])
    text = json.dumps(config).encode()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (len(text) + SPACES,)})
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        stream_member(archive, "__config__.npy", header.getvalue() + text, SPACES)
        for name, data in members.items():
            archive.writestr(name, data)
    outcome, peak = peak_memory_of(lambda: load_model(path))
    assert isinstance(outcome, ModelFileError) and "bomb.npz" in str(outcome), outcome
    assert peak < BOUND, peak


def test_a_zip_member_holding_more_than_its_header_says_is_refused(valid_files, tmp_path):
    """The sizes in the headers are forged smaller: the reader stops at them and finds the data damaged."""
    data = bytearray(valid_files[".keras"])
    members = keras_members(valid_files[".keras"])
    size = len(members["config.json"])
    # the local header (offset 22) and the central directory entry (offset 24) both give the unpacked size
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if struct.unpack_from("<I", data, start + offset)[0] == size:
                struct.pack_into("<I", data, start + offset, 100)
                struct.pack_into("<I", data, start + offset - 4, 100)  # compressed size: stored, the same
            start += 4
    path = tmp_path / "forged.keras"
    path.write_bytes(bytes(data))
    expect_refusal(path, r"config.json\) is damaged")


@pytest.mark.parametrize("kind", [".keras", ".npz"])
def test_deeply_nested_json_is_a_model_file_error_not_a_recursion_error(kind, valid_files, tmp_path):
    deep = "[" * 20_000 + "]" * 20_000  # Python's json parser would recurse past its limit
    path = tmp_path / f"deep{kind}"
    if kind == ".keras":
        members = keras_members(valid_files[kind])
        members["config.json"] = deep
        write_zip(path, members)
    else:
        _, members = npz_members(valid_files[kind])
        buffer = io.BytesIO()
        np.save(buffer, np.frombuffer(deep.encode(), dtype=np.uint8))
        write_zip(path, {"__config__.npy": buffer.getvalue(), **members})
    expect_refusal(path, "levels deep")


def test_a_zip_of_too_many_members_is_refused(valid_files, tmp_path):
    members = keras_members(valid_files[".keras"])
    members.update({f"padding/{i}": b"" for i in range(file_limits.MAX_ZIP_MEMBERS + 1)})
    expect_refusal(write_zip(tmp_path / "crowded.keras", members), "zip members")


def test_the_bounds_are_stated_and_json_depth_is_counted_outside_strings():
    assert file_limits.MAX_CONFIG_BYTES == 16 * 2**20 and file_limits.MAX_WEIGHT_BYTES == 4 * 2**30
    assert file_limits.json_structure(b'{"a": [[1, 2], {"b": "[[[,,,"}]}') == (3, 7)
    assert file_limits.json_structure(b"[]") == (1, 2)


@pytest.mark.parametrize("kind", [".npz", ".keras"])
def test_a_bound_is_named_where_it_refuses_and_can_be_raised(kind, valid_files, tmp_path, monkeypatch):
    path = tmp_path / f"m{kind}"
    path.write_bytes(valid_files[kind])
    monkeypatch.setattr(file_limits, "MAX_CONFIG_BYTES", 100)
    expect_refusal(path, r"at most 100 are read \(minidl.core.file_limits.MAX_CONFIG_BYTES\)")
    monkeypatch.setattr(file_limits, "MAX_CONFIG_BYTES", 16 * 2**20)
    assert isinstance(load_model(path), Model)


def test_model_file_errors_are_one_value_error_class_everywhere():
    from minidl.models import KerasFileError

    assert minidl.ModelFileError is minidl.saving.npz.ModelFileError is file_limits.ModelFileError
    assert issubclass(ModelFileError, ValueError) and issubclass(KerasFileError, ModelFileError)


# ---------------------------------------------------------------------------- 3. no big allocation from a small file
@pytest.mark.parametrize("kind", KINDS)
def test_a_small_file_asking_for_a_huge_layer_is_refused_before_it_is_built(kind, valid_files, tmp_path):
    config = model_config(kind, valid_files[kind])
    dense_layers(config)[0]["config"]["units"] = 20_000_000  # a 4 x 20,000,000 kernel: 320 MB of float32
    path = with_config(kind, valid_files[kind], config, tmp_path / f"huge{kind}")
    outcome, peak = peak_memory_of(lambda: load_model(path))
    assert isinstance(outcome, ModelFileError) and path.name in str(outcome), outcome
    assert "do not match" in str(outcome) and peak < 50 * 2**20, (str(outcome), peak)


def test_an_npz_array_header_announcing_a_trillion_values_is_refused_before_allocation(valid_files, tmp_path):
    config, members = npz_members(valid_files[".npz"])
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    members["weight_0.npy"] = header.getvalue() + np.zeros(12, np.float32).tobytes()
    path = write_npz(tmp_path / "trillion.npz", config, members)
    outcome, peak = peak_memory_of(lambda: load_model(path))
    assert isinstance(outcome, ModelFileError) and "trillion.npz" in str(outcome), outcome
    assert "announces shape (1000000000000,)" in str(outcome) and peak < 50 * 2**20


def test_a_model_of_the_files_size_still_loads_within_the_budget(valid_files, tmp_path):
    """The budget refuses only what the file cannot fill: every valid file loads with its weights."""
    expected = small_model().get_weights()
    for kind in KINDS:
        (tmp_path / f"m{kind}").write_bytes(valid_files[kind])
        for mine, saved in zip(load_model(tmp_path / f"m{kind}").get_weights(), expected, strict=True):
            np.testing.assert_array_equal(mine, saved)


# ---------------------------------------------------------------------------- 4. malformed files: one clear error
def malformed_cases(kind, content):
    """(label, bytes or a config, match) for each malformation of a file of ``kind``."""
    config = model_config(kind, content)
    cases = [("garbage bytes", b"\x00\xffnot a model" * 20, None),
             ("zip signature then garbage", b"PK\x03\x04" + b"x" * 300, None),
             ("truncated to a quarter", content[: len(content) // 4], None),
             ("truncated by one byte", content[:-1], None), ("empty file", b"", None)]

    def renamed(class_name):
        changed = json.loads(json.dumps(config))
        dense_layers(changed)[0]["class_name"] = class_name
        return changed

    layer = renamed(["Dense"])
    numbers = json.loads(json.dumps(config))
    dense_layers(numbers)[0]["config"]["activation"] = 7
    dense_layers(numbers)[0]["config"]["name"] = 5
    missing = json.loads(json.dumps(config))
    del dense_layers(missing)[0]["config"]["units"]
    no_layers = json.loads(json.dumps(config))
    (no_layers["config"] if "config" in no_layers else no_layers).pop("layers")
    cases += [("a JSON list", [1, 2], None), ("a list as class name", layer, None),
              ("numbers where strings go", numbers, None), ("a missing key", missing, None),
              ("no layers", no_layers, None), ("a string as configuration", "Sequential", None),
              ("unknown layer class", renamed("os.system"), "os.system"),
              ("__import__ as layer class", renamed("__import__('os').system"), "__import__")]
    if kind != ".npz":
        cases += [("unknown model class", {**config, "class_name": "os.system"}, "os.system")]
    return cases


@pytest.mark.parametrize("kind", KINDS)
def test_every_malformed_model_file_is_a_model_file_error_naming_it(kind, valid_files, tmp_path):
    for index, (label, change, match) in enumerate(malformed_cases(kind, valid_files[kind])):
        path = tmp_path / f"case{index}{kind}"
        if isinstance(change, bytes):
            path.write_bytes(change)
        else:
            with_config(kind, valid_files[kind], change, path)
        try:
            expect_refusal(path, match)
        except BaseException as error:  # noqa: BLE001 - say which case
            raise AssertionError(f"{label}: {type(error).__name__}: {error}") from None


def test_a_keras_archive_without_weights_or_with_a_bad_config_is_named(valid_files, tmp_path):
    members = keras_members(valid_files[".keras"])
    expect_refusal(write_zip(tmp_path / "noweights.keras", {"config.json": members["config.json"]}),
                   "model.weights.h5")
    expect_refusal(write_zip(tmp_path / "notjson.keras", {**members, "config.json": b"{not json"}), "not JSON")
    expect_refusal(write_zip(tmp_path / "list.keras", {**members, "config.json": b"[1, 2]"}), "not an object")


def test_npz_weights_that_are_missing_pickled_or_not_numbers_are_named(valid_files, tmp_path):
    config, members = npz_members(valid_files[".npz"])
    expect_refusal(write_npz(tmp_path / "noweights.npz", config, {}), "holds no array")
    expect_refusal(write_npz(tmp_path / "noweights.npz", {**config, "extra_weights": {}}, {}), "do not match")
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    expect_refusal(write_npz(tmp_path / "pickled.npz", config, {**members, "weight_0.npy": pickled.getvalue()}),
                   "pickle")
    text = io.BytesIO()
    np.save(text, np.array(["abc"]))
    expect_refusal(write_npz(tmp_path / "text.npz", config, {**members, "weight_0.npy": text.getvalue()}),
                   "numeric")
    integers = io.BytesIO()
    np.save(integers, np.ones((4, 3), np.int64))  # integers where float32 weights go: loaded as their values
    load_model(write_npz(tmp_path / "integers.npz", config, {**members, "weight_0.npy": integers.getvalue()}))
    config["extra_weights"] = {"optimizer": "many"}
    expect_refusal(write_npz(tmp_path / "counts.npz", config, members), "extra_weights")


def test_a_zip_entry_escaping_the_archive_is_refused(valid_files, tmp_path):
    members = keras_members(valid_files[".keras"])
    expect_refusal(write_zip(tmp_path / "escape.keras", {**members, "../evil.txt": b"x"}), "outside the archive")


def test_lambda_layers_and_unknown_classes_stay_refused(valid_files, tmp_path):
    config = keras_config(".keras", valid_files[".keras"])
    dense_layers(config)[0]["class_name"] = "Lambda"
    dense_layers(config)[0]["config"]["function"] = "__import__('os').system('echo hi')"
    expect_refusal(with_config(".keras", valid_files[".keras"], config, tmp_path / "lambda.keras"), "Lambda")


def test_a_folder_or_missing_file_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        load_model(tmp_path / "nothing.npz")


# ---------------------------------------------------------------------------- 5. fuzzing every loader
json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
                           | st.text(max_size=8),
                           lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=8)


def json_paths(value, prefix=()):
    """Every path (tuple of keys and indices) into a JSON value, the value's own () included."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from json_paths(item, (*prefix, key))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def load_outcome(path):
    """A loaded model or a ModelFileError naming the file; any other exception fails the test."""
    try:
        model = load_model(path)
    except ModelFileError as error:
        assert path.name in str(error) and "\n" not in str(error), str(error)
        return error
    assert isinstance(model, Model)
    return model


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_fuzz_replacing_any_configuration_value_by_random_json(kind, data, valid_files, tmp_path):
    config = whole_config(kind, valid_files[kind])
    path = data.draw(st.sampled_from(sorted(json_paths(config), key=repr)))
    changed = replaced(config, path, data.draw(json_values))
    load_outcome(with_whole_config(kind, valid_files[kind], changed, tmp_path / f"fuzzed{kind}"))


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data())
def test_fuzz_changed_and_truncated_bytes(kind, data, valid_files, tmp_path):
    content = bytearray(valid_files[kind])
    for _ in range(data.draw(st.integers(1, 8))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        content = content[: data.draw(st.integers(0, len(content)))]
    path = tmp_path / f"fuzzed{kind}"
    path.write_bytes(bytes(content))
    load_outcome(path)
