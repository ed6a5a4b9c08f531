"""The bundle file: typed attributes, a format version, bundles written before versions still read."""

import os
import pathlib

import numpy as np
import pytest

import minidl
from genomics.bundle import BUNDLE_KIND, FORMAT_VERSION, Bundle, BundleError, bundle_design
from genomics.learning.calibration import softmax
from genomics.learning.networks import model_input
from genomics.pipeline.outputs import network_output
from minidl.saving import read_metadata

VERSION_1 = str(pathlib.Path(__file__).parent / "data" / "bundle_v1" / "model.npz")


def test_a_bundle_written_before_format_versions_is_read_as_version_1():
    bundle = Bundle.load(VERSION_1)
    raw = read_metadata(VERSION_1)
    assert "format_version" not in raw and bundle.format_version == 1
    assert bundle.scenario_names == ["small", "large"] == bundle.columns
    assert bundle.network == raw["network"] and bundle.encoder.to_dict() == raw["encoder"]
    assert bundle.encoder.n_snps == 16 and bundle.design.populations == ["P"]
    assert bundle.temperature == raw["calibration"]["temperature"] > 0
    assert bundle.split == raw["training"]["split"] and bundle.master_seed == 1
    assert bundle.settings["test_fraction"] == 0.25 and not bundle.is_regression and bundle.targets == []
    assert bundle_design(VERSION_1).to_dict() == raw["design"]


def test_a_version_1_bundle_gives_the_calibrated_probabilities_of_its_network():
    """softmax(z / T) from minidl's own model file reader and the temperature in the file's metadata."""
    bundle = Bundle.load(VERSION_1)
    generator, haplotypes = np.random.default_rng(0), sum(bundle.design.haplotypes_per_population)
    images = np.stack([bundle.encoder.encode(generator.integers(0, 2, size=(haplotypes, 30)).astype(np.int8),
                                             np.sort(generator.uniform(0, 2e4, 30)), 2e4,
                                             np.zeros(haplotypes, dtype=int))[0] for _ in range(5)])
    network = minidl.load_model(VERSION_1)
    probabilities = network.predict(model_input(images, bundle.network)).astype(float)
    expected = softmax(np.log(probabilities) / read_metadata(VERSION_1)["calibration"]["temperature"])
    values, output = network_output(bundle, images)
    np.testing.assert_allclose(values, expected, atol=1e-5)
    assert output.startswith("calibrated probabilities (T = ")


def test_saving_writes_the_current_format_version_and_keeps_every_other_entry(tmp_path):
    bundle = Bundle.load(VERSION_1)
    out = str(tmp_path / "again.npz")
    bundle.save(out)
    assert read_metadata(out) == {**read_metadata(VERSION_1), "format_version": FORMAT_VERSION}
    again = Bundle.load(out)
    assert again.format_version == FORMAT_VERSION and again.path == out
    for old, new in zip(bundle.model.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_bundle_of_a_newer_format_version_is_refused_naming_the_file_and_both_versions(tmp_path):
    bundle = Bundle.load(VERSION_1)
    newer = str(tmp_path / "newer.npz")
    bundle.model.save(newer, metadata={**bundle.metadata, "format_version": FORMAT_VERSION + 1})
    with pytest.raises(BundleError, match=rf"newer.npz' is a bundle of format version {FORMAT_VERSION + 1}, newer "
                                          rf"than the version {FORMAT_VERSION} this genomics reads"):
        Bundle.load(newer)
    with pytest.raises(ValueError, match="format version"):  # the design alone is not read either
        bundle_design(newer)


@pytest.mark.parametrize("version", ["2", 0, 1.5, True])
def test_a_format_version_that_is_not_a_whole_number_from_1_is_refused(tmp_path, version):
    bundle = Bundle.load(VERSION_1)
    path = str(tmp_path / "odd.npz")
    bundle.model.save(path, metadata={**bundle.metadata, "format_version": version})
    with pytest.raises(BundleError, match=r"odd.npz' gives the bundle format version .*; expected a whole number"):
        Bundle.load(path)


def test_a_minidl_model_that_is_not_a_bundle_is_refused(tmp_path):
    path = str(tmp_path / "plain.npz")
    minidl.load_model(VERSION_1).save(path, metadata={"kind": "something else"})
    with pytest.raises(BundleError, match="plain.npz' is a minidl model but not a genomics scenario classifier"):
        Bundle.load(path)


def test_with_entries_replaces_a_key_and_keeps_the_network(tmp_path):
    bundle = Bundle.load(VERSION_1)
    recalibrated = bundle.with_entries(calibration={**bundle.calibration, "temperature": 2.0})
    assert recalibrated.temperature == 2.0 and recalibrated.model is bundle.model
    assert bundle.temperature != 2.0 and recalibrated.metadata["kind"] == BUNDLE_KIND
    with pytest.raises(ValueError, match="a temperature must be a finite number > 0"):
        bundle.with_entries(calibration={"temperature": -1.0})
