"""What a bundle outputs for encoded images: calibrated probabilities, raw softmax values or estimates."""

from __future__ import annotations

import numpy

import minidl
from genomics.learning import calibration, networks as models, regression
from genomics.learning import ensemble as ensembles
from genomics.learning.ensemble import Ensemble
from genomics.learning.evaluation import RAW, calibrated_name
from genomics.bundle import temperature_of
from genomics.pipeline.calibrate import network_logits


def model_outputs(model: minidl.Sequential | Ensemble, metadata: dict, images: numpy.ndarray) -> tuple[numpy.ndarray, str, list]:
    """(values (N, columns), their name, one dict of extras per row) of either kind of bundle.

    A classifier gives ``network_output`` (an ensemble adds each row's
    ``member_sd``, the members' spread). A regression gives
    its estimates in parameter units and, per row, the conformal intervals
    ``{"low_0.9": [...], "high_0.9": [...], ...}`` when the bundle has them.
    """
    if metadata.get("task") != "regression":
        logits, spread = ensembles.logits_and_spread(model, models.model_input(images, metadata["network"]))
        values, output = temperature_output(logits, metadata)
        if spread is None:
            return values, output, [{} for _ in values]
        return values, output, [{"member_sd": row.tolist()} for row in spread]
    settings = metadata["regression"]
    scaling = regression.TargetScaling.from_dict(settings)
    predicted = model.predict(models.model_input(images, metadata["network"]), batch_size=256).astype(float)
    extras = [{} for _ in predicted]
    for level, (low, high) in regression.intervals(predicted, settings["interval_half_widths"] or {},
                                                   scaling).items():
        for row, (lo, hi) in enumerate(zip(low, high)):
            extras[row].update({f"low_{level}": lo.tolist(), f"high_{level}": hi.tolist()})
    return scaling.from_network(predicted), "estimates", extras


def output_columns(metadata: dict) -> list[str]:
    """The names of a bundle's outputs: its scenarios, or the parameters a regression estimates."""
    return metadata["regression"]["names"] if metadata.get("task") == "regression" else metadata["scenario_names"]


def network_output(model: minidl.Sequential | Ensemble, metadata: dict, images: numpy.ndarray) -> tuple[numpy.ndarray, str]:
    """(values (N, scenarios), their name): calibrated probabilities when the bundle has a temperature, else
    the raw softmax, named as such."""
    return temperature_output(network_logits(model, images, metadata["network"]), metadata)


def temperature_output(logits: numpy.ndarray, metadata: dict) -> tuple[numpy.ndarray, str]:
    """(values, their name) of a bundle's logits: calibrated probabilities with its temperature, else the raw
    softmax, named as such."""
    temperature = temperature_of(metadata)
    if temperature is None:
        return calibration.softmax(logits), RAW
    return calibration.softmax(logits, temperature), calibrated_name(temperature)


def summarise(values: numpy.ndarray) -> dict:
    """Over rows (windows, subsets or data sets) of values (rows, scenarios): the mean, the median, the
    2.5-97.5% range and the share of rows each scenario wins (has the highest value)."""
    values = numpy.asarray(values, dtype=float)
    return {"rows": int(len(values)), "mean": values.mean(axis=0).tolist(), "median": numpy.median(values, axis=0).tolist(),
            "low": numpy.percentile(values, 2.5, axis=0).tolist(),
            "high": numpy.percentile(values, 97.5, axis=0).tolist(),
            "wins": (numpy.bincount(values.argmax(axis=1), minlength=values.shape[1]) / len(values)).tolist()}
