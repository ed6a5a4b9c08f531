"""``genomics demo``: the whole workflow on the built-in three-population scenarios, in one folder.

simulate (msprime) -> train (an ensemble, early stopping, calibration) -> evaluate on held-out replicates ->
predict the windows of a VCF simulated with a seed the training never saw, with each window's adequacy ->
the CNN beside ABC on the same test replicates. The simulation folder and the bundle are read once each and
passed to every step (``pipeline``'s functions over loaded objects). ``run_demo`` calls ``announce(step, facts)`` before each step
and after it with what it gave, so that a front end says what happens while it happens.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field, fields
from typing import Callable, ContextManager

from genomics import pipeline
from genomics.baselines import adequacy, comparison
from genomics.bundle import Bundle
from genomics.encoding.encoder import LAYOUTS, Encoder
from genomics.learning.networks import KINDS
from genomics.scenario import catalogue
from genomics.simulation.run import load_simulations, simulate

EXAMPLE_SEED_OFFSET = 10_000  # the example VCF's seed: the simulation seed + this, a seed no replicate used


@dataclass(frozen=True)
class DemoSettings:
    """The demo's sizes and seeds; these defaults (and help texts) are the command line's."""

    replicates: int = field(default=1500, metadata={"at_least": 1, "help": "replicates simulated per scenario"})
    epochs: int = field(default=100, metadata={"help": "most epochs (early stopping ends training sooner)"})
    patience: int = field(default=10, metadata={
        "help": "epochs without a better validation loss before training stops"})
    network: str = field(default="cnn2d", metadata={"help": "the network trained", "choices": KINDS})
    ensemble: int = field(default=3, metadata={
        "help": "networks trained from successive init seeds, their calibrated probabilities averaged"})
    layout: str = field(default="joint_sfs", metadata={
        "help": "the encoding of each replicate (joint_sfs: the joint site frequency spectrum)", "choices": LAYOUTS})
    simulation_seed: int = field(default=1, metadata={
        "at_least": 0, "help": "master seed of the simulations; the example VCF is simulated with this seed + 10000"})
    split_seed: int = field(default=1, metadata={
        "at_least": 0, "help": "seed of the train/validation/calibration/test split"})
    init_seed: int = field(default=1, metadata={
        "at_least": 0,
        "help": "seed of the first network's initial weights, dropout and shuffles (member k: this + k)"})
    abc_seed: int = field(default=1, metadata={
        "at_least": 0,
        "help": "seed of the test replicates ABC and the CNN are scored on, and of ABC's neuralnet networks"})

    def __post_init__(self) -> None:
        least = {"epochs": 1, "patience": 0, "ensemble": 1}
        for setting in fields(self):
            value, low = getattr(self, setting.name), setting.metadata.get("at_least", least.get(setting.name))
            if low is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
                raise ValueError(f"{setting.name} must be an integer >= {low}, got {value!r}")


def run_demo(out: str, settings: DemoSettings, workers: int | None = None,
             announce: Callable[[str, dict], None] = lambda step, facts: None,
             reporting: Callable[[str], ContextManager] = lambda label: contextlib.nullcontext()) -> dict:
    """Run the demo into ``out`` (``simulations/``, ``run/``, ``example.vcf``); returns every step's result.

    ``announce(step, facts)``: steps "start", "simulate", "train", "trained", "predict", "predicted", "compare",
    "compared", "finished", each with a dict of what it did or is about to do. ``reporting(label)``: a context
    giving the ``progress(done, total)`` callback of a long step, or None (``genomics.progress.reporting``).
    """
    start = time.perf_counter()
    config = pipeline.TrainingConfig(network=settings.network, epochs=settings.epochs, patience=settings.patience,
                                     ensemble=settings.ensemble, split_seed=settings.split_seed,
                                     init_seed=settings.init_seed)  # checked before any work
    pipeline.check_layout(config, settings.layout)
    pipeline.prepare_output_folder(out)
    simulations, run = os.path.join(out, "simulations"), os.path.join(out, "run")
    announce("start", {"out": os.path.abspath(out)})
    scenarios = catalogue.resolve(["three_populations"])
    announce("simulate", {"scenarios": scenarios, "design": scenarios[0].design, "replicates": settings.replicates,
                          "seed": settings.simulation_seed})
    with reporting("simulated") as progress:
        simulate(scenarios, settings.replicates, simulations, master_seed=settings.simulation_seed, workers=workers,
                 progress=progress or False)
    seen = {"joint_sfs": "the joint site frequency spectrum of the three populations (every SNP of a replicate)",
            "pairwise_sfs": "the joint site frequency spectra of each pair of populations (every SNP of a replicate)"
            }.get(settings.layout) or f"{Encoder().n_snps}-SNP images ({settings.layout})"
    networks = f"an ensemble of {config.ensemble} {config.network} networks" if config.ensemble > 1 \
        else f"a {config.network} network"
    announce("train", {"networks": networks, "seen": seen})
    data = load_simulations(simulations)  # read once: every step below takes these replicates
    trained = pipeline.train(simulations, run, config, {"layout": settings.layout}, data=data)
    bundle = Bundle.load(trained["bundle"])  # read once: every step below takes it
    announce("trained", {"result": trained})
    vcf_path, popmap_path, parameters = pipeline.write_example_vcf(
        out, catalogue.get("divergence"), seed=settings.simulation_seed + EXAMPLE_SEED_OFFSET)
    announce("predict", {"vcf": vcf_path, "popmap": popmap_path, "parameters": parameters})
    with reporting("summary statistics of the simulations") as progress:
        reference = adequacy.reference_from(data, simulations, bundle, per_scenario=500, progress=progress)
    prediction = pipeline.predict_vcf_windows(
        bundle, vcf_path, popmap_path,
        check=lambda data_set: adequacy.summary(adequacy.check_data_set(reference, data_set)))
    announce("predicted", {"result": prediction})
    abc_settings = comparison.AbcSettings(per_scenario=50, networks=2, seed=settings.abc_seed)
    announce("compare", {"settings": abc_settings})
    with reporting("summary statistics") as progress:
        outcome = comparison.compare_loaded(data, simulations, bundle, abc_settings, hybrid=False,
                                            progress=progress)
    announce("compared", {"result": outcome})
    announce("finished", {"seconds": time.perf_counter() - start, "out": os.path.abspath(out)})
    return {"training": trained, "prediction": prediction, "comparison": outcome}
