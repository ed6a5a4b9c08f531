"""Temperature scaling: the temperature fitted on calibration replicates, and a bundle recalibrated."""

from __future__ import annotations

import os
from typing import Any

import numpy

import minidl
from genomics.learning import calibration, networks as models
from genomics.learning import ensemble as ensembles
from genomics.learning.ensemble import Ensemble
from genomics.bundle import Bundle
from genomics.simulation.run import SimulatedData, load_simulations
from genomics.pipeline.encode import encode_data
from genomics.errors import SettingError, braces_doubled


def network_logits(model: minidl.Sequential | Ensemble, images: numpy.ndarray, network: str) -> numpy.ndarray:
    """The network's (or ensemble's) scenario logits (before the softmax) of encoded images
    (N, haplotypes, snps, channels)."""
    return ensembles.logits(model, models.model_input(images, network))


def calibrate(model: minidl.Sequential | Ensemble, images: numpy.ndarray, labels: numpy.ndarray, network: str) -> dict:
    """Step 4: the temperature T fitted on the calibration replicates, with their log-loss before and after."""
    return calibrate_logits(network_logits(model, images, network), labels)


def calibrate_logits(logits: numpy.ndarray, labels: numpy.ndarray) -> dict:
    """``calibrate`` from the network's logits on the calibration replicates."""
    temperature = calibration.fit_temperature(logits, labels)
    return {"temperature": temperature, "replicates": int(len(labels)), "method": "temperature scaling",
            "log_loss_before": calibration.log_loss(calibration.softmax(logits), labels),
            "log_loss_after": calibration.log_loss(calibration.softmax(logits, temperature), labels)}


def recalibrated(bundle: Bundle, data: SimulatedData, simulations: str,
                 progress: Any = None) -> tuple[Bundle, dict]:
    """(the bundle with its temperature fitted on every replicate of ``data``, the fit) for a loaded bundle and a
    loaded simulation folder (``simulations``: its path, recorded and named in errors).

    For a bundle trained without a calibration split (or to recalibrate):
    the folder must hold the bundle's scenarios, simulated with another
    master seed than the training folder, so that no replicate was fitted. ``progress(done, total)``: replicates
    encoded so far (``genomics.progress``).
    """
    if bundle.is_regression:
        raise ValueError(f"{bundle.name} estimates parameters: its intervals are calibrated by conformal prediction "
                         "at training, not by a temperature")
    bundle.check_same_scenarios(data.manifest, simulations)  # names and definitions
    if data.manifest["master_seed"] == bundle.master_seed:
        raise SettingError(f"{braces_doubled(repr(simulations))} has the training simulations' master seed "
                           f"{data.manifest['master_seed']}: simulate fresh replicates (another {{master_seed}})")
    calibrated = calibrate(bundle.model, encode_data(data, bundle.encoder, progress=progress), data.labels, bundle.network)
    calibrated["simulations"] = os.path.abspath(simulations)
    return bundle.with_entries(calibration=calibrated), calibrated


def calibrate_bundle(bundle: str, simulations: str, out: str, progress: Any = None) -> dict:
    """``recalibrated`` from files: read the bundle and the folder, save the recalibrated bundle to ``out``
    (atomically); returns the fit (temperature, log-loss before and after, replicates)."""
    fitted, calibrated = recalibrated(Bundle.load(bundle), load_simulations(simulations), simulations, progress)
    fitted.save(out)
    return calibrated
