"""Temperature scaling: the temperature fitted on calibration replicates, and a bundle recalibrated."""

from __future__ import annotations

import os

import numpy

import minidl
from genomics.learning import calibration, networks as models
from genomics.learning import ensemble as ensembles
from genomics.simulation.store import check_same_scenarios
from genomics.learning.ensemble import Ensemble
from genomics.encoding.encoder import Encoder
from genomics.simulation.run import load_simulations
from genomics.bundle import load_bundle
from genomics.pipeline.encode import encode_data


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


def calibrate_bundle(bundle: str, simulations: str, out: str) -> dict:
    """Fit a bundle's temperature on every replicate of a fresh simulation folder and save the bundle to ``out``.

    For a bundle trained without a calibration split (or to recalibrate):
    the folder must hold the bundle's scenarios, simulated with another
    master seed than the training folder, so that no replicate was fitted.
    """
    model, metadata = load_bundle(bundle)
    if metadata.get("task") == "regression":
        raise ValueError(f"{bundle!r} estimates parameters: its intervals are calibrated by conformal prediction "
                         "at training, not by a temperature")
    data = load_simulations(simulations)
    check_same_scenarios(metadata, data.manifest, simulations)  # names and definitions
    if data.manifest["master_seed"] == metadata["training"]["master_seed"]:
        raise ValueError(f"{simulations!r} has the training simulations' master seed "
                         f"{data.manifest['master_seed']}: simulate fresh replicates (another --simulation-seed)")
    calibrated = calibrate(model, encode_data(data, Encoder.from_dict(metadata["encoder"])), data.labels,
                           metadata["network"])
    calibrated["simulations"] = os.path.abspath(simulations)
    model.save(out, metadata={**metadata, "calibration": calibrated}, include_optimizer=False)
    return calibrated
