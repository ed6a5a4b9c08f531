"""``train``: split, encode, fit, calibrate, evaluate and save a bundle, for a classifier or a regression."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, replace
from typing import Any

import numpy

import minidl
from genomics.learning import networks as models, regression
from genomics.simulation import resources
from genomics.learning import checkpoint as checkpoints
from genomics.learning.batches.augmentation import FreshMasks, check_fresh_masks
from genomics.simulation.store import ShardReader
from genomics.learning.batches.streaming import ShardBatches
from genomics.learning.batches.heldout import PARTS, FromShards
from genomics.learning.batches.replicates import HeldOutInMemory, ReplicateBatches, images_at_once, map_replicates
from genomics.learning.batches.onthefly import FreshSimulations
from genomics.learning.ensemble import Ensemble
from genomics.encoding.encoder import Encoder
from genomics.learning.evaluation import Evaluation, network_evaluation
from genomics.simulation.run import SimulatedData, load_simulations, package_versions
from genomics.bundle import BUNDLE_KIND, FORMAT_VERSION, Bundle
from genomics.pipeline.calibrate import calibrate_logits
from genomics.pipeline.config import TrainingConfig, check_layout, choose_encoding_and_network
from genomics.pipeline.evaluate import estimates_picture, evaluation_pictures, target_values
from genomics.pipeline.fit import FittedNetwork, fit_network, train_ensemble
from genomics.pipeline.folders import prepare_output_folder
from genomics.pipeline.split import Split, split_replicates
from genomics.errors import SettingError


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
        "kind": BUNDLE_KIND, "format_version": FORMAT_VERSION,
        **({"task": entries.pop("task")} if "task" in entries else {}),
        "network": config.input_kind, "encoder": encoder.to_dict(),
        **({"user_network": user_network_description(config)} if config.user_network else {}),
        "scenario_names": data.scenario_names, "scenario_specs": [s["spec"] for s in data.manifest["scenarios"]],
        "design": data.design.to_dict(), **entries,
        "training": {**training, "test_scores": test_scores, "versions": package_versions()},
    }


def user_network_description(config: TrainingConfig) -> dict:
    """Where the user's network came from, for the bundle (the architecture itself is in the model file, so
    ``predict`` needs neither the user's ``.py`` nor ``.keras`` file): the option, the SHA-256 of the file,
    the input layout and whether the file's weights were kept."""
    file = config.network.split(":")[0] if ".py:" in config.network else config.network
    with open(file, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {"network": config.network, "sha256": digest, "input_layout": config.network_input,
            "keep_weights": config.keep_weights}


def write_bundle(out_dir: str, bundle: Bundle, evaluation: Evaluation, split: Split,
                 history: dict, member_histories: list[dict] | None = None) -> tuple[str, list[str]]:
    """Step 6: ``model.npz`` (the bundle), ``evaluation.json`` and the pictures; returns (bundle path, pictures).
    ``member_histories``: an ensemble's history of each member, kept beside the first's and drawn together."""
    path = os.path.join(out_dir, "model.npz")
    bundle.save(path)
    members = {"member_histories": member_histories} if member_histories else {}
    with open(os.path.join(out_dir, "evaluation.json"), "w") as handle:
        json.dump({**evaluation.to_dict(), "split": split.sizes(), "calibration": bundle.calibration,
                   "history": history, **members}, handle, indent=1)
    return path, evaluation_pictures(out_dir, evaluation, member_histories or history)


def train(simulations: str, out_dir: str, config: TrainingConfig | None = None,
          encoder: Encoder | dict | None = None, verbose: int = 2, resume: bool = False,
          data: SimulatedData | None = None) -> dict:
    """Encode a simulation folder, train a CNN with early stopping, calibrate it, evaluate it on held-out
    replicates, save all.

    The six steps above, in order; a regression (``config.task``)
    takes the same steps with parameter targets (``_train_regression``).
    ``encoder``: an Encoder, or settings that override
    ``Encoder.for_design``'s defaults. Writes to ``out_dir``: ``model.npz``
    (the bundle), ``evaluation.json``, ``confusion_matrix.png``,
    ``reliability.png`` and ``training_curves.png`` (when matplotlib is
    installed). Returns a summary dict.

    Memory: the replicates stay as they were read, int8 calls and positions
    (``load_simulations``; with ``config.stream``, a few shards), and each
    batch is encoded when the network needs it (in ``fit``'s background
    thread), the calibration and test logits 256 replicates at a time
    (``genomics.learning.batches.replicates``): peak memory is the calls plus
    O(batch size), never the float32 images of every replicate. With the
    same seeds the batches, weights and history are those of training on
    every image encoded at once, as ``train`` did before.

    As training goes, ``out_dir`` holds the best model so far and the state
    to resume from (``genomics.learning.checkpoint``); ``resume``: go on from that
    state (same settings; ``epochs`` may differ). ``data``: the folder already read
    (``load_simulations(simulations)``), so that a caller that goes on with the same replicates reads the folder
    once; with ``config.stream`` the shards are read as training goes, and ``data`` is not used.
    """
    config = config or TrainingConfig()
    prepare_output_folder(out_dir)
    if config.stream and config.task == "regression":
        raise SettingError("{stream}: only classification streams its training replicates so far, not {task} "
                           "regression")
    reader = ShardReader(simulations, config.shards_in_memory) if config.stream else None
    if reader is not None:
        data = reader.data
    elif data is None:
        data = load_simulations(simulations)
    encoder, config, choices = choose_encoding_and_network(data.design, encoder, config)
    if verbose:
        print(f"encoding: {choices['encoding']}\nnetwork: {choices['network']}", flush=True)
    check_layout(config, encoder.layout)
    if config.fresh_masks:
        if config.task == "regression":
            raise SettingError("{fresh_masks}: only classification draws fresh masks so far, not {task} regression")
        if reader is None:  # streamed: ShardBatches checks the shards' complete calls itself
            check_fresh_masks(data)
    resources.check_images(encoder, data.design, images_at_once(config.batch_size),
                           "the images in memory at once (training batches in flight, or a chunk of held-out "
                           "replicates)", "use a smaller {n_snps}")
    settings = {"simulations": os.path.abspath(simulations), "master_seed": data.manifest["master_seed"],
                "encoder": encoder.to_dict(), **asdict(config)}
    point = checkpoints.resume_point(out_dir) if resume else None
    if point is not None:
        point.check_settings(settings)
    start = time.perf_counter()
    if config.task == "regression":
        return _train_regression(data, simulations, out_dir, config, encoder, verbose, start,
                                 (settings, point))
    split = split_replicates(data.labels, config)
    labels = {part: data.labels[getattr(split, part)] for part in ("train", *PARTS)}
    if reader is not None:  # the held-out replicates too are read from the shards when needed
        held_out = FromShards(config.input_kind, reader, encoder, {part: getattr(split, part) for part in PARTS}, labels)
    else:  # the calls stay as read; a batch of replicates is encoded when the network needs it
        held_out = HeldOutInMemory(config.input_kind, data, encoder, {part: getattr(split, part) for part in PARTS},
                                   labels)
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
                                       encoder, config.input_kind, config.batch_size, data.manifest["master_seed"],
                                       member_config.seeds["init"], config.simulation_workers, start_epoch)
        elif config.fresh_masks and reader is None:
            batches = FreshMasks(data, split.train, labels["train"], encoder, config.input_kind, config.batch_size,
                                 member_config.seeds["init"])
        elif reader is not None:
            batches = ShardBatches(reader, split.train, labels["train"], encoder, config.input_kind, config.batch_size,
                                   member_config.seeds["init"], fresh_masks=config.fresh_masks)
        else:
            batches = ReplicateBatches(data, split.train, labels["train"], encoder, config.input_kind,
                                       config.batch_size)
        if not isinstance(batches, FreshSimulations):  # a resumed dataset starts at its next epoch
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
    bundle, pictures = write_bundle(out_dir, Bundle(model, metadata), evaluation, split, fitted.history,
                                    [member.history for member in members] if config.ensemble > 1 else None)
    checkpoints.finish(out_dir)
    return {"bundle": bundle, "evaluation": evaluation, "split": split.sizes(), "history": fitted.history,
            "calibration": calibrated, "seconds": time.perf_counter() - start, "pictures": pictures,
            "choices": choices, **entries}


def _finished_members(members: list, point: checkpoints.ResumePoint | None) -> list:
    """(weights, history, best epoch) of each member trained so far (None: trained before the stop)."""
    return [point.finished_member(k) if member is None else (member.model.get_weights(), member.history,
                                                             member.best_epoch) for k, member in enumerate(members)]


def _train_regression(data: SimulatedData, simulations: str, out_dir: str, config: TrainingConfig, encoder: Encoder,
                      verbose: int, start: float, resuming: tuple | None = None) -> dict:
    """``train`` for a regression: the same steps with scaled parameter targets, conformal intervals fitted on
    the calibration split and R^2, RMSE and coverage on the test split. ``resuming``: (the settings a resumed
    run must repeat, the ``ResumePoint`` or None)."""
    targets = config.target_list
    keep, values = target_values(data.parameters, targets)
    split = split_replicates(data.labels[keep], config)
    split = Split(*(keep[part] for part in (split.train, split.validation, split.calibration, split.test)))
    position = {index: row for row, index in enumerate(keep)}
    used, local = split.taking_part()
    raw = values[[position[i] for i in used]]
    scaling = regression.TargetScaling.fit(targets, raw[local.train])
    scaled = scaling.to_network(raw)
    parts = {part: used[getattr(local, part)] for part in ("train", *PARTS)}
    part_targets = {part: scaled[getattr(local, part)] for part in ("train", *PARTS)}
    held_out = HeldOutInMemory(config.input_kind, data, encoder, parts, part_targets)
    settings, point = resuming or (asdict(config), None)
    estimates = {"task": "regression", "regression": {**scaling.to_dict(), "interval_half_widths": None,
                                                      "interval_method": None}}
    metadata_for = lambda history, best, entry: bundle_metadata(  # noqa: E731 - the checkpoints' bundle metadata
        data, simulations, encoder, config, split, FittedNetwork(None, history, best), None, calibration=None,
        checkpoint=entry, **estimates)
    fitted = fit_network(None, scaled, None, len(data.scenario_names), config, data.design.haplotypes_per_population,
                         verbose, training_data=ReplicateBatches(data, parts["train"], part_targets["train"], encoder,
                                                                 config.input_kind, config.batch_size),
                         validation_data=held_out.validation_data(config.batch_size), input_shape=held_out.input_shape,
                         checkpoint=lambda stopper, schedule: checkpoints.TrainingCheckpoint(
                             out_dir, stopper, schedule, settings, metadata_for, resume=point))
    def network_estimates(images: numpy.ndarray) -> numpy.ndarray:
        return fitted.model.predict(models.model_input(images, config.input_kind), batch_size=256).astype(float)

    predicted = {part: map_replicates(network_estimates, data, encoder, parts[part]) if len(parts[part])
                 else numpy.empty((0, len(targets))) for part in ("calibration", "test")}
    widths = regression.conformal_half_widths(part_targets["calibration"], predicted["calibration"]) \
        if len(parts["calibration"]) else None
    table = regression.scores(part_targets["test"], predicted["test"], scaling, widths)
    metadata = bundle_metadata(data, simulations, encoder, config, split, fitted, table, task="regression",
                               calibration=None,
                               regression={**scaling.to_dict(), "interval_half_widths": widths,
                                           "interval_method": "split conformal on the calibration split" if widths
                                           else None})
    bundle = os.path.join(out_dir, "model.npz")
    Bundle(fitted.model, metadata, bundle).save(bundle)
    with open(os.path.join(out_dir, "evaluation.json"), "w") as handle:
        json.dump({"task": "regression", "scores": table, "samples": len(local.test), "split": split.sizes(),
                   "history": fitted.history}, handle, indent=1)
    checkpoints.finish(out_dir)
    pictures = []
    try:
        from minidl import plot  # noqa: PLC0415
        pictures = [plot.training_curves(fitted.history, os.path.join(out_dir, "training_curves.png")),
                    estimates_picture(scaling, part_targets["test"], predicted["test"], widths,
                                      os.path.join(out_dir, "estimates.png"))]
    except ImportError:
        pass
    return {"bundle": bundle, "task": "regression", "scores": table, "samples": len(local.test),
            "split": split.sizes(), "history": fitted.history, "seconds": time.perf_counter() - start,
            "pictures": pictures, "intervals": widths is not None}
