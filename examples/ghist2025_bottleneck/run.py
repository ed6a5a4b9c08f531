"""GHIST 2025's bottleneck challenge, reproduced: a neural posterior of the decline's age and depth.

The challenge (tjstruck/GHIST-2025-repo; every fact's source is in
README.md): 22 diploids of one population, 100 Mb, mutation rate
2.4245e-8 and recombination rate 1.5271e-8 per bp per generation; the
population declined from 27,293 to 8,119.67 individuals 2,025.63
generations ago. Scored: ``generations`` and ``post_decline_fraction``, by
sqrt(sum(((true - predicted) / true)^2)); the winner scored 0.1138 and
the median of the 8 entries is 0.56.

Steps (``bottleneck.toml`` holds the model and its priors, wide and not
centred on the truth):

1. simulate training replicates from the priors, each cut into windows
   (independent windows of ``--window-length`` bp; the project's
   ``simulate_loci``), and compute per window the summary statistics of
   ``genomics.encoding.sumstats`` and the folded spectrum in bins
   (``genomics.encoding.window_spectrum``);
2. fit ``genomics.learning.posterior.PosteriorEstimator`` (the library
   behind ``genomics posterior``) for the two scored parameters; its
   coverage and SBC on held-out replicates are printed;
3. re-simulate ``--datasets`` data sets at the truth with fresh seeds, take
   each one's posterior median and score it;
4. with ``--vcf`` (the challenge's VCF is not in the repository), apply the
   posterior to a VCF cut into windows of ``--window-length``.

    python examples/ghist2025_bottleneck/run.py --quick      # tiny sizes, every step (well under a minute)
    python examples/ghist2025_bottleneck/run.py --simulations 300 --windows 5 --datasets 20
    python examples/ghist2025_bottleneck/run.py --workers 64  # the full size: 100 windows of 1 Mb (README.md)
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import time

import numpy

from genomics.encoding import sumstats
from genomics.encoding.window_spectrum import folded_window_spectrum
from genomics.learning import posterior_checks
from genomics.learning.parameter_space import ParameterSpace
from genomics.learning.posterior import PosteriorEstimator, PosteriorSettings
from genomics.learning.posterior_features import window_statistic_names
from genomics.scenario.scenario import Scenario, load_toml
from genomics.simulation.loci import simulate_loci

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "bottleneck.toml")
TARGETS = ["generations", "post_decline_fraction"]
#: results_analysis/data/groundtruth/GHIST_2025_bottleneck_final_goldstandard.yaml; N_ancestral from
#: simulation_scripts/sim_GHIST_bottleneck_2025.py (Na_F = 27293)
TRUTH = {"generations": 2025.6318740000002, "post_decline_fraction": 0.2975, "N_ancestral": 27293.0}
#: results_analysis/results/latex_tables/bottleneck_res_table.latex: the 8 final entries' scores
ENTRIES = {"austin.t.daigle": 0.1138, "tstentella": 0.4701, "avaughn": 0.5113, "wang0207": 0.5186,
           "rgollnisch": 0.6092, "solomonsloat": 0.6875, "srong": 0.8608, "JiatongLiang": 3.8658}
WINNER = ENTRIES["austin.t.daigle"]
ENTRIES_MEDIAN = float(numpy.median(list(ENTRIES.values())))     # 0.5639
SPECTRUM_BINS = 12


def score(true: dict, predicted: dict) -> float:
    """The organisers' relative error (scoring_scripts/scoring_yaml.py): sqrt(sum(((t - p) / t)^2))."""
    return float(numpy.sqrt(sum(((true[k] - predicted[k]) / true[k]) ** 2 for k in TARGETS)))


def study_scenario(windows: int, window_length: float) -> Scenario:
    """bottleneck.toml with ``windows`` independent windows of ``window_length`` bp per data set."""
    spec = copy.deepcopy(load_toml(SCENARIO)[0].spec)
    spec["design"]["loci"][0].update(count=int(windows), sequence_length=float(window_length))
    return Scenario(spec)


def window_table(calls: numpy.ndarray, site_counts: numpy.ndarray, haplotype_populations: numpy.ndarray,
                 bins: int) -> numpy.ndarray:
    """(windows, statistics): sumstats' per-locus statistics, then the binned folded spectrum, window by window
    (one window at a time keeps memory to one window's sites)."""
    ends = numpy.cumsum(site_counts)
    rows = [sumstats.locus_statistics(calls[:, end - count:end], [count], haplotype_populations)[0]
            for count, end in zip(site_counts, ends)]
    return numpy.concatenate([numpy.array(rows), folded_window_spectrum(calls, site_counts, bins)], axis=1)


def simulate_windows(job: tuple) -> tuple[dict, numpy.ndarray]:
    """One replicate (parameters drawn from the priors, or given) -> (parameters, its window table)."""
    scenario, seed, parameters, bins = job
    generator = numpy.random.default_rng(seed)
    drawn = scenario.draw_parameters(generator)
    parameters = drawn if parameters is None else parameters
    data = simulate_loci(scenario, parameters, generator, mask=False)
    return parameters, window_table(data.calls, data.site_counts, data.haplotype_populations, bins)


def simulate_many(scenario: Scenario, seeds: list[int], parameters: dict | None, workers: int,
                  bins: int) -> tuple[list[dict], numpy.ndarray]:
    jobs = [(scenario, seed, parameters, bins) for seed in seeds]
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(simulate_windows, jobs, chunksize=1)
    else:
        results = [simulate_windows(job) for job in jobs]
    return [r[0] for r in results], numpy.stack([r[1] for r in results])


def vcf_windows(path: str, scenario: Scenario, window_length: float, bins: int) -> numpy.ndarray:
    """A VCF's 22 (first) samples as one population, cut into windows of ``window_length`` bp per chromosome."""
    from genomics.observed.vcf import read_vcf  # noqa: PLC0415 - only with --vcf
    opener = __import__("gzip").open if path.endswith(".gz") else open
    with opener(path, "rt") as handle:
        samples = next(line for line in handle if line.startswith("#CHROM")).rstrip("\n").split("\t")[9:]
    data = read_vcf(path, {name: "modern" for name in samples}, scenario.design)
    chromosome = numpy.repeat(numpy.arange(len(data.site_counts)), data.site_counts)
    window = numpy.floor((data.positions - 1) / window_length).astype(int)
    key = chromosome * (int(window.max(initial=0)) + 1) + window
    order = numpy.argsort(key, kind="stable")
    counts = numpy.unique(key[order], return_counts=True)[1]
    print(f"{path}: {data.sites} SNPs of {data.calls.shape[0]} haplotypes in {len(counts)} windows")
    return window_table(data.calls[:, order], counts, data.haplotype_populations, bins)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="ghist2025_bottleneck_out", help="folder for the results")
    parser.add_argument("--quick", action="store_true", help="60 simulations of 2 windows of 20 kb, 3 data sets")
    parser.add_argument("--simulations", type=int, default=2000, help="training replicates (default 2000)")
    parser.add_argument("--windows", type=int, default=100, help="windows per data set (default 100)")
    parser.add_argument("--window-length", type=float, default=1e6, help="bp per window (default 1e6)")
    parser.add_argument("--datasets", type=int, default=50, help="data sets re-simulated at the truth (default 50)")
    parser.add_argument("--spectrum-bins", type=int, default=SPECTRUM_BINS, help="folded-spectrum bins (default 12)")
    parser.add_argument("--epochs", type=int, default=300, help="most training epochs (default 300)")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes (default 1)")
    parser.add_argument("--vcf", help="a VCF of the challenge's design to apply the posterior to")
    parser.add_argument("--seed", type=int, default=2025, help="master seed (training; the data sets use seed + 1)")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.simulations, arguments.windows, arguments.window_length = 60, 2, 2e4
        arguments.datasets, arguments.epochs = 3, 20
    for name in ("simulations", "windows", "datasets", "workers", "epochs"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be a whole number >= 1, got {getattr(arguments, name)}")
    if arguments.simulations < 40:
        parser.error(f"--simulations must be at least 40 (a posterior needs 20 to train), got {arguments.simulations}")
    if arguments.vcf and not os.path.exists(arguments.vcf):
        parser.error(f"--vcf {arguments.vcf!r} does not exist")
    os.makedirs(arguments.out, exist_ok=True)
    start = time.perf_counter()
    scenario = study_scenario(arguments.windows, arguments.window_length)
    names = window_statistic_names(["modern"], sum(scenario.design.haplotypes_per_population), arguments.spectrum_bins)
    space = ParameterSpace.from_priors(scenario.priors, TARGETS, f"scenario {scenario.name!r}")
    seeds = numpy.random.SeedSequence(arguments.seed).generate_state(arguments.simulations).tolist()
    print(f"simulating {arguments.simulations} training replicates of {arguments.windows} windows of "
          f"{arguments.window_length:g} bp ({arguments.workers} processes)", flush=True)
    drawn, windows = simulate_many(scenario, seeds, None, arguments.workers, arguments.spectrum_bins)
    simulated = time.perf_counter()
    values = space.values(drawn)
    held = max(10, arguments.simulations // 10)
    settings = PosteriorSettings(epochs=arguments.epochs, seed=arguments.seed, spectrum_bins=arguments.spectrum_bins)
    estimator = PosteriorEstimator.fit(windows[held:], values[held:], space, names, settings, scenario.name)
    estimator.calibration = estimator.assess(windows[:held], values[:held], seed=arguments.seed)
    estimator.save(os.path.join(arguments.out, "posterior.npz"))
    trained = time.perf_counter()
    print(f"trained in {trained - simulated:.0f} s ({len(estimator.history.get('loss', []))} epochs)\n"
          f"{posterior_checks.describe(estimator.calibration)}", flush=True)

    test_seeds = numpy.random.SeedSequence(arguments.seed + 1).generate_state(arguments.datasets).tolist()
    _, test_windows = simulate_many(scenario, test_seeds, dict(TRUTH), arguments.workers, arguments.spectrum_bins)
    samples = estimator.sample_windows(test_windows, draws=4000, seed=arguments.seed)
    rows = []
    print(f"\n{'data set':>8} {'generations':>12} {'90% interval':>20} {'fraction':>9} {'90% interval':>16} "
          f"{'score':>7}")
    for index, draws in enumerate(samples):
        median = {target: float(numpy.median(draws[:, j])) for j, target in enumerate(TARGETS)}
        low, high = numpy.quantile(draws, [0.05, 0.95], axis=0)
        rows.append({"seed": int(test_seeds[index]), **median, "score": score(TRUTH, median),
                     "low_90": low.tolist(), "high_90": high.tolist()})
        print(f"{index + 1:>8} {median['generations']:>12.1f} {f'{low[0]:.0f} - {high[0]:.0f}':>20} "
              f"{median['post_decline_fraction']:>9.4f} {f'{low[1]:.3f} - {high[1]:.3f}':>16} "
              f"{rows[-1]['score']:>7.4f}")
    median_score = float(numpy.median([row["score"] for row in rows]))
    print(f"\ntruth: generations {TRUTH['generations']:.2f}, post_decline_fraction {TRUTH['post_decline_fraction']}")
    print(f"median score over {len(rows)} re-simulated data sets: {median_score:.4f} (the winner's 0.1138; the "
          f"8 entries' median {ENTRIES_MEDIAN:.4f}); {'at or below' if median_score <= WINNER else 'above'} the "
          f"winner's")
    results = {"simulations": arguments.simulations, "windows": arguments.windows,
               "window_length": arguments.window_length, "spectrum_bins": arguments.spectrum_bins,
               "datasets": rows, "median_score": median_score, "winner": WINNER, "entries_median": ENTRIES_MEDIAN,
               "calibration_coverage": {target: entry["coverage"] for target, entry in
                                        estimator.calibration["targets"].items()},
               "seconds": {"simulation": simulated - start, "training": trained - simulated,
                           "total": time.perf_counter() - start}}
    if arguments.vcf:
        summary = estimator.summary(vcf_windows(arguments.vcf, scenario, arguments.window_length,
                                                arguments.spectrum_bins), seed=arguments.seed)
        predicted = {target: summary[target]["median"] for target in TARGETS}
        results["vcf"] = {"path": arguments.vcf, "median": predicted, "score": score(TRUTH, predicted)}
        print(f"{arguments.vcf}: posterior medians {predicted}, score {results['vcf']['score']:.4f}")
    else:
        print("the challenge's own VCF is not in tjstruck/GHIST-2025-repo (it holds only the sweep challenges' "
              "VCFs); give one with --vcf")
    with open(os.path.join(arguments.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"results in {arguments.out}/results.json ({results['seconds']['total']:.0f} s)")
    return results


if __name__ == "__main__":
    main()
