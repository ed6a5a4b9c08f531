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
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

import numpy

import minidl
from genomics.learning import calibration, networks as models, regression
from genomics.simulation import resources
from genomics.observed import vcf
from genomics.learning import checkpoint as checkpoints
from genomics.learning import ensemble as ensembles
from genomics.learning.batches.augmentation import FreshMasks, check_fresh_masks
from genomics.simulation.cluster import gathered
from genomics.simulation.store import ShardReader, check_same_scenarios
from genomics.learning.batches.streaming import ShardBatches
from genomics.learning.batches.heldout import PARTS, FromShards, InMemory
from genomics.learning.batches.onthefly import FreshSimulations
from genomics.learning.ensemble import Ensemble, check_temperatures
from genomics.scenario.design import SamplingDesign
from genomics.encoding.encoder import SPECTRA, Encoder, encoding_for_design
from genomics.learning.evaluation import RAW, Evaluation, calibrated_name, network_evaluation
from genomics.genotypes import Genotypes
from genomics.observed.readers import random_subset
from genomics.scenario.scenario import Scenario
from genomics.simulation.run import (
    SimulatedData,
    load_simulations,
    package_versions,
    replicate_seed,
    simulate_replicate,
)
from minidl.callbacks import EarlyStopping, ReduceLROnPlateau
from minidl.saving import read_metadata

BUNDLE_KIND = "genomics-scenario-classifier"


def stratified_split(labels: numpy.ndarray, fractions: tuple[float, ...], seed: int) -> tuple[numpy.ndarray, ...]:
    """Index arrays (train, then one per fraction), every scenario split in the same proportions, seeded.

    ``fractions`` are those of the held-out parts (e.g. validation,
    calibration, test); train gets the rest. A part with a positive fraction
    gets at least one replicate of each scenario.
    """
    if any(f < 0 for f in fractions) or sum(fractions) >= 1:
        raise ValueError(f"the held-out fractions must be >= 0 and sum below 1, got {', '.join(map(str, fractions))}")
    generator = numpy.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in numpy.unique(labels):
        members = generator.permutation(numpy.flatnonzero(labels == label))
        start = 0
        for index, fraction in enumerate(fractions, start=1):
            size = max(1, round(fraction * len(members))) if fraction > 0 else 0
            parts[index].extend(members[start : start + size])
            start += size
        parts[0].extend(members[start:])
    return tuple(generator.permutation(numpy.array(part, dtype=int)) for part in parts)


@dataclass(frozen=True)
class TrainingConfig:
    """How a network is trained; these defaults (and help texts) are the command line's."""

    network: str = field(default=None, metadata={
        "help": "default: chosen from the encoding (cnn2d for a frequency spectrum, else cnn1d); "
                "cnn1d: haplotypes as channels (Flagel et al.); cnn2d: 2-D over haplotypes x SNPs; perez: Perez et "
                "al. 2022's Conv1D network; flagel: Flagel et al. 2019's genotype branch; sites: the same network "
                "on every SNP, then the mean over SNPs (with --layout population_frequencies); exchangeable: the "
                "same features on every haplotype, their mean within each population (invariant to the order of "
                "the haplotypes)",
        "choices": models.KINDS})
    augment: str = field(default="none", metadata={
        "help": "permute: shuffle the haplotypes within each population anew at every training step (for "
                "networks that are not invariant to their order)", "choices": models.AUGMENTATIONS})
    fresh_masks: bool = field(default=False, metadata={
        "help": "under a design with missing calls: draw a new mask of the design for every training replicate at "
                "every epoch (the other splits keep their simulated masks)"})
    stream: bool = field(default=False, metadata={
        "help": "read the replicates from their shards batch by batch, encoding each training batch while the "
                "previous one trains, and the validation, calibration and test replicates a chunk at a time: "
                "memory holds --shards-in-memory shards and a few batches, whatever the number of simulations"})
    shards_in_memory: int = field(default=4, metadata={"help": "with --stream: shards held in memory at once"})
    on_the_fly: int = field(default=0, metadata={
        "help": "train on N fresh replicates of each scenario every epoch, simulated in worker processes while "
                "the previous epoch trains, instead of on the folder's replicates; the folder's replicates are "
                "then all held out (validation, calibration and test, in proportion to their fractions)"})
    simulation_workers: int = field(default=1, metadata={
        "help": "with --on-the-fly: simulation processes beside training"})
    epochs: int = field(default=30, metadata={"help": "most epochs (early stopping)"})
    batch_size: int = field(default=32, metadata={"help": "replicates per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate"})
    patience: int = field(default=5, metadata={"help": "epochs without a better --monitor value before stopping"})
    test_fraction: float = field(default=0.2, metadata={"help": "replicates held out for the test"})
    validation_fraction: float = field(default=0.15, metadata={"help": "replicates for early stopping"})
    calibration_fraction: float = field(default=0.1, metadata={
        "help": "replicates on which the temperature of the probabilities is fitted (0: no calibration; the "
                "outputs are then labelled as raw softmax values)"})
    seed: int = field(default=0, metadata={"help": "the default of --split-seed and --init-seed"})
    split_seed: int = field(default=None, metadata={"help": "seed of the train/validation/calibration/test split"})
    init_seed: int = field(default=None, metadata={"help": "seed of the initial weights, dropout and shuffles"})
    dropout: float = field(default=None, metadata={"help": "every dropout rate of the network (default: its own)"})
    monitor: str = field(default="val_loss", metadata={
        "help": "what early stopping (and --reduce-lr-patience) watches; the best epoch's weights are kept",
        "choices": ("val_loss", "val_accuracy")})
    reduce_lr_patience: int = field(default=0, metadata={
        "help": "epochs without improvement before the learning rate is multiplied by 0.2 (0: never)"})
    replicates_per_scenario: int = field(default=0, metadata={
        "help": "use only the first N replicates of each scenario (a learning curve; 0: all)"})
    task: str = field(default="classification", metadata={
        "help": "classification of scenarios, or regression: estimate the --targets parameters",
        "choices": ("classification", "regression")})
    ensemble: int = field(default=1, metadata={
        "help": "train K networks from the init seeds s, s+1, ..., s+K-1 and average their calibrated probabilities "
                "(a classification; the spread of the members is reported)"})
    targets: str = field(default=None, metadata={
        "help": "with --task regression: comma-separated parameter names to estimate (replicates of scenarios "
                "without them are left out)"})

    def __post_init__(self) -> None:
        if self.network is not None and self.network not in models.KINDS:
            raise ValueError(f"network must be one of {', '.join(models.KINDS)}, got {self.network!r}")
        if self.augment not in models.AUGMENTATIONS:
            raise ValueError(f"augment must be one of {', '.join(models.AUGMENTATIONS)}, got {self.augment!r}")
        if self.network == "exchangeable" and self.augment == "permute":
            raise ValueError("the exchangeable network gives the same output for any order of the haplotypes "
                             "within a population: --augment permute would change nothing")
        if self.stream and self.fresh_masks:
            raise ValueError("--stream and --fresh-masks cannot be combined yet: choose one")
        if self.on_the_fly and (self.stream or self.fresh_masks or self.task == "regression"):
            raise ValueError("--on-the-fly trains a scenario classifier on fresh replicates: it does not combine "
                             "with --stream, --fresh-masks or --task regression")
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("reduce_lr_patience", 0),
                          ("replicates_per_scenario", 0), ("ensemble", 1), ("shards_in_memory", 1),
                          ("on_the_fly", 0), ("simulation_workers", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.dropout is not None and not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.monitor not in ("val_loss", "val_accuracy"):
            raise ValueError(f"monitor must be val_loss or val_accuracy, got {self.monitor!r}")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be classification or regression, got {self.task!r}")
        if self.task == "regression" and not self.target_list:
            raise ValueError("task regression needs targets: the parameter names to estimate, e.g. T1,N_A")
        if self.task == "regression" and self.monitor != "val_loss":
            raise ValueError("a regression is monitored by val_loss (it has no accuracy)")
        if self.task == "regression" and self.ensemble > 1:
            raise ValueError("ensemble averages the probabilities of scenario classifiers; a regression trains one "
                             "network")
        if self.task == "classification" and self.targets:
            raise ValueError("targets are estimated with task regression; classification predicts scenarios")
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < float("inf")):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        for name in ("seed", "split_seed", "init_seed"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        fractions = (self.validation_fraction, self.calibration_fraction, self.test_fraction)
        if not (0 < self.test_fraction < 1 and 0 < self.validation_fraction < 1 and 0 <= self.calibration_fraction < 1
                and sum(fractions) < 1):
            raise ValueError(f"test_fraction and validation_fraction must be in (0, 1), calibration_fraction in "
                             f"[0, 1), and together below 1 (early stopping watches the validation loss), got "
                             f"{self.test_fraction}, {self.validation_fraction} and {self.calibration_fraction}")

    @property
    def target_list(self) -> list[str]:
        return [name.strip() for name in (self.targets or "").split(",") if name.strip()]

    @property
    def seeds(self) -> dict:
        """The seed of each job: the split and the network's initial weights (``seed`` where not given)."""
        return {"split": self.seed if self.split_seed is None else self.split_seed,
                "init": self.seed if self.init_seed is None else self.init_seed}


@dataclass
class Split:
    """Indices of the replicates in each part, every scenario split in the same proportions."""

    train: numpy.ndarray
    validation: numpy.ndarray
    calibration: numpy.ndarray
    test: numpy.ndarray

    def sizes(self) -> dict:
        return {"train": len(self.train), "validation": len(self.validation), "calibration": len(self.calibration),
                "test": len(self.test)}

    def taking_part(self) -> tuple[numpy.ndarray, "Split"]:
        """(the replicates of every part, in part order; the same split as positions in that array), so that
        only the replicates taking part are encoded."""
        parts = [self.train, self.validation, self.calibration, self.test]
        ends = numpy.cumsum([0] + [len(part) for part in parts])
        return numpy.concatenate(parts), Split(*(numpy.arange(ends[i], ends[i + 1]) for i in range(4)))


@dataclass
class FittedNetwork:
    model: minidl.Sequential
    history: dict
    best_epoch: int | None  # 1-based; None when the monitored value never improved


# ---------------------------------------------------------------------------- the steps of train, in order
def encode_data(data: SimulatedData, encoder: Encoder, indices: numpy.ndarray | None = None,
                executor: Any = None, chunk: int = 500) -> numpy.ndarray:
    """Step 2: the replicates (all, or ``indices`` in that order) as images (n, haplotypes, n_snps, channels).

    ``executor`` (a Dask cluster's, ``genomics.simulation.cluster``): the replicates go to its workers ``chunk`` at a
    time; the images are the same.
    """
    indices = numpy.arange(len(data.labels)) if indices is None else numpy.asarray(indices)
    if executor is None:
        images, _ = encoder.encode_many([data.genotypes[i] for i in indices], [data.positions[i] for i in indices],
                                        data.sequence_lengths[indices], data.haplotype_populations)
        return images
    calls = (([data.genotypes[i] for i in part], [data.positions[i] for i in part], data.sequence_lengths[part],
              data.haplotype_populations)
             for part in (indices[start : start + chunk] for start in range(0, len(indices), chunk)))
    return numpy.concatenate([images for images, _ in gathered(executor, encoder.encode_many, calls)])


def encode_genotypes(encoder: Encoder, data: Genotypes) -> tuple[numpy.ndarray, int]:
    """One observed data set (``genomics.genotypes.Genotypes``) as an image and its number of real SNPs
    (``Encoder.encode_genotypes``: refused when the encoding needs positions the data lack)."""
    return encoder.encode_genotypes(data)


def split_replicates(labels: numpy.ndarray, config: TrainingConfig) -> Split:
    """Step 1: train / validation / calibration / test indices, stratified by scenario, seeded by the split seed.

    With ``config.replicates_per_scenario`` = N, only the first N replicates
    of each scenario take part (the same ones for every seed).
    """
    use = numpy.arange(len(labels))
    if config.replicates_per_scenario:
        use = numpy.concatenate([numpy.flatnonzero(labels == label)[: config.replicates_per_scenario]
                                 for label in numpy.unique(labels)])
    if config.on_the_fly:  # no training part: the fractions of the held-out parts, scaled to sum to 1
        total = config.validation_fraction + config.calibration_fraction + config.test_fraction
        test, validation, calibration = stratified_split(
            labels[use], (config.validation_fraction / total, config.calibration_fraction / total),
            config.seeds["split"])
        return Split(use[:0], use[validation], use[calibration], use[test])
    parts = stratified_split(labels[use], (config.validation_fraction, config.calibration_fraction,
                                           config.test_fraction), config.seeds["split"])
    return Split(*(use[part] for part in parts))


def fit_network(images: numpy.ndarray | None, labels: numpy.ndarray | None, split: Split | None, classes: int,
                config: TrainingConfig, population_sizes: list[int], verbose: int = 2, training_data: Any = None,
                validation_data: Any = None, input_shape: tuple | None = None,
                checkpoint: Callable[[EarlyStopping, list], checkpoints.TrainingCheckpoint] | None = None
                ) -> FittedNetwork:
    """Step 3: build the network (initial weights from the init seed) and fit it with early stopping.

    ``config.ensemble`` is not looked at: ``train`` calls this once per member.
    The data are ``images[split.train]`` and ``images[split.validation]`` with
    their ``labels``, unless given as ``training_data`` (``(inputs, labels)``
    arrays, or a ``minidl.training.data.PyDataset`` of training batches:
    ``genomics.learning.batches.augmentation.FreshMasks``, ``genomics.learning.batches.streaming.ShardBatches``)
    and ``validation_data`` (arrays or a dataset); ``input_shape`` is then the
    shape of one image. ``checkpoint(stopper, schedule)``: the
    ``genomics.learning.checkpoint.TrainingCheckpoint`` that writes the best model
    so far and the resume state after each epoch (and may resume a stopped
    training: then the history returned is the whole training's).

    For a regression, ``labels`` are the scaled targets (replicates, parameters) and the loss is the MSE.
    ``population_sizes``: haplotypes per population, the image's row blocks.
    """
    input_shape = images.shape[1:] if input_shape is None else tuple(input_shape)
    minidl.random.seed(config.seeds["init"])
    regression = config.task == "regression"
    rows = input_shape[0]
    model = models.build(config.network, input_shape, classes, config.dropout,
                         estimates=labels.shape[1] if regression else 0,
                         population_sizes=population_sizes if sum(population_sizes) == rows else None,
                         augment=config.augment)
    model.compile(optimizer=minidl.optimizers.Adam(config.learning_rate),
                  loss="mse" if regression else "sparse_categorical_crossentropy",
                  metrics=[] if regression else ["accuracy"])
    stopper = EarlyStopping(monitor=config.monitor, patience=config.patience, restore_best_weights=True)
    schedule = [ReduceLROnPlateau(monitor=config.monitor, factor=0.2, patience=config.reduce_lr_patience)] \
        if config.reduce_lr_patience else []
    saver = checkpoint(stopper, schedule) if checkpoint else None
    if saver is not None:
        saver.restore_model(model)
    if training_data is None or validation_data is None:
        inputs = models.model_input(images, config.network)
    if training_data is None:
        training_data = (inputs[split.train], labels[split.train])
    arrays = isinstance(training_data, tuple)
    if validation_data is None:
        validation_data = (inputs[split.validation], labels[split.validation])
    history = model.fit(*(training_data if arrays else (training_data, None)), batch_size=config.batch_size,
                        epochs=config.epochs, validation_data=validation_data,
                        callbacks=[*schedule, stopper, *([saver] if saver else [])], verbose=verbose, shuffle=arrays,
                        initial_epoch=saver.initial_epoch if saver else 0)  # a dataset shuffles itself
    return FittedNetwork(model, saver.history if saver else history.history,
                         None if stopper.best_epoch is None else stopper.best_epoch + 1)


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


def evaluate_network(model: minidl.Sequential | Ensemble, images: numpy.ndarray, labels: numpy.ndarray, network: str,
                     scenario_names: list[str], temperature: float | None = None) -> Evaluation:
    """Step 5: classification and calibration scores of ``model`` on these replicates, before and after T."""
    return network_evaluation(scenario_names, labels, network_logits(model, images, network), temperature)


def bundle_metadata(data: SimulatedData, simulations: str, encoder: Encoder, config: TrainingConfig, split: Split,
                    fitted: FittedNetwork, test_scores: dict, test_accuracy: float | None = None,
                    **entries: Any) -> dict:
    """What a bundle carries beside the weights, so that ``predict`` encodes data as the training data were.

    ``entries``: the task's own keys: a classifier's ``calibration`` (the
    temperature that turns its logits into calibrated probabilities; None
    when not calibrated), a regression's ``task`` and ``regression`` (target
    scaling and interval half-widths).
    """
    training = {"simulations": os.path.abspath(simulations), "master_seed": data.manifest["master_seed"],
                "replicates_per_scenario": data.manifest["replicates_per_scenario"], "split": split.sizes(),
                "config": asdict(config), "seeds": config.seeds, "epochs_run": len(fitted.history["loss"]),
                "best_epoch": fitted.best_epoch}
    if test_accuracy is not None:
        training["test_accuracy"] = test_accuracy
    return {
        "kind": BUNDLE_KIND, **({"task": entries.pop("task")} if "task" in entries else {}),
        "network": config.network, "encoder": encoder.to_dict(),
        "scenario_names": data.scenario_names, "scenario_specs": [s["spec"] for s in data.manifest["scenarios"]],
        "design": data.design.to_dict(), **entries,
        "training": {**training, "test_scores": test_scores, "versions": package_versions()},
    }


def write_bundle(out_dir: str, model: minidl.Sequential | Ensemble, metadata: dict, evaluation: Evaluation, split: Split,
                 history: dict) -> tuple[str, list[str]]:
    """Step 6: ``model.npz`` (the bundle), ``evaluation.json`` and the pictures; returns (bundle, pictures)."""
    bundle = os.path.join(out_dir, "model.npz")
    model.save(bundle, metadata=metadata, include_optimizer=False)  # a bundle predicts; it is not resumed
    with open(os.path.join(out_dir, "evaluation.json"), "w") as handle:
        json.dump({**evaluation.to_dict(), "split": split.sizes(), "calibration": metadata["calibration"],
                   "history": history}, handle, indent=1)
    return bundle, evaluation_pictures(out_dir, evaluation, history)


def prepare_output_folder(out_dir: str) -> None:
    """Create ``out_dir`` (and its parents) now, so that a bad path fails before any long work."""
    blocker = os.path.abspath(out_dir)
    while blocker != os.path.dirname(blocker) and not os.path.exists(blocker):
        blocker = os.path.dirname(blocker)
    if os.path.exists(blocker) and not os.path.isdir(blocker):
        raise ValueError(f"cannot create the output folder {out_dir!r}: {blocker!r} is a file, not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the output folder {out_dir!r}: {error.strerror or error}") from None
    if not os.access(out_dir, os.W_OK):
        raise ValueError(f"the output folder {out_dir!r} is not writable")


def check_layout(config: TrainingConfig, layout: str) -> None:
    """One sentence when the network or the augmentation needs one image row per haplotype and ``layout``
    has none."""
    if layout != "haplotypes" and (config.network == "exchangeable" or config.augment == "permute"):
        raise ValueError(f"{'the exchangeable network' if config.network == 'exchangeable' else 'augment permute'} "
                         f"needs one image row per haplotype, but layout {layout} has "
                         + ("one row per population" if layout == "population_frequencies" else "a frequency spectrum"))


def choose_encoding_and_network(design: SamplingDesign, encoder: Encoder | dict | None,
                                config: TrainingConfig) -> tuple[Encoder, TrainingConfig, dict]:
    """(the encoder, the config with its network, and why each: one line each) for a design; what was given
    (an Encoder, encoder settings, ``config.network``) is kept, the rest is chosen from the design."""
    if isinstance(encoder, Encoder):
        encoding = f"{encoder.layout} (given)"
    else:
        encoder, encoding = encoding_for_design(design, **(encoder or {}))
    encoding = f"{encoder.layout}" + (f", projected to {encoder.sfs_haplotypes} haplotypes per population"
                                      if encoder.sfs_haplotypes else "") + f": {encoding}"
    if config.network is None:
        kind, why = models.network_for(encoder.layout)
        config, network = replace(config, network=kind), f"{kind}: {why} (the default for {encoder.layout})"
    else:
        network = f"{config.network} (given)"
    return encoder, config, {"encoding": encoding, "network": network}


def train(simulations: str, out_dir: str, config: TrainingConfig | None = None,
          encoder: Encoder | dict | None = None, verbose: int = 2, executor: Any = None, resume: bool = False) -> dict:
    """Encode a simulation folder, train a CNN with early stopping, calibrate it, evaluate it on held-out
    replicates, save all.

    The six steps above, in order (the split first, so that only the
    replicates taking part are encoded); a regression (``config.task``)
    takes the same steps with parameter targets (``_train_regression``).
    ``encoder``: an Encoder, or settings that override
    ``Encoder.for_design``'s defaults. Writes to ``out_dir``: ``model.npz``
    (the bundle), ``evaluation.json``, ``confusion_matrix.png``,
    ``reliability.png`` and ``training_curves.png`` (when matplotlib is
    installed). ``executor``: where the replicates are encoded (a Dask
    cluster's, ``genomics.simulation.cluster``; None: here). Returns a summary dict.

    As training goes, ``out_dir`` holds the best model so far and the state
    to resume from (``genomics.learning.checkpoint``); ``resume``: go on from that
    state (same settings; ``epochs`` may differ).
    """
    config = config or TrainingConfig()
    prepare_output_folder(out_dir)
    if config.stream and config.task == "regression":
        raise ValueError("--stream: only classification streams its training replicates so far, not --task "
                         "regression")
    reader = ShardReader(simulations, config.shards_in_memory) if config.stream else None
    data = reader.data if reader is not None else load_simulations(simulations)
    encoder, config, choices = choose_encoding_and_network(data.design, encoder, config)
    if verbose:
        print(f"encoding: {choices['encoding']}\nnetwork: {choices['network']}", flush=True)
    check_layout(config, encoder.layout)
    if config.fresh_masks:
        if config.task == "regression":
            raise ValueError("--fresh-masks: only classification draws fresh masks so far, not --task regression")
        check_fresh_masks(data)
    settings = {"simulations": os.path.abspath(simulations), "master_seed": data.manifest["master_seed"],
                "encoder": encoder.to_dict(), **asdict(config)}
    point = checkpoints.resume_point(out_dir) if resume else None
    if point is not None:
        point.check_settings(settings)
    start = time.perf_counter()
    if config.task == "regression":
        return _train_regression(data, simulations, out_dir, config, encoder, verbose, start, executor,
                                 (settings, point))
    split = split_replicates(data.labels, config)
    labels = {part: data.labels[getattr(split, part)] for part in ("train", *PARTS)}
    if reader is not None:  # the held-out replicates too are read from the shards when needed
        held_out = FromShards(config.network, reader, encoder, {part: getattr(split, part) for part in PARTS}, labels)
    else:  # the parts' images are consecutive blocks of one array: views, not copies
        used, _ = split.taking_part()
        resources.check_images(encoder, data.design, len(used) + 2 * config.on_the_fly * len(data.scenario_names),
                               "the replicates taking part")
        train_images, *held_out_images = numpy.split(encode_data(data, encoder, used, executor),
                                                     numpy.cumsum(list(split.sizes().values()))[:-1])
        held_out = InMemory(config.network, dict(zip(PARTS, held_out_images)), labels)
    members, entries, fresh = [], {}, []
    metadata_for = lambda history, best, entry: bundle_metadata(  # noqa: E731 - the checkpoints' bundle metadata
        data, simulations, encoder, config, split, FittedNetwork(None, history, best), None, calibration=None,
        checkpoint=entry)
    for k in range(config.ensemble):
        if point is not None and k < point.member:  # trained before the stop: restored below
            members.append(None)
            continue
        start_epoch = point.epochs_done if point is not None and k == point.member else 0
        saver = lambda stopper, schedule, k=k: checkpoints.TrainingCheckpoint(  # noqa: E731
            out_dir, stopper, schedule, settings, metadata_for, k, _finished_members(members, point),
            point if point is not None and k == point.member else None, write_bundle=k == 0)
        member_config = replace(config, init_seed=config.seeds["init"] + k) if k else config
        if config.ensemble > 1 and verbose:
            print(f"ensemble member {k + 1} of {config.ensemble} (init seed {member_config.seeds['init']})")
        if config.on_the_fly:
            batches = FreshSimulations([entry["spec"] for entry in data.manifest["scenarios"]], config.on_the_fly,
                                       encoder, config.network, config.batch_size, data.manifest["master_seed"],
                                       member_config.seeds["init"], config.simulation_workers, start_epoch)
        elif config.fresh_masks:
            batches = FreshMasks(data, split.train, labels["train"], encoder, config.network, config.batch_size,
                                 member_config.seeds["init"])
        elif reader is not None:
            batches = ShardBatches(reader, split.train, labels["train"], encoder, config.network, config.batch_size,
                                   member_config.seeds["init"])
        else:
            batches = (models.model_input(train_images, config.network), labels["train"])
        if not isinstance(batches, (tuple, FreshSimulations)):  # a resumed dataset starts at its next epoch
            for _ in range(start_epoch):
                batches.on_epoch_end()
        try:
            members.append(fit_network(None, None, None, len(data.scenario_names), member_config,
                                       data.design.haplotypes_per_population, verbose, training_data=batches,
                                       validation_data=held_out.validation_data(config.batch_size),
                                       input_shape=held_out.input_shape, checkpoint=saver))
        except BaseException:  # interrupted or failed: end the simulation workers now
            if isinstance(batches, FreshSimulations):
                batches.close(terminate=True)
            raise
        if isinstance(batches, FreshSimulations):
            batches.close()
            fresh.append(batches.simulated + start_epoch * config.on_the_fly * len(data.scenario_names))
    for k, member in enumerate(members):  # the members trained before a stop, from the resume state
        if member is None:
            weights, history, best = point.finished_member(k)
            members[k] = FittedNetwork(checkpoints.rebuilt(members[-1].model, weights), history, best)
    fitted = members[0]
    model: minidl.Sequential | Ensemble = fitted.model
    if config.ensemble > 1:
        model, entries["ensemble"], logits = train_ensemble(members, held_out, config)
    else:
        logits = {part: held_out.logits(model, part) for part in ("calibration", "test") if len(getattr(split, part))}
    if fresh:
        entries["on_the_fly"] = {"replicates_per_scenario_per_epoch": config.on_the_fly, "simulated": fresh,
                                 "seed_rule": "numpy.random.SeedSequence([master_seed, scenario_index, "
                                              "replicate_index, epoch + 1]).generate_state(1)[0]"}
    calibrated = calibrate_logits(logits["calibration"], labels["calibration"]) if "calibration" in logits else None
    evaluation = network_evaluation(data.scenario_names, labels["test"], logits["test"],
                                    calibrated["temperature"] if calibrated else None)
    metadata = bundle_metadata(data, simulations, encoder, config, split, fitted, evaluation.scores,
                               evaluation.accuracy, calibration=calibrated, **entries)
    bundle, pictures = write_bundle(out_dir, model, metadata, evaluation, split, fitted.history)
    checkpoints.finish(out_dir)
    return {"bundle": bundle, "evaluation": evaluation, "split": split.sizes(), "history": fitted.history,
            "calibration": calibrated, "seconds": time.perf_counter() - start, "pictures": pictures,
            "choices": choices, **entries}


def _finished_members(members: list, point: checkpoints.ResumePoint | None) -> list:
    """(weights, history, best epoch) of each member trained so far (None: trained before the stop)."""
    return [point.finished_member(k) if member is None else (member.model.get_weights(), member.history,
                                                             member.best_epoch) for k, member in enumerate(members)]


def train_ensemble(members: list[FittedNetwork], held_out: InMemory | FromShards,
                   config: TrainingConfig) -> tuple[Ensemble, dict, dict]:
    """The ensemble of fitted members, each with its own temperature from the calibration split (none without
    one); what the bundle records of them: seeds, epochs, temperatures, each member's test scores and the
    members' spread on the test split; and the ensemble's logits on the calibration and test splits, from the
    one pass of every member over them that these took (``Ensemble.logits`` of the same replicates)."""
    calibration_labels, test_labels = held_out.labels["calibration"], held_out.labels["test"]
    calibration_logits = [held_out.logits(member.model, "calibration") for member in members] \
        if len(calibration_labels) else []
    temperatures = [calibrate_logits(z, calibration_labels)["temperature"] for z in calibration_logits] \
        or [None] * len(members)
    model = Ensemble([member.model for member in members], temperatures)
    # a temperature never changes which scenario wins
    probabilities = numpy.stack([calibration.softmax(held_out.logits(member.model, "test"), temperature or 1.0)
                                 for member, temperature in zip(members, temperatures)])
    logits = {"test": ensembles.mean_logits(probabilities)}
    if calibration_logits:
        logits["calibration"] = ensembles.mean_logits(numpy.stack(
            [calibration.softmax(z, temperature) for z, temperature in zip(calibration_logits, temperatures)]))
    accuracies = [float(numpy.mean(p.argmax(axis=1) == test_labels)) for p in probabilities]
    spread = probabilities.std(axis=0)
    return model, {"members": len(members), "init_seeds": [config.seeds["init"] + k for k in range(len(members))],
                   "member_temperatures": temperatures, "member_test_accuracy": accuracies,
                   "member_best_epochs": [member.best_epoch for member in members],
                   "member_epochs_run": [len(member.history["loss"]) for member in members],
                   "mean_member_sd": float(spread.mean())}, logits


def target_values(data: SimulatedData, targets: list[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(indices of the replicates whose scenario has every target, their values (replicates, targets))."""
    available = sorted({name for draw in data.parameters for name in draw})
    unknown = [name for name in targets if name not in available]
    if unknown:
        raise ValueError(f"targets {unknown} are not parameters of these simulations; their parameters: "
                         f"{', '.join(available)}")
    keep = numpy.array([i for i, draw in enumerate(data.parameters) if all(name in draw for name in targets)])
    return keep, numpy.array([[data.parameters[i][name] for name in targets] for i in keep], dtype=float)


def _train_regression(data: SimulatedData, simulations: str, out_dir: str, config: TrainingConfig, encoder: Encoder,
                      verbose: int, start: float, executor: Any = None, resuming: tuple | None = None) -> dict:
    """``train`` for a regression: the same steps with scaled parameter targets, conformal intervals fitted on
    the calibration split and R^2, RMSE and coverage on the test split. ``resuming``: (the settings a resumed
    run must repeat, the ``ResumePoint`` or None)."""
    targets = config.target_list
    keep, values = target_values(data, targets)
    split = split_replicates(data.labels[keep], config)
    split = Split(*(keep[part] for part in (split.train, split.validation, split.calibration, split.test)))
    position = {index: row for row, index in enumerate(keep)}
    used, local = split.taking_part()
    raw = values[[position[i] for i in used]]
    scaling = regression.TargetScaling.fit(targets, raw[local.train])
    scaled = scaling.to_network(raw)
    resources.check_images(encoder, data.design, len(used), "the replicates taking part")
    images = encode_data(data, encoder, used, executor)
    settings, point = resuming or (asdict(config), None)
    estimates = {"task": "regression", "regression": {**scaling.to_dict(), "interval_half_widths": None,
                                                      "interval_method": None}}
    metadata_for = lambda history, best, entry: bundle_metadata(  # noqa: E731 - the checkpoints' bundle metadata
        data, simulations, encoder, config, split, FittedNetwork(None, history, best), None, calibration=None,
        checkpoint=entry, **estimates)
    fitted = fit_network(images, scaled, local, len(data.scenario_names), config, data.design.haplotypes_per_population,
                         verbose, checkpoint=lambda stopper, schedule: checkpoints.TrainingCheckpoint(
                             out_dir, stopper, schedule, settings, metadata_for, resume=point))
    inputs = models.model_input(images, config.network)
    predicted = fitted.model.predict(inputs, batch_size=256).astype(float)
    widths = regression.conformal_half_widths(scaled[local.calibration], predicted[local.calibration]) \
        if len(local.calibration) else None
    table = regression.scores(scaled[local.test], predicted[local.test], scaling, widths)
    metadata = bundle_metadata(data, simulations, encoder, config, split, fitted, table, task="regression",
                               calibration=None,
                               regression={**scaling.to_dict(), "interval_half_widths": widths,
                                           "interval_method": "split conformal on the calibration split" if widths
                                           else None})
    bundle = os.path.join(out_dir, "model.npz")
    fitted.model.save(bundle, metadata=metadata, include_optimizer=False)
    with open(os.path.join(out_dir, "evaluation.json"), "w") as handle:
        json.dump({"task": "regression", "scores": table, "samples": len(local.test), "split": split.sizes(),
                   "history": fitted.history}, handle, indent=1)
    checkpoints.finish(out_dir)
    pictures = []
    try:
        from minidl import plot  # noqa: PLC0415
        pictures = [plot.training_curves(fitted.history, os.path.join(out_dir, "training_curves.png")),
                    plot.predicted_against_true(scaled[local.test], predicted[local.test], targets,
                                                os.path.join(out_dir, "estimates.png"))]
    except ImportError:
        pass
    return {"bundle": bundle, "task": "regression", "scores": table, "samples": len(local.test),
            "split": split.sizes(), "history": fitted.history, "seconds": time.perf_counter() - start,
            "pictures": pictures, "intervals": widths is not None}


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


def evaluate(bundle: str, simulations: str) -> Evaluation | dict:
    """Classification and calibration scores of a trained bundle on every replicate of a simulation folder
    (for a regression bundle: the ``regression.scores`` table and the number of replicates)."""
    model, metadata = load_bundle(bundle)
    data = load_simulations(simulations)
    if metadata.get("task") == "regression":
        settings = metadata["regression"]
        scaling = regression.TargetScaling.from_dict(settings)
        keep, values = target_values(data, scaling.names)
        images = encode_data(data, Encoder.from_dict(metadata["encoder"]), keep)
        predicted = model.predict(models.model_input(images, metadata["network"]), batch_size=256).astype(float)
        return {"task": "regression", "samples": int(len(keep)),
                "scores": regression.scores(scaling.to_network(values), predicted, scaling,
                                            settings["interval_half_widths"])}
    check_same_scenarios(metadata, data.manifest, simulations)  # names and definitions
    trained = SamplingDesign.from_dict(metadata["design"]).haplotypes_per_population
    if numpy.bincount(data.haplotype_populations).tolist() != trained:
        raise ValueError(f"{simulations!r} samples {numpy.bincount(data.haplotype_populations).tolist()} haplotypes "
                         f"per population but the model was trained on {trained}")
    images = encode_data(data, Encoder.from_dict(metadata["encoder"]))
    return evaluate_network(model, images, data.labels, metadata["network"], data.scenario_names,
                            temperature_of(metadata))


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


def predict_vcf(bundle: str, vcf_path: str, popmap_path: str, window: float | None = None, min_snps: int = 10,
                seed: int = 0, max_missing: float | None = None, ref_is_ancestral: bool = False,
                step: float | None = None, check: Callable[[Genotypes], dict] | None = None) -> dict:
    """The bundle's output for every window of a VCF (calibrated probabilities when the bundle has a temperature).

    Returns the scenario names, the name of the output (``output``), one
    row per window (chromosome, start, end, SNPs in the window, SNPs used,
    the image's padded fraction, the missing fraction of its calls, the
    values) and their ``summarise``. ``seed`` picks the haplotypes when the
    VCF has more than the design; ``step`` < ``window`` overlaps windows.
    ``check``: called with each window's genotypes (one locus); what it
    returns is the row's ``adequacy``.
    """
    model, metadata = load_bundle(bundle)
    design = SamplingDesign.from_dict(metadata["design"])
    check_vcf_polarisation(bundle, ref_is_ancestral, metadata)
    if window is None:
        if not design.contiguous:
            raise ValueError("the model was trained on a design of loci, not windows of one sequence: read the data "
                             "with --matrix, --ms or alignments, or give --window")
        if not isinstance(design.sequence_length, (int, float)):
            raise ValueError("the training design's sequence length was drawn from a prior: give --window")
        window = float(design.sequence_length)
    if max_missing is None:  # a model trained with missing data reads them; one trained without, complete sites
        max_missing = 1.0 if design.missing is not None else 0.0
    data = vcf.read_vcf(vcf_path, vcf.read_population_map(popmap_path), design, seed=seed, max_missing=max_missing)
    encoder = Encoder.from_dict(metadata["encoder"])
    rows, images = [], []
    for chromosome, start, end, sites in vcf.windows(data, window, min_snps, step):
        image, real = encoder.encode(data.haplotypes[:, sites], data.positions[sites] - start, window,
                                     data.haplotype_populations)
        images.append(image)
        rows.append({"chromosome": chromosome, "start": start, "end": end, "snps": int(sites.size),
                     "snps_used": int(real), "padded_fraction": encoder.padded_fraction(real),
                     "missing_fraction": float((data.haplotypes[:, sites] < 0).mean())})
        if check is not None:
            rows[-1]["adequacy"] = check(Genotypes(
                data.haplotypes[:, sites], data.positions[sites] - start, numpy.array([sites.size]),
                data.haplotype_populations, list(design.populations), ploidy=design.ploidy,
                locus_lengths=numpy.array([window]), provenance={"file": vcf_path},
                report={"window": f"{chromosome}:{start}-{end}"}))
    if not rows:
        raise ValueError(f"no window of {window:g} bp in {vcf_path!r} holds {min_snps} or more usable SNPs "
                         f"({data.report['sites_kept']} sites kept of {data.report['sites_in_vcf']})")
    values, output, extras = model_outputs(model, metadata, numpy.stack(images))
    for row, value, extra in zip(rows, values, extras):
        row.update(values=value.tolist(), **extra)
    return {"scenario_names": metadata["scenario_names"], "columns": output_columns(metadata), "output": output,
            "windows": rows,
            "summary": summarise(values), "report": data.report, "window_length": window,
            "step": step or window, "haplotype_seed": seed}


def check_vcf_polarisation(bundle: str, ref_is_ancestral: bool, metadata: dict | None = None) -> None:
    """One sentence when the bundle reads derived alleles and a VCF's ALT is not known to be one."""
    metadata = metadata or read_bundle_metadata(bundle)
    if metadata["encoder"]["polarisation"] == "ancestral" and not ref_is_ancestral:
        raise ValueError("the model was trained with ancestral polarisation (1 = derived allele), but a VCF's ALT is "
                         "not known to be derived: retrain with --polarisation major_minor, or pass "
                         "--ref-is-ancestral if these data were polarised so that REF is the ancestral allele")


def predict_genotypes(bundle: str, data_sets: list, labels: list[str] | None = None, subsets: int = 0,
                      seed: int = 0, check: Callable[[Genotypes], dict] | None = None) -> dict:
    """The bundle's output for observed data sets (``readers.Genotypes``), each encoded as the training data were.

    Returns the scenario names, the name of the output (``output``:
    calibrated probabilities when the bundle has a temperature, else the raw
    softmax), one entry per data set (label, sites, missing fraction and its
    values) and ``rows`` (one per data set, or per subset) for a table. With
    ``subsets`` = K, each data set is predicted on K random subsets of its
    sites of the size the model takes (seeded by ``seed``): its entry then
    gives the ``summarise`` of its subsets and ``values`` is their median.
    ``check``: called with each data set; what it returns is its entry's ``adequacy``.
    """
    model, metadata = load_bundle(bundle)
    encoder = Encoder.from_dict(metadata["encoder"])
    design = SamplingDesign.from_dict(metadata["design"])
    if subsets and encoder.layout in SPECTRA:
        raise ValueError(f"{bundle!r} reads the frequency spectrum of all of a data set's sites: subsets of "
                         "the sites (--subsets) do not apply to it")
    generator = numpy.random.default_rng(seed)

    for index, data in enumerate(data_sets):  # before any prediction: the networks saw variable sites only
        calls = data.haplotypes
        if not ((calls == 0).any(axis=0) & (calls == 1).any(axis=0)).any():
            raise ValueError(f"{labels[index] if labels else f'data set {index + 1}'} "
                             f"({data.report.get('source', 'observed data')}) has no segregating site "
                             f"({calls.shape[1]} sites, each with one allele): there is nothing to predict from")
    entries, rows, output = [], [], RAW
    for index, data in enumerate(data_sets):
        label = labels[index] if labels else f"data set {index + 1}"
        entry = {"data_set": label, "sites": int(data.haplotypes.shape[1]),
                 "missing_fraction": data.missing_fraction, "report": data.report}
        if check is not None:
            entry["adequacy"] = check(data)
        parts = [random_subset(data, design, encoder.n_snps, generator) for _ in range(subsets)] if subsets else [data]
        pictures = [encode_genotypes(encoder, part) for part in parts]
        values, output, extras = model_outputs(model, metadata, numpy.stack([image for image, _ in pictures]))
        for number, (part, (_, real), value, extra) in enumerate(zip(parts, pictures, values, extras), start=1):
            rows.append({"data_set": label, "subset": number if subsets else "", "snps_used": int(real),
                         "padded_fraction": encoder.padded_fraction(real), "missing_fraction": part.missing_fraction,
                         "values": value.tolist(), **extra})
        if subsets:
            entry.update(summarise(values), subsets=subsets, subset_seed=seed, values=numpy.median(values, axis=0).tolist())
        else:
            entry.update(values=values[0].tolist(), **extras[0])
        entries.append(entry)
    return {"scenario_names": metadata["scenario_names"], "columns": output_columns(metadata), "output": output,
            "data_sets": entries, "rows": rows,
            "summary": summarise([entry["values"] for entry in entries])}


PREDICTION_COLUMNS = ("data_set", "chromosome", "start", "end", "subset", "snps_used", "padded_fraction",
                      "missing_fraction")


def write_prediction_table(result: dict, path: str) -> None:
    """One CSV row per window or subset: where it is, what went in, and a column per scenario (by name).

    The scenario columns hold ``result["output"]`` (calibrated probabilities
    or raw softmax values), which the ``output`` column names on every row.
    """
    import csv  # noqa: PLC0415

    rows = result.get("windows") or result["rows"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        bounds = sorted(key for key in rows[0] if key.startswith(("low_", "high_")))
        writer.writerow([*PREDICTION_COLUMNS, "output", *result["columns"],
                         *(f"{name}_{bound}" for bound in bounds for name in result["columns"])])
        for row in rows:
            cells = [row.get(column, "") for column in PREDICTION_COLUMNS]
            cells = [f"{cell:.6g}" if isinstance(cell, float) else cell for cell in cells]
            writer.writerow([*cells, result["output"], *(f"{value:.6g}" for value in row["values"]),
                             *(f"{value:.6g}" for bound in bounds for value in row[bound])])


def bundle_design(bundle: str) -> SamplingDesign:
    """The sampling design a bundle was trained on."""
    return SamplingDesign.from_dict(read_bundle_metadata(bundle)["design"])


def write_example_vcf(out_dir: str, scenario: Scenario, seed: int, windows: int = 3) -> tuple[str, str, dict]:
    """One data set of ``windows`` design-length windows from ``scenario``, as ``example.vcf`` + a population map.

    Made by the same generator as the training simulations
    (``simulate_replicate``): one parameter draw from the scenario's priors
    (seeded by ``seed``), then each window simulated independently with those
    parameters and placed end to end on contig "1" (so the windows are
    unlinked, as the training replicates are). Site positions are rounded
    to 1-based integers, moved up by one base where two would coincide.
    Returns (VCF path, population-map path, the parameters).
    """
    parameters = scenario.draw_parameters(numpy.random.default_rng(seed))
    design = scenario.design
    blocks, positions = [], []
    for window in range(windows):
        replicate = simulate_replicate(scenario, replicate_seed(seed, 0, window), parameters)
        blocks.append(replicate["genotypes"])
        positions.append(numpy.floor(replicate["positions"]) + 1 + window * replicate["sequence_length"])
    positions = numpy.concatenate(positions).astype(numpy.int64)
    steps = numpy.arange(positions.size)  # strictly increasing: q_i = max(p_i, q_(i-1) + 1)
    positions = numpy.maximum.accumulate(positions - steps) + steps
    names = [f"ind{i}" for i in range(sum(design.samples))]
    vcf_path, popmap_path = os.path.join(out_dir, "example.vcf"), os.path.join(out_dir, "example_populations.txt")
    vcf.write_vcf(vcf_path, numpy.concatenate(blocks, axis=1), positions, names, ploidy=design.ploidy)
    with open(popmap_path, "w") as handle:
        populations = numpy.repeat(design.populations, design.samples)
        handle.writelines(f"{name}\t{population}\n" for name, population in zip(names, populations))
    return vcf_path, popmap_path, parameters
