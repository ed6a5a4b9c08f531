"""One network fitted with early stopping, and an ensemble of fitted networks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy

import minidl
from genomics.learning import calibration, networks as models
from genomics.learning import checkpoint as checkpoints
from genomics.learning import ensemble as ensembles
from genomics.learning.batches.heldout import FromShards
from genomics.learning.batches.replicates import HeldOutInMemory
from genomics.learning.ensemble import Ensemble
from genomics.learning.user_networks import load_user_network
from minidl.callbacks import EarlyStopping, LambdaCallback, ReduceLROnPlateau, RestoreLastFiniteWeights
from genomics.progress import reporting
from genomics.pipeline.calibrate import calibrate_logits
from genomics.pipeline.config import TrainingConfig
from genomics.pipeline.split import Split


@dataclass
class FittedNetwork:
    model: minidl.Sequential
    history: dict
    best_epoch: int | None  # 1-based; None when the monitored value never improved


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
    ``population_sizes``: haplotypes per population, the image's row blocks. With ``verbose``, a progress line
    (epochs done of the most, rate, time left) comes within 10 s and then at least every 30 s, also while one long
    epoch runs (``genomics.progress``).
    """
    input_shape = images.shape[1:] if input_shape is None else tuple(input_shape)
    minidl.random.seed(config.seeds["init"])
    regression = config.task == "regression"
    rows = input_shape[0]
    if config.user_network:  # the user's builder (or .keras architecture), new weights from the init seed
        model = load_user_network(config.network, input_shape, classes, config.network_input,
                                  config.keep_weights).model
    else:
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
        inputs = models.model_input(images, config.input_kind)
    if training_data is None:
        training_data = (inputs[split.train], labels[split.train])
    arrays = isinstance(training_data, tuple)
    if validation_data is None:
        validation_data = (inputs[split.validation], labels[split.validation])
    first_epoch = saver.initial_epoch if saver else 0
    with reporting("trained", unit="epochs", quiet=not verbose) as progress:
        counted = [LambdaCallback(on_epoch_end=lambda epoch, logs: progress(epoch + 1, config.epochs))] \
            if progress else []
        if progress:
            progress(first_epoch, config.epochs)
        history = model.fit(*(training_data if arrays else (training_data, None)), batch_size=config.batch_size,
                            epochs=config.epochs, validation_data=validation_data,
                            callbacks=[RestoreLastFiniteWeights(), *schedule, stopper, *([saver] if saver else []),
                                       *counted], verbose=verbose, shuffle=arrays,
                            initial_epoch=first_epoch)  # a dataset shuffles itself
    return FittedNetwork(model, saver.history if saver else history.history,
                         None if stopper.best_epoch is None else stopper.best_epoch + 1)


def train_ensemble(members: list[FittedNetwork], held_out: HeldOutInMemory | FromShards,
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
