"""What a bundle outputs for encoded images: calibrated probabilities, raw softmax values or estimates."""

from __future__ import annotations

import numpy

from genomics.bundle import Bundle
from genomics.learning import calibration, networks as models, regression
from genomics.learning import ensemble as ensembles
from genomics.learning.evaluation import RAW, calibrated_name
from genomics.pipeline.calibrate import network_logits


def model_outputs(bundle: Bundle, images: numpy.ndarray) -> tuple[numpy.ndarray, str, list]:
    """(values (N, columns), their name, one dict of extras per row) of either kind of bundle.

    A classifier gives ``network_output`` (an ensemble adds each row's
    ``member_sd``, the members' spread). A regression gives
    its estimates in parameter units and, per row, the conformal intervals
    ``{"low_0.9": [...], "high_0.9": [...], ...}`` when the bundle has them.
    """
    if not bundle.is_regression:
        logits, spread = ensembles.logits_and_spread(bundle.model, models.model_input(images, bundle.network))
        values, output = temperature_output(logits, bundle.temperature)
        if spread is None:
            return values, output, [{} for _ in values]
        return values, output, [{"member_sd": row.tolist()} for row in spread]
    scaling = regression.TargetScaling.from_dict(bundle.regression)
    predicted = bundle.model.predict(models.model_input(images, bundle.network), batch_size=256).astype(float)
    extras = [{} for _ in predicted]
    for level, (low, high) in regression.intervals(predicted, bundle.regression["interval_half_widths"] or {},
                                                   scaling).items():
        for row, (lo, hi) in enumerate(zip(low, high)):
            extras[row].update({f"low_{level}": lo.tolist(), f"high_{level}": hi.tolist()})
    return scaling.from_network(predicted), "estimates", extras


def network_output(bundle: Bundle, images: numpy.ndarray) -> tuple[numpy.ndarray, str]:
    """(values (N, scenarios), their name) of a classifier: calibrated probabilities when the bundle has a
    temperature, else the raw softmax, named as such."""
    return temperature_output(network_logits(bundle.model, images, bundle.network), bundle.temperature)


def temperature_output(logits: numpy.ndarray, temperature: float | None) -> tuple[numpy.ndarray, str]:
    """(values, their name) of logits (N, scenarios): calibrated probabilities softmax(z / T) with a
    temperature T, else (None) the raw softmax, named as such."""
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
