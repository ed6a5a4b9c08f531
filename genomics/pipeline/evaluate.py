"""Scores of a trained bundle on held-out or fresh simulations, and their pictures."""

from __future__ import annotations

import os
from typing import Any

import numpy

import minidl
from genomics.learning import networks as models, regression
from genomics.learning.ensemble import Ensemble
from genomics.learning.evaluation import Evaluation, network_evaluation
from genomics.simulation.run import SimulatedData
from genomics.simulation.store import ShardReader
from genomics.bundle import Bundle
from genomics.pipeline.calibrate import network_logits
from genomics.pipeline.encode import BATCH_SIZE, map_encoded


def evaluate_network(model: minidl.Sequential | Ensemble, images: numpy.ndarray, labels: numpy.ndarray, network: str,
                     scenario_names: list[str], temperature: float | None = None) -> Evaluation:
    """Step 5: classification and calibration scores of ``model`` on these replicates, before and after T."""
    return network_evaluation(scenario_names, labels, network_logits(model, images, network), temperature)


def target_values(parameters: list[dict], targets: list[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(indices of the replicates whose scenario has every target, their values (replicates, targets)), from
    each replicate's parameter draw (``SimulatedData.parameters``, ``ShardReader.parameter_draws``)."""
    available = sorted({name for draw in parameters for name in draw})
    unknown = [name for name in targets if name not in available]
    if unknown:
        raise ValueError(f"targets {unknown} are not parameters of these simulations; their parameters: "
                         f"{', '.join(available)}")
    keep = numpy.array([i for i, draw in enumerate(parameters) if all(name in draw for name in targets)])
    return keep, numpy.array([[parameters[i][name] for name in targets] for i in keep], dtype=float)


def evaluation_pictures(out_dir: str, evaluation: Evaluation, history: Any = None, prefix: str = "") -> list[str]:
    """The confusion matrix, the reliability diagram and (given a history) the training curves, as PNGs."""
    try:
        from minidl import plot  # noqa: PLC0415
    except ImportError:
        return []
    try:
        pictures = [plot.training_curves(history, os.path.join(out_dir, "training_curves.png"))] if history else []
        return pictures + [
            plot.confusion_matrix(evaluation.confusion, os.path.join(out_dir, f"{prefix}confusion_matrix.png"),
                                  evaluation.scenario_names, title="held-out simulations"),
            plot.reliability_diagram(evaluation.reliability(), os.path.join(out_dir, f"{prefix}reliability.png"))]
    except ImportError:  # matplotlib is an optional extra
        return []


def evaluate_simulations(bundle: Bundle, data: SimulatedData | ShardReader, simulations: str,
                         batch_size: int = BATCH_SIZE, progress: Any = None) -> Evaluation | dict:
    """Classification and calibration scores of a loaded bundle on every replicate of a simulation folder, read
    whole or through a ``ShardReader`` (``simulations``: its path, named in errors); for a regression bundle: the
    ``regression.scores`` table and the number of replicates.

    The replicates are encoded ``batch_size`` at a time (``map_encoded``) and
    only the network's outputs are kept: besides the model and the folder's
    index, memory holds one batch of images, whatever the folder's size.
    ``progress(done, total)``: replicates encoded so far (``genomics.progress``).
    """
    index = data.data if isinstance(data, ShardReader) else data
    if bundle.is_regression:
        scaling = regression.TargetScaling.from_dict(bundle.regression)
        parameters = data.parameter_draws() if isinstance(data, ShardReader) else data.parameters
        keep, values = target_values(parameters, scaling.names)
        predicted = map_encoded(lambda images: bundle.model.predict(models.model_input(images, bundle.network),
                                                                    batch_size=256).astype(float),
                                data, bundle.encoder, keep, batch_size, progress)
        return {"task": "regression", "samples": int(len(keep)),
                "scores": regression.scores(scaling.to_network(values), predicted, scaling,
                                            bundle.regression["interval_half_widths"])}
    bundle.check_same_scenarios(index.manifest, simulations)  # names and definitions
    trained = bundle.design.haplotypes_per_population
    if numpy.bincount(index.haplotype_populations).tolist() != trained:
        raise ValueError(f"{simulations!r} samples {numpy.bincount(index.haplotype_populations).tolist()} haplotypes "
                         f"per population but the model was trained on {trained}")
    logits = map_encoded(lambda images: network_logits(bundle.model, images, bundle.network), data, bundle.encoder,
                         batch_size=batch_size, progress=progress)
    return network_evaluation(index.scenario_names, index.labels, logits, bundle.temperature)


def evaluate(bundle: str, simulations: str, batch_size: int = BATCH_SIZE, progress: Any = None) -> Evaluation | dict:
    """``evaluate_simulations`` from files: a bundle file and a simulation folder, whose shards are read one
    after the other (``ShardReader``) and encoded ``batch_size`` replicates at a time."""
    return evaluate_simulations(Bundle.load(bundle), ShardReader(simulations), simulations, batch_size, progress)


def estimates_picture(scaling: regression.TargetScaling, true: numpy.ndarray, predicted: numpy.ndarray,
                      widths: dict | None, path: str) -> str:
    """Estimated against true parameter values of the test replicates, in the scenario's natural units (the
    network's z-scored log values turned back), each estimate with its 90% split-conformal interval when the
    run has one; parameters learned on the log scale on logarithmic axes."""
    from minidl import plot  # noqa: PLC0415 - matplotlib on demand

    low = high = None
    if widths is not None and "0.9" in widths:
        half = numpy.asarray(widths["0.9"], dtype=float)
        low, high = scaling.from_network(predicted - half), scaling.from_network(predicted + half)
    return plot.predicted_against_true(scaling.from_network(true), scaling.from_network(predicted), scaling.names,
                                       path, low, high, scaling.log, "90% interval (split conformal)")
