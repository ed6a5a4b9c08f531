"""GHIST 2025's bottleneck challenge, reproduced: the decline's age and depth, by two methods.

The challenge (tjstruck/GHIST-2025-repo; every fact's source is in
README.md): 22 diploids of one population, 100 Mb, mutation rate
2.4245e-8 and recombination rate 1.5271e-8 per bp per generation; the
population declined from 27,293 to 8,119.67 individuals 2,025.63
generations ago. Scored: ``generations`` and ``post_decline_fraction``, by
sqrt(sum(((true - predicted) / true)^2)); the winner scored 0.1138 and
the median of the 8 entries is 0.56. ``bottleneck.toml`` holds the model
and its priors, wide and not centred on the truth.

``--method sfs`` (the default): re-simulate ``--datasets`` data sets at the
truth (independent windows of ``--window-length`` bp; the project's
``simulate_loci``), take each window's unfolded site frequency spectrum,
fit the summed spectrum by composite likelihood
(``genomics.baselines.sfs_likelihood``; the priors give bounds and starts),
give block-bootstrap intervals over the windows, and score each estimate;
``--organisers N`` also fits N chromosomes simulated as the organisers'
script does, written as VCF by tskit and read by genomics.

``--method npe``:

1. simulate training replicates from the priors, each cut into windows,
   and compute per window the summary statistics of
   ``genomics.encoding.sumstats`` and the folded spectrum in bins
   (``genomics.encoding.window_spectrum``);
2. fit ``genomics.learning.posterior.PosteriorEstimator`` (the library
   behind ``genomics posterior``) for the two scored parameters; its
   coverage and SBC on held-out replicates are printed;
3. re-simulate ``--datasets`` data sets at the truth with fresh seeds, take
   each one's posterior median and score it.

With ``--vcf`` (the challenge's VCF is not in the repository) either method
is applied to a VCF cut into windows of ``--window-length``.

    python examples/ghist2025_bottleneck/run.py --quick      # tiny sizes, every step of the sfs method
    python examples/ghist2025_bottleneck/run.py --datasets 20 --bootstrap 20 --organisers 2 --organisers-length 2e7
    python examples/ghist2025_bottleneck/run.py --method npe --quick
    python examples/ghist2025_bottleneck/run.py --method npe --workers 64  # the full size: 100 windows of 1 Mb
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import multiprocessing
import os
import time

# the spectrum's small matrix exponentials run several times slower with BLAS threads on a shared machine
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy  # noqa: E402 - after the BLAS setting

from genomics.baselines.expected_sfs import fold
from genomics.baselines.sfs_likelihood import (SpectrumModel, bootstrap_fits, bootstrap_intervals, derived_spectra,
                                               fit_spectrum)
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
                  bins: int, cache: str) -> tuple[list[dict], numpy.ndarray]:
    """Every seed's replicate; kept in ``cache`` (.npz), and read back from it when a run asks for the same
    scenario, parameters, seeds and bins again (to train again without simulating again)."""
    key = json.dumps([scenario.spec, parameters, [int(seed) for seed in seeds], bins], sort_keys=True)
    if os.path.exists(cache):
        with numpy.load(cache) as stored:
            if str(stored["key"]) == key:
                print(f"  read {len(seeds)} replicates from {cache}", flush=True)
                names = [str(name) for name in stored["names"]]
                return [dict(zip(names, map(float, row))) for row in stored["parameters"]], stored["windows"]
    drawn, windows = _simulate_many(scenario, seeds, parameters, workers, bins)
    numpy.savez(cache, key=key, names=list(drawn[0]), parameters=[list(p.values()) for p in drawn], windows=windows)
    return drawn, windows


def _simulate_many(scenario: Scenario, seeds: list[int], parameters: dict | None, workers: int,
                   bins: int) -> tuple[list[dict], numpy.ndarray]:
    jobs = [(scenario, seed, parameters, bins) for seed in seeds]
    start, every, results = time.perf_counter(), max(1, len(jobs) // 10), []
    with multiprocessing.get_context("fork").Pool(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for result in (pool.imap(simulate_windows, jobs) if workers > 1 else map(simulate_windows, jobs)):
            results.append(result)
            if len(results) % every == 0:
                print(f"  {len(results)} of {len(jobs)} replicates, {time.perf_counter() - start:.0f} s", flush=True)
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


def truncated(scenario: Scenario, samples: numpy.ndarray, widen: float = 0.25) -> Scenario:
    """The scenario with each target's prior cut to the box that holds every data set's posterior (round 2).

    Box per target: from the lowest 0.1% quantile to the highest 99.9% quantile of ``samples`` (data sets,
    draws, targets) over the data sets, widened by ``widen`` of its width on each side (on the log scale for
    a log-uniform prior) and kept inside the prior. A uniform or log-uniform prior cut to [a, b] is the same
    family on [a, b], so the cut scenario draws from the truncated prior (truncated sequential NPE, Deistler
    et al. 2022: inside the box the posterior is unchanged as long as the box holds its mass).
    """
    spec = copy.deepcopy(scenario.spec)
    for j, target in enumerate(TARGETS):
        (kind, (low, high)), = spec["priors"][target].items()
        scale = numpy.log if kind == "log_uniform" else (lambda x: x)
        unscale = numpy.exp if kind == "log_uniform" else (lambda x: x)
        a, b = scale(numpy.quantile(samples[:, :, j], 0.001, axis=1).min()), \
            scale(numpy.quantile(samples[:, :, j], 0.999, axis=1).max())
        a, b = a - widen * (b - a), b + widen * (b - a)
        spec["priors"][target] = {kind: [float(max(low, unscale(a))), float(min(high, unscale(b)))]}  # in the prior
    return Scenario(spec)


def fit_round(scenario: Scenario, drawn: list[dict], windows: numpy.ndarray, arguments: argparse.Namespace,
              names: list[str]) -> PosteriorEstimator:
    """The posterior of TARGETS under ``scenario``'s priors, on simulations drawn from them; a tenth held out."""
    space = ParameterSpace.from_priors(scenario.priors, TARGETS, f"scenario {scenario.name!r}")
    values = space.values(drawn)
    held = max(10, len(drawn) // 10)
    # batches of 32 and patience 30: a few hundred simulations still get thousands of steps
    settings = PosteriorSettings(epochs=arguments.epochs, seed=arguments.seed, spectrum_bins=arguments.spectrum_bins,
                                 batch_size=32, patience=30)
    estimator = PosteriorEstimator.fit(windows[held:], values[held:], space, names, settings, scenario.name)
    estimator.calibration = estimator.assess(windows[:held], values[:held], seed=arguments.seed)
    print(f"trained ({len(estimator.history.get('loss', []))} epochs) on {len(drawn) - held} simulations with "
          f"{', '.join(f'{t} in [{lo:.4g}, {hi:.4g}]' for t, lo, hi in zip(TARGETS, space.low, space.high))}\n"
          f"{posterior_checks.describe(estimator.calibration)}", flush=True)
    return estimator


def score_data_sets(samples: numpy.ndarray, seeds: list[int], label: str) -> list[dict]:
    """Each data set's posterior median and 90% interval, and its score; printed as a table."""
    rows = []
    print(f"\n{label}\n{'data set':>8} {'generations':>12} {'90% interval':>20} {'fraction':>9} "
          f"{'90% interval':>16} {'score':>7}")
    for index, draws in enumerate(samples):
        median = {target: float(numpy.median(draws[:, j])) for j, target in enumerate(TARGETS)}
        low, high = numpy.quantile(draws, [0.05, 0.95], axis=0)
        rows.append({"seed": int(seeds[index]), **median, "score": score(TRUTH, median),
                     "low_90": low.tolist(), "high_90": high.tolist()})
        print(f"{index + 1:>8} {median['generations']:>12.1f} {f'{low[0]:.0f} - {high[0]:.0f}':>20} "
              f"{median['post_decline_fraction']:>9.4f} {f'{low[1]:.3f} - {high[1]:.3f}':>16} "
              f"{rows[-1]['score']:>7.4f}")
    median_score = float(numpy.median([row["score"] for row in rows]))
    print(f"median score over {len(rows)} re-simulated data sets: {median_score:.4f} (the winner's 0.1138; the "
          f"8 entries' median {ENTRIES_MEDIAN:.4f}); {'at or below' if median_score <= WINNER else 'above'} the "
          f"winner's", flush=True)
    return rows


# ---------------------------------------------------------------------------- the spectrum's likelihood (--method sfs)
def truth_spectra(job: tuple) -> numpy.ndarray:
    """One data set re-simulated at the truth (the project's simulate_loci) -> its windows' unfolded spectra,
    (windows, n - 1)."""
    scenario, seed = job
    data = simulate_loci(scenario, dict(TRUTH), numpy.random.default_rng(seed), mask=False)
    return derived_spectra(data.calls, data.site_counts)


def simulate_spectra(scenario: Scenario, seeds: list[int], workers: int, cache: str) -> numpy.ndarray:
    """(data sets, windows, n - 1): every seed's data set at the truth; kept in ``cache`` and read back from it
    when a run asks for the same scenario and seeds again."""
    key = json.dumps([scenario.spec, [int(seed) for seed in seeds], "spectra"], sort_keys=True)
    if os.path.exists(cache):
        with numpy.load(cache) as stored:
            if str(stored["key"]) == key:
                print(f"  read {len(seeds)} data sets from {cache}", flush=True)
                return stored["spectra"]
    jobs, start, spectra = [(scenario, seed) for seed in seeds], time.perf_counter(), []
    with multiprocessing.get_context("fork").Pool(workers) if workers > 1 else contextlib.nullcontext() as pool:
        for result in (pool.imap(truth_spectra, jobs) if workers > 1 else map(truth_spectra, jobs)):
            spectra.append(result)
            print(f"  {len(spectra)} of {len(jobs)} data sets, {time.perf_counter() - start:.0f} s", flush=True)
    numpy.savez(cache, key=key, spectra=numpy.stack(spectra))
    return numpy.stack(spectra)


def organisers_vcf(path: str, length: float, seeds: tuple[int, int]) -> None:
    """A data set made as the organisers' script makes theirs (msprime and tskit only, not genomics): one
    chromosome of ``length`` bp, "modern" split from "ancestral", JC69 mutations on a continuous genome."""
    import msprime  # noqa: PLC0415 - only for this check
    demography = msprime.Demography()
    demography.add_population(name="modern", initial_size=TRUTH["N_ancestral"] * TRUTH["post_decline_fraction"])
    demography.add_population(name="ancestral", initial_size=TRUTH["N_ancestral"])
    demography.add_population_split(time=TRUTH["generations"], derived=["modern"], ancestral="ancestral")
    ts = msprime.sim_ancestry({"modern": 22}, demography=demography, sequence_length=length,
                              recombination_rate=1.5271e-8, ploidy=2, random_seed=seeds[0])
    ts = msprime.sim_mutations(ts, rate=2.4245e-8, discrete_genome=False, random_seed=seeds[1])
    with open(path, "w") as handle:
        ts.write_vcf(handle, position_transform=lambda x: numpy.asarray(x) + 1)


def vcf_spectra(path: str, scenario: Scenario, window_length: float) -> tuple[numpy.ndarray, numpy.ndarray]:
    """A VCF's 22 (first) samples as one population (REF ancestral, ALT derived, as msprime writes and the
    organisers annotated), read by genomics' VCF reader and cut into windows of ``window_length`` bp per
    chromosome (the last window of a chromosome takes its remainder) -> (windows' unfolded spectra (windows, 43),
    windows' lengths (windows,)). A chromosome's length is its ##contig length, or its last position where the
    header gives none."""
    from genomics.observed.vcf import read_vcf  # noqa: PLC0415 - only with a VCF
    opener = __import__("gzip").open if path.endswith(".gz") else open
    contigs = {}
    with opener(path, "rt") as handle:
        for line in handle:
            if line.startswith("##contig=<"):
                fields = dict(item.split("=", 1) for item in line.strip()[10:-1].split(",") if "=" in item)
                if "length" in fields:
                    contigs[fields["ID"]] = float(fields["length"])
            if line.startswith("#CHROM"):
                samples = line.rstrip("\n").split("\t")[9:]
                break
    data = read_vcf(path, {name: "modern" for name in samples}, scenario.design)
    names = data.locus_names or [str(i) for i in range(len(data.site_counts))]
    spectra, lengths = [], []
    for chromosome, (count, end) in enumerate(zip(data.site_counts, numpy.cumsum(data.site_counts))):
        positions = data.positions[end - count:end]
        length = contigs.get(names[chromosome], float(positions.max(initial=1)))
        windows = max(1, int(round(length / window_length)))         # the last window takes the remainder
        window = numpy.minimum(numpy.floor((positions - 1) / window_length).astype(int), windows - 1)
        calls = data.calls[:, end - count:end]
        spectra.append(derived_spectra(calls[:, numpy.argsort(window, kind="stable")], numpy.bincount(window,
                                                                                                     minlength=windows)))
        lengths.append(numpy.append(numpy.full(windows - 1, window_length), length - window_length * (windows - 1)))
    spectra, lengths = numpy.concatenate(spectra), numpy.concatenate(lengths)
    print(f"{path}: {data.sites} SNPs of {data.calls.shape[0]} haplotypes, {lengths.sum():.4g} bp in {len(lengths)} "
          "windows", flush=True)
    return spectra, lengths


def fit_data_set(spectra: numpy.ndarray, lengths: numpy.ndarray, model: SpectrumModel,
                 arguments: argparse.Namespace, seed: int) -> dict:
    """One data set's maximum composite-likelihood estimate, its block-bootstrap 90% intervals and its score."""
    spectrum = spectra.sum(axis=0)
    if arguments.folded:
        spectra, spectrum = fold(spectra), fold(spectrum)
    estimate = fit_spectrum(spectrum, model, float(lengths.sum()), arguments.folded, arguments.starts, seed)
    row = {"seed": int(seed), **{name: estimate.parameters[name] for name in model.free},
           "score": score(TRUTH, estimate.parameters), "segregating_sites": float(spectrum.sum()),
           "log_likelihood": estimate.log_likelihood, "starts_at_best": estimate.converged}
    if arguments.bootstrap and len(lengths) < 2:
        print(f"  no bootstrap: the data set has {len(lengths)} window of {arguments.window_length:g} bp")
    elif arguments.bootstrap:
        values = bootstrap_fits(spectra, lengths, model, estimate, arguments.bootstrap, arguments.folded, seed)
        row["bootstrap_90"] = bootstrap_intervals(values, model.free, 0.9)
    return row


def score_fits(rows: list[dict], label: str) -> dict:
    """Print each data set's estimate, interval and score, and the median; return the summary over data sets:
    the median score and, per scored parameter, the relative errors' mean (bias) and standard deviation."""
    print(f"\n{label}\n{'data set':>8} {'generations':>12} {'bootstrap 90%':>16} {'fraction':>9} "
          f"{'bootstrap 90%':>15} {'N_ancestral':>11} {'score':>7}")
    for index, row in enumerate(rows):
        intervals = row.get("bootstrap_90", {})
        generations, fraction = intervals.get("generations", [numpy.nan] * 2), \
            intervals.get("post_decline_fraction", [numpy.nan] * 2)
        print(f"{index + 1:>8} {row['generations']:>12.1f} {f'{generations[0]:.0f} - {generations[1]:.0f}':>16} "
              f"{row['post_decline_fraction']:>9.4f} {f'{fraction[0]:.3f} - {fraction[1]:.3f}':>15} "
              f"{row['N_ancestral']:>11.0f} {row['score']:>7.4f}")
    summary = {"median_score": float(numpy.median([row["score"] for row in rows])), "data_sets": len(rows)}
    for target in TARGETS + ["N_ancestral"]:
        relative = numpy.array([(row[target] - TRUTH[target]) / TRUTH[target] for row in rows])
        summary[target] = {"mean_relative_error": float(relative.mean()), "sd_relative_error": float(relative.std()),
                           "truth_in_bootstrap_90": None if "bootstrap_90" not in rows[0] else float(numpy.mean(
                               [row["bootstrap_90"][target][0] <= TRUTH[target] <= row["bootstrap_90"][target][1]
                                for row in rows]))}
        print(f"  {target}: relative error mean {relative.mean():+.4f}, sd {relative.std():.4f}"
              + ("" if summary[target]["truth_in_bootstrap_90"] is None else
                 f"; truth inside the bootstrap 90% interval in {summary[target]['truth_in_bootstrap_90']:.0%}"))
    print(f"median score over {len(rows)} data sets: {summary['median_score']:.4f} (the winner's {WINNER}; the 8 "
          f"entries' median {ENTRIES_MEDIAN:.4f}); {'at or below' if summary['median_score'] <= WINNER else 'above'} "
          "the winner's", flush=True)
    return summary


def run_sfs(arguments: argparse.Namespace, scenario: Scenario, start: float) -> dict:
    """--method sfs: fit each data set's site frequency spectrum (genomics.baselines.sfs_likelihood)."""
    model = SpectrumModel(scenario, mutation_rate=2.4245e-8)
    lengths = numpy.full(arguments.windows, arguments.window_length)
    seeds = numpy.random.SeedSequence(arguments.seed + 1).generate_state(arguments.datasets).tolist()
    print(f"simulating {arguments.datasets} data sets at the truth, each {arguments.windows} windows of "
          f"{arguments.window_length:g} bp ({arguments.workers} processes)", flush=True)
    spectra = simulate_spectra(scenario, seeds, arguments.workers, os.path.join(arguments.out, "datasets_sfs.npz"))
    rows = []
    for index, (data, seed) in enumerate(zip(spectra, seeds)):
        rows.append(fit_data_set(data, lengths, model, arguments, seed))
        print(f"  fitted data set {index + 1} of {len(seeds)}, {time.perf_counter() - start:.0f} s", flush=True)
    results = {"method": "sfs", "folded": arguments.folded, "windows": arguments.windows,
               "window_length": arguments.window_length, "starts": arguments.starts, "bootstrap": arguments.bootstrap,
               "seed": arguments.seed, "winner": WINNER, "entries_median": ENTRIES_MEDIAN, "datasets": rows,
               **score_fits(rows, f"{'folded' if arguments.folded else 'unfolded'} spectra of data sets re-simulated "
                                  "at the truth (simulate_loci, independent windows)")}
    if arguments.organisers:
        seeds = numpy.random.SeedSequence(arguments.seed + 3).generate_state(2 * arguments.organisers).tolist()
        rows = []
        for index in range(arguments.organisers):
            path = os.path.join(arguments.out, f"organisers_{index + 1}.vcf")
            began = time.perf_counter()
            organisers_vcf(path, arguments.organisers_length, (seeds[2 * index], seeds[2 * index + 1]))
            print(f"{path}: simulated and written by msprime/tskit in {time.perf_counter() - began:.0f} s")
            data, window_lengths = vcf_spectra(path, scenario, arguments.window_length)
            rows.append({"vcf": path, "simulation_seeds": seeds[2 * index:2 * index + 2],
                         **fit_data_set(data, window_lengths, model, arguments, seeds[2 * index])})
            os.remove(path)
        results["organisers"] = {"length": arguments.organisers_length, "datasets": rows, **score_fits(
            rows, f"one {arguments.organisers_length:g} bp chromosome each, made as the organisers' script makes "
                  "it, written as VCF by tskit and read by genomics")}
    if arguments.vcf:
        data, window_lengths = vcf_spectra(arguments.vcf, scenario, arguments.window_length)
        results["vcf"] = {"path": arguments.vcf, **fit_data_set(data, window_lengths, model, arguments, arguments.seed)}
        print(f"{arguments.vcf}: generations {results['vcf']['generations']:.1f}, post_decline_fraction "
              f"{results['vcf']['post_decline_fraction']:.4f}, score {results['vcf']['score']:.4f}")
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=("sfs", "npe"), default="sfs", help="sfs (default): a composite-"
                        "likelihood fit of the site frequency spectrum; npe: the neural posterior of window statistics")
    parser.add_argument("--out", default="ghist2025_bottleneck_out", help="folder for the results")
    parser.add_argument("--quick", action="store_true", help="3 data sets of 4 windows of 100 kb (sfs); 80 "
                        "simulations of 2 windows of 20 kb, 3 data sets (npe)")
    parser.add_argument("--simulations", type=int, default=2000, help="training replicates, all rounds (default 2000)")
    parser.add_argument("--rounds", type=int, choices=(1, 2), default=2, help="1: the wide priors only; 2 (default): "
                        "half the simulations again from the priors cut to the data sets' posteriors")
    parser.add_argument("--windows", type=int, default=100, help="windows per data set (default 100)")
    parser.add_argument("--window-length", type=float, default=1e6, help="bp per window (default 1e6)")
    parser.add_argument("--datasets", type=int, default=50, help="data sets re-simulated at the truth (default 50)")
    parser.add_argument("--spectrum-bins", type=int, default=SPECTRUM_BINS, help="folded-spectrum bins (default 12)")
    parser.add_argument("--epochs", type=int, default=300, help="most training epochs (default 300)")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes (default 1)")
    parser.add_argument("--vcf", help="a VCF of the challenge's design to apply the posterior to")
    parser.add_argument("--folded", action="store_true", help="sfs: fit the folded spectrum (default: unfolded)")
    parser.add_argument("--starts", type=int, default=6, help="sfs: optimiser starts drawn from the priors (default 6)")
    parser.add_argument("--bootstrap", type=int, default=50, help="sfs: block-bootstrap re-fits per data set for "
                        "the 90%% intervals (default 50; 0: none)")
    parser.add_argument("--organisers", type=int, default=0, help="sfs: also N data sets simulated as the "
                        "organisers' script does (one chromosome), written as VCF and read back (default 0)")
    parser.add_argument("--organisers-length", type=float, default=1e8, help="bp of each such chromosome (default 1e8)")
    parser.add_argument("--seed", type=int, default=2025, help="master seed (the data sets use seed + 1, round 2 "
                        "seed + 2)")
    arguments = parser.parse_args(argv)
    if arguments.quick and arguments.method == "npe":
        arguments.simulations, arguments.windows, arguments.window_length = 80, 2, 2e4
        arguments.datasets, arguments.epochs = 3, 20
    elif arguments.quick:
        arguments.windows, arguments.window_length, arguments.datasets = 4, 1e5, 3
        arguments.starts, arguments.bootstrap = 2, min(arguments.bootstrap, 3)
        arguments.organisers, arguments.organisers_length = min(arguments.organisers, 1), 2e5
    for name in ("simulations", "windows", "datasets", "workers", "epochs", "starts"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be a whole number >= 1, got {getattr(arguments, name)}")
    if arguments.bootstrap == 1 or arguments.bootstrap < 0 or arguments.organisers < 0:
        parser.error(f"--bootstrap must be 0 or >= 2 and --organisers >= 0, got {arguments.bootstrap} and "
                     f"{arguments.organisers}")
    if arguments.bootstrap and arguments.windows < 2:
        parser.error(f"--bootstrap resamples windows: it needs --windows >= 2, got {arguments.windows}")
    if arguments.simulations < 40 * arguments.rounds:
        parser.error(f"--simulations must be at least 40 per round (a posterior needs 20 to train), got "
                     f"{arguments.simulations}")
    if arguments.vcf and not os.path.exists(arguments.vcf):
        parser.error(f"--vcf {arguments.vcf!r} does not exist")
    os.makedirs(arguments.out, exist_ok=True)
    start = time.perf_counter()
    scenario = study_scenario(arguments.windows, arguments.window_length)
    results = (run_sfs if arguments.method == "sfs" else run_npe)(arguments, scenario, start)
    results["seconds"] = time.perf_counter() - start
    with open(os.path.join(arguments.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"results in {arguments.out}/results.json ({results['seconds']:.0f} s)")
    return results


def run_npe(arguments: argparse.Namespace, scenario: Scenario, start: float) -> dict:
    """--method npe: the neural posterior of window statistics, in one or two rounds."""
    names = window_statistic_names(["modern"], sum(scenario.design.haplotypes_per_population), arguments.spectrum_bins)
    first = arguments.simulations // arguments.rounds
    test_seeds = numpy.random.SeedSequence(arguments.seed + 1).generate_state(arguments.datasets).tolist()
    print(f"simulating {arguments.datasets} data sets at the truth and {first} training replicates (round 1), each "
          f"{arguments.windows} windows of {arguments.window_length:g} bp ({arguments.workers} processes)", flush=True)
    _, test_windows = simulate_many(scenario, test_seeds, dict(TRUTH), arguments.workers, arguments.spectrum_bins,
                                   os.path.join(arguments.out, "datasets.npz"))
    observed = [test_windows]
    if arguments.vcf:
        observed.append(vcf_windows(arguments.vcf, scenario, arguments.window_length, arguments.spectrum_bins)[None])
    seeds = numpy.random.SeedSequence(arguments.seed).generate_state(first).tolist()
    drawn, windows = simulate_many(scenario, seeds, None, arguments.workers, arguments.spectrum_bins,
                                   os.path.join(arguments.out, "round_1.npz"))
    estimator = fit_round(scenario, drawn, windows, arguments, names)
    samples = [estimator.sample_windows(data, draws=4000, seed=arguments.seed) for data in observed]
    results = {"method": "npe", "simulations": arguments.simulations, "rounds": arguments.rounds, "windows": arguments.windows,
               "window_length": arguments.window_length, "spectrum_bins": arguments.spectrum_bins,
               "winner": WINNER, "entries_median": ENTRIES_MEDIAN, "round_1": {
                   "datasets": score_data_sets(samples[0], test_seeds, "round 1: the wide priors")}}
    if arguments.rounds == 2:
        cut = truncated(scenario, numpy.concatenate([s[:, :, :] for s in samples]))
        inside = [i for i, p in enumerate(drawn) if all(cut.priors[t].support[0] <= p[t] <= cut.priors[t].support[1]
                                                       for t in TARGETS)]
        more = arguments.simulations - first
        print(f"\nround 2: {more} replicates from the priors cut to the data sets' posteriors, with the {len(inside)} "
              f"of round 1 inside the cut", flush=True)
        seeds = numpy.random.SeedSequence(arguments.seed + 2).generate_state(more).tolist()
        drawn_2, windows_2 = simulate_many(cut, seeds, None, arguments.workers, arguments.spectrum_bins,
                                           os.path.join(arguments.out, "round_2.npz"))
        estimator = fit_round(cut, drawn_2 + [drawn[i] for i in inside],
                              numpy.concatenate([windows_2, windows[inside]]), arguments, names)
        samples = [estimator.sample_windows(data, draws=4000, seed=arguments.seed) for data in observed]
        results["round_2"] = {"datasets": score_data_sets(samples[0], test_seeds, "round 2: the cut priors"),
                              "priors": {t: list(cut.priors[t].support) for t in TARGETS}}
    final = results[f"round_{arguments.rounds}"]
    results["datasets"] = final["datasets"]
    results["median_score"] = float(numpy.median([row["score"] for row in final["datasets"]]))
    results["calibration_coverage"] = {target: entry["coverage"] for target, entry in
                                       estimator.calibration["targets"].items()}
    estimator.save(os.path.join(arguments.out, "posterior.npz"))
    print(f"\ntruth: generations {TRUTH['generations']:.2f}, post_decline_fraction {TRUTH['post_decline_fraction']}; "
          f"median score {results['median_score']:.4f} (the winner's 0.1138, the entries' median 0.56)")
    if arguments.vcf:
        predicted = {target: float(numpy.median(samples[1][0][:, j])) for j, target in enumerate(TARGETS)}
        results["vcf"] = {"path": arguments.vcf, "median": predicted, "score": score(TRUTH, predicted)}
        print(f"{arguments.vcf}: posterior medians {predicted}, score {results['vcf']['score']:.4f}")
    else:
        print("the challenge's own VCF is not in tjstruck/GHIST-2025-repo (it holds only the sweep challenges' "
              "VCFs); give one with --vcf")
    return results


if __name__ == "__main__":
    main()
