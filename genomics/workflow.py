"""Train, evaluate and predict: the steps the command line wires together.

A trained model travels as one bundle file (a minidl model file whose
metadata holds the encoder settings, the scenario names and definitions, the
sampling design and the training provenance), so that ``predict`` encodes
new data exactly as the training simulations were encoded.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy

import minidl
from genomics import models
from genomics.encode import Encoder
from genomics.simulate import SimulatedData, load_simulations, package_versions
from minidl import metrics
from minidl.callbacks import EarlyStopping

BUNDLE_KIND = "genomics-scenario-classifier"


def stratified_split(labels: numpy.ndarray, test_fraction: float, validation_fraction: float,
                     seed: int) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Index arrays (train, validation, test), each scenario split in the same proportions."""
    if not (0 < test_fraction < 1 and 0 <= validation_fraction < 1 and test_fraction + validation_fraction < 1):
        raise ValueError(f"test_fraction and validation_fraction must be in (0, 1) and sum below 1, got "
                         f"{test_fraction} and {validation_fraction}")
    generator = numpy.random.default_rng(seed)
    train, validation, test = [], [], []
    for label in numpy.unique(labels):
        members = generator.permutation(numpy.flatnonzero(labels == label))
        n_test = max(1, round(test_fraction * len(members)))
        n_validation = round(validation_fraction * len(members))
        test.extend(members[:n_test])
        validation.extend(members[n_test : n_test + n_validation])
        train.extend(members[n_test + n_validation :])
    return tuple(generator.permutation(numpy.array(part, dtype=int)) for part in (train, validation, test))


@dataclass
class Evaluation:
    scenario_names: list[str]
    accuracy: float
    confusion: numpy.ndarray
    precision: numpy.ndarray
    recall: numpy.ndarray
    samples: int

    def report(self) -> str:
        width = max(len(name) for name in self.scenario_names) + 2
        lines = [f"accuracy {self.accuracy:.3f} on {self.samples} held-out replicates "
                 f"(chance {1 / len(self.scenario_names):.3f})", "",
                 "confusion matrix (rows: true scenario, columns: predicted)",
                 " " * width + "".join(f"{i:>8d}" for i in range(len(self.scenario_names)))]
        for i, name in enumerate(self.scenario_names):
            lines.append(f"{i} {name}".ljust(width) + "".join(f"{c:>8d}" for c in self.confusion[i]))
        lines += ["", "scenario".ljust(width) + "  precision  recall"]
        for name, p, r in zip(self.scenario_names, self.precision, self.recall):
            lines.append(name.ljust(width) + f"  {p:9.3f}  {r:6.3f}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"scenario_names": self.scenario_names, "accuracy": self.accuracy, "samples": self.samples,
                "confusion_matrix": self.confusion.tolist(), "precision": self.precision.tolist(),
                "recall": self.recall.tolist()}


def evaluate_predictions(scenario_names: list[str], labels: numpy.ndarray, probabilities: numpy.ndarray) -> Evaluation:
    classes = len(scenario_names)
    predicted = probabilities.argmax(axis=1)
    return Evaluation(scenario_names, float(numpy.mean(predicted == labels)),
                      metrics.confusion_matrix(labels, predicted, classes),
                      metrics.precision(labels, predicted, classes), metrics.recall(labels, predicted, classes),
                      int(len(labels)))


def encode_data(data: SimulatedData, encoder: Encoder) -> numpy.ndarray:
    images, _ = encoder.encode_many(data.genotypes, data.positions, data.sequence_lengths, data.haplotype_populations)
    return images


def train(simulations: str, out_dir: str, kind: str = "cnn1d", encoder: Encoder | None = None, epochs: int = 30,
          batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 5, test_fraction: float = 0.2,
          validation_fraction: float = 0.15, seed: int = 0, verbose: int = 2) -> dict:
    """Encode a simulation folder, train a CNN with early stopping, evaluate on held-out replicates, save all.

    Writes to ``out_dir``: ``model.npz`` (the bundle), ``evaluation.json``,
    ``confusion_matrix.png`` and ``training_curves.png`` (when matplotlib is
    installed). Returns a summary dict.
    """
    if validation_fraction <= 0:
        raise ValueError("train needs validation_fraction > 0: early stopping watches the validation loss")
    encoder = encoder or Encoder()
    data = load_simulations(simulations)
    start = time.perf_counter()
    images = encode_data(data, encoder)
    inputs = models.model_input(images, kind)
    train_index, validation_index, test_index = stratified_split(data.labels, test_fraction, validation_fraction, seed)
    minidl.random.seed(seed)
    model = models.build(kind, images.shape[1:], len(data.scenario_names))
    model.compile(optimizer=minidl.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stopper = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(inputs[train_index], data.labels[train_index], batch_size=batch_size, epochs=epochs,
                        validation_data=(inputs[validation_index], data.labels[validation_index]),
                        callbacks=[stopper], verbose=verbose)
    evaluation = evaluate_predictions(data.scenario_names, data.labels[test_index],
                                      model.predict(inputs[test_index], batch_size=256))
    sizes = {"train": len(train_index), "validation": len(validation_index), "test": len(test_index)}
    design = data.manifest["scenarios"][0]["spec"]["design"]
    metadata = {
        "kind": BUNDLE_KIND, "network": kind, "encoder": encoder.to_dict(),
        "scenario_names": data.scenario_names, "scenario_specs": [s["spec"] for s in data.manifest["scenarios"]],
        "design": {"populations": data.population_names,
                   "haplotypes_per_population": numpy.bincount(data.haplotype_populations).tolist(),
                   "sequence_length": design.get("sequence_length", 1e5)},
        "training": {"simulations": os.path.abspath(simulations), "master_seed": data.manifest["master_seed"],
                     "replicates_per_scenario": data.manifest["replicates_per_scenario"], "split": sizes,
                     "seed": seed, "epochs_run": len(history.history["loss"]),
                     "best_epoch": None if stopper.best_epoch is None else stopper.best_epoch + 1,
                     "test_accuracy": evaluation.accuracy, "versions": package_versions()},
    }
    os.makedirs(out_dir, exist_ok=True)
    bundle = os.path.join(out_dir, "model.npz")
    model.save(bundle, metadata=metadata)
    with open(os.path.join(out_dir, "evaluation.json"), "w") as handle:
        json.dump({**evaluation.to_dict(), "split": sizes, "history": history.history}, handle, indent=1)
    pictures = _pictures(out_dir, history, evaluation)
    return {"bundle": bundle, "evaluation": evaluation, "split": sizes, "history": history.history,
            "seconds": time.perf_counter() - start, "pictures": pictures}


def _pictures(out_dir: str, history: Any, evaluation: Evaluation) -> list[str]:
    try:
        from minidl import plot  # noqa: PLC0415
        return [plot.training_curves(history, os.path.join(out_dir, "training_curves.png")),
                plot.confusion_matrix(evaluation.confusion, os.path.join(out_dir, "confusion_matrix.png"),
                                      evaluation.scenario_names, title="held-out simulations")]
    except ImportError:
        return []


def load_bundle(path: str) -> tuple[minidl.Sequential, dict]:
    """The model and its metadata; a model file that is not a genomics bundle is an error naming it."""
    from minidl.saving import read_metadata  # noqa: PLC0415

    metadata = read_metadata(path)
    if metadata.get("kind") != BUNDLE_KIND:
        raise ValueError(f"{path!r} is a minidl model but not a genomics scenario classifier (no bundle metadata)")
    return minidl.load_model(path), metadata


def evaluate(bundle: str, simulations: str) -> Evaluation:
    """Accuracy and confusion matrix of a trained bundle on another simulation folder."""
    model, metadata = load_bundle(bundle)
    data = load_simulations(simulations)
    if data.scenario_names != metadata["scenario_names"]:
        raise ValueError(f"{simulations!r} holds scenarios {data.scenario_names} but the model was trained on "
                         f"{metadata['scenario_names']} (same names, same order)")
    trained = metadata["design"]["haplotypes_per_population"]
    if numpy.bincount(data.haplotype_populations).tolist() != trained:
        raise ValueError(f"{simulations!r} samples {numpy.bincount(data.haplotype_populations).tolist()} haplotypes "
                         f"per population but the model was trained on {trained}")
    images = encode_data(data, Encoder.from_dict(metadata["encoder"]))
    probabilities = model.predict(models.model_input(images, metadata["network"]), batch_size=256)
    return evaluate_predictions(data.scenario_names, data.labels, probabilities)


def predict_vcf(bundle: str, vcf_path: str, popmap_path: str, window: float | None = None, min_snps: int = 10,
                seed: int = 0) -> dict:
    """Posterior class probabilities per window of a VCF, and their mean over windows."""
    from genomics import vcf  # noqa: PLC0415

    model, metadata = load_bundle(bundle)
    design = metadata["design"]
    if window is None:
        if not isinstance(design["sequence_length"], (int, float)):
            raise ValueError("the training design's sequence length was drawn from a prior: give --window")
        window = float(design["sequence_length"])
    data = vcf.read_vcf(vcf_path, vcf.read_population_map(popmap_path), design["populations"],
                        design["haplotypes_per_population"], seed=seed)
    encoder = Encoder.from_dict(metadata["encoder"])
    rows = []
    for chromosome, start, end, sites in vcf.windows(data, window, min_snps):
        image, real = encoder.encode(data.haplotypes[:, sites], data.positions[sites] - start, window,
                                     data.haplotype_populations)
        probabilities = model.predict(models.model_input(image[None], metadata["network"]))[0]
        rows.append({"chromosome": chromosome, "start": start, "end": end, "snps": int(sites.size),
                     "snps_used": int(real), "probabilities": probabilities.tolist()})
    if not rows:
        raise ValueError(f"no window of {window:g} bp in {vcf_path!r} holds {min_snps} or more usable SNPs "
                         f"({data.report['sites_kept']} sites kept of {data.report['sites_in_vcf']})")
    mean = numpy.mean([row["probabilities"] for row in rows], axis=0)
    return {"scenario_names": metadata["scenario_names"], "windows": rows, "mean_probabilities": mean.tolist(),
            "report": data.report, "window_length": window}


def abc_baseline(simulations: str, tolerance: float = 0.01, test_fraction: float = 0.2, seed: int = 0) -> Evaluation:
    """Rejection-ABC model choice on summary statistics, scored on the same kind of held-out split as ``train``.

    The reference table is every replicate outside the test split (train and
    validation together); each test replicate is classified by its highest
    posterior probability.
    """
    from genomics import abc  # noqa: PLC0415

    data = load_simulations(simulations)
    table = abc.statistics_table(data)
    reference_index, _, test_index = stratified_split(data.labels, test_fraction, 0.0, seed)
    posteriors = abc.model_choice(table[reference_index], data.labels[reference_index], table[test_index],
                                  len(data.scenario_names), tolerance)
    return evaluate_predictions(data.scenario_names, data.labels[test_index], posteriors)
