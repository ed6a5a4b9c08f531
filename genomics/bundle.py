"""A trained model and everything needed to use it: one bundle file (``run/model.npz``).

A bundle is a minidl model file (``minidl.saving``: the weights of the network, or of every member of an
ensemble) whose metadata hold what ``predict`` needs to encode new data exactly as the training simulations
were encoded, and what the training was:

==================  =============================================================================================
metadata key        ``Bundle`` attribute
==================  =============================================================================================
``format_version``  ``format_version`` (absent in bundles written before versions: version 1)
``kind``            always ``BUNDLE_KIND``
``task``            ``task``: ``"classification"`` (absent) or ``"regression"``
``network``         ``network``: the kind of network (``genomics.learning.networks.KINDS``)
``encoder``         ``encoder``: an ``Encoder`` (``Encoder.to_dict``)
``scenario_names``  ``scenario_names``: the classes, in output order
``scenario_specs``  ``scenario_specs``: their definitions (checked against a simulation folder's)
``design``          ``design``: the ``SamplingDesign`` trained on
``calibration``     ``calibration`` and ``temperature`` (None: no calibration, raw softmax values)
``regression``      ``regression`` and ``targets`` (the parameters a regression estimates)
``ensemble``        ``ensemble``: members, their temperatures and scores (None: one network)
``training``        ``training``: provenance; ``split`` (replicates per part), ``settings`` (the TrainingConfig),
                    ``master_seed`` (of the training simulations)
==================  =============================================================================================

Version 2 only adds ``format_version``: the other keys are those of version 1, so a version-1 bundle is read
as it is. A bundle of a newer version than this code knows is refused in one sentence.
"""

from __future__ import annotations

from typing import Any

import minidl
from genomics.encoding.encoder import Encoder
from genomics.learning.ensemble import Ensemble, check_temperatures
from genomics.scenario.design import SamplingDesign
from genomics.simulation.store import check_same_scenarios
from minidl.saving import read_metadata

BUNDLE_KIND = "genomics-scenario-classifier"
FORMAT_VERSION = 2  # 1: the bundles written before versions (no ``format_version`` key)


class BundleError(ValueError):
    """A file that is not a bundle this code can read; the sentence names the file."""


def check_bundle_metadata(metadata: dict, path: str) -> None:
    """Refuse metadata that are not a genomics bundle's, of a newer format version, or with a temperature that is
    not a finite number > 0; each sentence names ``path``."""
    if metadata.get("kind") != BUNDLE_KIND:
        raise BundleError(f"{path!r} is a minidl model but not a genomics scenario classifier (no bundle metadata)")
    version = metadata.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError(f"{path!r} gives the bundle format version {version!r}; expected a whole number from 1 "
                          f"to {FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        raise BundleError(f"{path!r} is a bundle of format version {version}, newer than the version "
                          f"{FORMAT_VERSION} this genomics reads: update genomics to use it")
    check_temperatures(metadata, path)


class Bundle:
    """A trained network (or ``Ensemble``) with its metadata, read as typed attributes (see the module's table).

    ``metadata`` keeps the file's dictionary as written (``save`` writes it back, with ``format_version``), so
    that keys this class does not model (``on_the_fly``, ``checkpoint``) travel unchanged. ``model`` is None
    for a bundle loaded with ``weights=False``.
    """

    def __init__(self, model: Any, metadata: dict, path: str | None = None) -> None:
        check_bundle_metadata(metadata, path or "the bundle")
        self.model = model
        self.metadata = dict(metadata)
        self.path = path
        self.format_version: int = metadata.get("format_version", 1)
        self.task: str = metadata.get("task", "classification")
        self.network: str = metadata["network"]
        self.encoder = Encoder.from_dict(metadata["encoder"])
        self.scenario_names: list[str] = list(metadata["scenario_names"])
        self.scenario_specs: list[dict] = list(metadata.get("scenario_specs") or [])
        self.design = SamplingDesign.from_dict(metadata["design"])
        self.calibration: dict | None = metadata.get("calibration")
        self.temperature: float | None = (self.calibration or {}).get("temperature")
        self.regression: dict | None = metadata.get("regression")
        self.targets: list[str] = list(self.regression["names"]) if self.regression else []
        self.ensemble: dict | None = metadata.get("ensemble")
        self.training: dict = metadata.get("training") or {}
        self.split: dict | None = self.training.get("split")
        self.settings: dict | None = self.training.get("config")
        self.master_seed: int | None = self.training.get("master_seed")

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"

    @property
    def columns(self) -> list[str]:
        """The names of the outputs: the scenarios, or the parameters a regression estimates."""
        return self.targets if self.is_regression else self.scenario_names

    @property
    def name(self) -> str:
        """How sentences name the bundle: its file, quoted."""
        return repr(self.path) if self.path else "the bundle"

    @classmethod
    def load(cls, path: str, weights: bool = True) -> "Bundle":
        """Read a bundle file (the network, or an ``Ensemble``, unless ``weights`` is False: the metadata only).

        A file that is not a genomics bundle, of a newer format version, or whose temperature is not a finite
        number > 0 is refused in one sentence naming it.
        """
        metadata = read_metadata(path)
        check_bundle_metadata(metadata, path)
        model = None
        if weights:
            model = minidl.load_model(path)
            if "ensemble" in metadata:
                model = Ensemble.load(path, model, metadata)
        return cls(model, metadata, path)

    def save(self, path: str) -> None:
        """Write the bundle to ``path`` at the current format version (atomically: a temporary file replaces
        ``path`` only when complete; no optimizer state: a bundle predicts, it is not resumed)."""
        self.model.save(path, metadata={**self.metadata, "format_version": FORMAT_VERSION}, include_optimizer=False)

    def with_entries(self, **entries: Any) -> "Bundle":
        """The same network with these metadata keys replaced (e.g. ``calibration``)."""
        return Bundle(self.model, {**self.metadata, **entries}, self.path)

    def check_same_scenarios(self, manifest: dict, folder: str) -> None:
        """Refuse a simulation folder whose scenarios (names, order, definitions) are not the bundle's."""
        check_same_scenarios(self.metadata, manifest, folder)


def bundle_design(path: str) -> SamplingDesign:
    """The sampling design a bundle file was trained on (its weights are not read)."""
    return Bundle.load(path, weights=False).design
