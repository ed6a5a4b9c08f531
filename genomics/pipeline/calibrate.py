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
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import ShardReader
from genomics.pipeline.encode import BATCH_SIZE, map_encoded
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


def recalibrated(bundle: Bundle, data: SimulatedData | ShardReader, simulations: str,
                 batch_size: int = BATCH_SIZE, progress: Any = None) -> tuple[Bundle, dict]:
    """(the bundle with its temperature fitted on every replicate of ``data``, the fit) for a loaded bundle and a
    simulation folder read whole or through a ``ShardReader`` (``simulations``: its path, recorded and named in
    errors). The replicates are encoded ``batch_size`` at a time and only their logits are kept (``map_encoded``).

    For a bundle trained without a calibration split (or to recalibrate):
    the folder must hold the bundle's scenarios, simulated with another
    master seed than the training folder, so that no replicate was fitted. ``progress(done, total)``: replicates
    encoded so far (``genomics.progress``).
    """
    if bundle.is_regression:
        raise ValueError(f"{bundle.name} estimates parameters: its intervals are calibrated by conformal prediction "
                         "at training, not by a temperature")
    index = data.data if isinstance(data, ShardReader) else data
    bundle.check_same_scenarios(index.manifest, simulations)  # names and definitions
    if index.manifest["master_seed"] == bundle.master_seed:
        raise SettingError(f"{braces_doubled(repr(simulations))} has the training simulations' master seed "
                           f"{index.manifest['master_seed']}: simulate fresh replicates (another {{master_seed}})")
    logits = map_encoded(lambda images: network_logits(bundle.model, images, bundle.network), data, bundle.encoder,
                         batch_size=batch_size, progress=progress)
    calibrated = calibrate_logits(logits, index.labels)
    calibrated["simulations"] = os.path.abspath(simulations)
    return bundle.with_entries(calibration=calibrated), calibrated


def calibrate_bundle(bundle: str, simulations: str, out: str, batch_size: int = BATCH_SIZE,
                     progress: Any = None) -> dict:
    """``recalibrated`` from files: read the bundle, stream the folder's shards (``ShardReader``), save the
    recalibrated bundle to ``out`` (atomically); returns the fit (temperature, log-loss before and after,
    replicates)."""
    fitted, calibrated = recalibrated(Bundle.load(bundle), ShardReader(simulations), simulations, batch_size,
                                      progress)
    fitted.save(out)
    return calibrated
