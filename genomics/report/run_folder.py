"""What a run folder holds, read from the files the commands leave (never from the code that wrote them).

``genomics train`` (and ``demo``, whose training goes to ``DEMO/run``) writes ``model.npz``, the bundle: a
minidl model file whose metadata (``kind: genomics-scenario-classifier``) holds the scenarios, design,
encoder, network, calibration, ensemble and training entries (config, seeds, split, versions), and
``evaluation.json`` (held-out scores, confusion matrix, reliability bins, history); ``calibrate --out``
writes another bundle; ``evaluate --out F.json``, ``compare --out F.json``, ``check --out FOLDER``
(``adequacy*.json`` and ``adequacy_pca*.png``) and ``predict --out F.json`` write JSON files. Each JSON file
is recognised by its keys, so any name the user gave is found.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, field

from minidl.saving.npz import read_metadata

BUNDLE_KIND = "genomics-scenario-classifier"
"""The ``kind`` a genomics bundle's metadata carries (the disk format's, as ``genomics train`` writes it)."""


class ReportError(ValueError):
    """A run folder that cannot be reported on, in one sentence that names it."""


@dataclass
class RunFolder:
    """The contents of one run folder: the bundle's metadata and each kind of JSON output, by file name."""

    path: str
    bundles: dict = field(default_factory=dict)        # file name -> bundle metadata
    evaluations: dict = field(default_factory=dict)    # file name -> evaluation.json-like dict
    comparisons: dict = field(default_factory=dict)    # file name -> compare --out dict
    adequacy: dict = field(default_factory=dict)       # file name -> check --out adequacy*.json dict
    predictions: dict = field(default_factory=dict)    # file name -> predict --out dict
    pictures: list = field(default_factory=list)       # paths of the PNG pictures in the folder
    skipped: list = field(default_factory=list)        # (file name, why) of files that could not be read

    @property
    def metadata(self) -> dict:
        """The main bundle's metadata: ``model.npz``'s, else the first bundle's; {} without one."""
        if "model.npz" in self.bundles:
            return self.bundles["model.npz"]
        return next(iter(self.bundles.values()), {})

    @property
    def evaluation(self) -> dict:
        """``evaluation.json`` (written by train), else the first evaluation found; {} without one."""
        if "evaluation.json" in self.evaluations:
            return self.evaluations["evaluation.json"]
        return next(iter(self.evaluations.values()), {})

    def picture(self, stem: str) -> str | None:
        """The vector (SVG) copy of picture ``stem`` when written beside the PNG, else the PNG, else None."""
        for extension in (".svg", ".png"):
            candidate = os.path.join(self.path, stem + extension)
            if os.path.exists(candidate):
                return candidate
        return None


def kind_of(content: object) -> str | None:
    """Which command's JSON output ``content`` is, by its keys (None: not one the report knows)."""
    if not isinstance(content, dict):
        return None
    if "windows" in content or "data_sets" in content:
        return "predictions"
    if "results" in content and "budgets" in content:
        return "comparisons"
    if "tail_share" in content:
        return "adequacy"
    if "confusion_matrix" in content or content.get("task") == "regression":
        return "evaluations"
    return None


def run_folder_of(path: str) -> str:
    """The folder whose files are read: ``path`` itself, or the ``run`` folder inside a demo's output folder."""
    if not os.path.isdir(path):
        raise ReportError(f"the run folder {path!r} does not exist or is not a folder")
    if not glob.glob(os.path.join(path, "*.npz")) and os.path.isdir(os.path.join(path, "run")):
        return os.path.join(path, "run")  # genomics demo --out DEMO: the training is in DEMO/run
    return path


def read_run_folder(path: str) -> RunFolder:
    """Every bundle and known JSON output of the run folder ``path`` (a demo's output folder: its ``run``).

    A folder without a bundle and without any known JSON output is a
    ``ReportError``; a file that cannot be read is listed in ``skipped``.
    """
    folder = RunFolder(run_folder_of(path))
    for bundle in sorted(glob.glob(os.path.join(folder.path, "*.npz"))):
        name = os.path.basename(bundle)
        try:
            metadata = read_metadata(bundle)
        except (OSError, ValueError, KeyError) as error:
            folder.skipped.append((name, f"not a readable model file ({error})"))
            continue
        if metadata.get("kind") == BUNDLE_KIND:
            folder.bundles[name] = metadata
        elif "settings" not in metadata:  # the resume state of an unfinished training is not a bundle
            folder.skipped.append((name, "a minidl model but not a genomics bundle"))
    for file in sorted(glob.glob(os.path.join(folder.path, "*.json"))):
        name = os.path.basename(file)
        try:
            with open(file) as handle:
                content = json.load(handle)
        except (OSError, ValueError) as error:
            folder.skipped.append((name, f"not readable JSON ({error})"))
            continue
        kind = kind_of(content)
        if kind is not None:
            getattr(folder, kind)[name] = content
    folder.pictures = sorted(glob.glob(os.path.join(folder.path, "*.png")))
    if not folder.bundles and not (folder.evaluations or folder.comparisons or folder.adequacy or folder.predictions):
        raise ReportError(f"{path!r} holds no genomics bundle (model.npz) and no output of evaluate, compare, check "
                          "or predict: give the folder that genomics train, calibrate or demo wrote")
    return folder
