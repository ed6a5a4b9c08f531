"""A trained model and what it needs to be used: one bundle file."""

from __future__ import annotations

import minidl
from genomics.learning.ensemble import Ensemble, check_temperatures
from genomics.scenario.design import SamplingDesign
from minidl.saving import read_metadata


BUNDLE_KIND = "genomics-scenario-classifier"


def read_bundle_metadata(path: str) -> dict:
    """A bundle's metadata, without loading the network; a file that is not a bundle is an error naming it."""
    metadata = read_metadata(path)
    if metadata.get("kind") != BUNDLE_KIND:
        raise ValueError(f"{path!r} is a minidl model but not a genomics scenario classifier (no bundle metadata)")
    check_temperatures(metadata, path)
    return metadata


def load_bundle(path: str) -> tuple[minidl.Sequential | Ensemble, dict]:
    """The model (one network, or an ``Ensemble``) and its metadata; a model file that is not a genomics bundle
    is an error naming it."""
    metadata = read_bundle_metadata(path)
    model = minidl.load_model(path)
    return (Ensemble.load(path, model, metadata) if "ensemble" in metadata else model), metadata


def temperature_of(metadata: dict) -> float | None:
    """The bundle's fitted temperature, or None for a bundle trained without calibration."""
    return (metadata.get("calibration") or {}).get("temperature")


def bundle_design(bundle: str) -> SamplingDesign:
    """The sampling design a bundle was trained on."""
    return SamplingDesign.from_dict(read_bundle_metadata(bundle)["design"])
