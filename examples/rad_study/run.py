"""A RADseq study: isolation with migration against strict isolation, every option at its default.

Two populations of 10 diploid individuals, 1,000 unlinked RAD loci of 150 bp,
each individual missing each locus with probability 0.2 (locus dropout).
The scenario files ``isolation.toml`` and ``isolation_with_migration.toml``
hold the models; the steps are ``genomics`` commands with no option beyond
the files and folders:

1. ``genomics simulate isolation.toml isolation_with_migration.toml --replicates 400``;
2. ``genomics train`` (it prints the encoding and the network it chose
   for the design, and why: the joint frequency spectrum projected to 16
   haplotypes per population, read by ``cnn2d``);
3. a data set simulated outside genomics (msprime and tskit's
   ``write_vcf`` directly: 12 diploids per population, one contig per
   locus as Stacks writes them, loci without variable sites absent, the
   dropped individuals' calls ``./.``), predicted with
   ``genomics predict BUNDLE data.vcf --popmap populations.txt`` (the design's
   10 individuals per population are a seeded subset, the absent loci are
   counted back from the design) and checked with ``genomics check``.

    python examples/rad_study/run.py                 # 400 simulations per model (about 25 minutes on 2 cores)
    python examples/rad_study/run.py --quick         # 100 loci, 40 simulations per model: every step (seconds)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import msprime
import numpy

from genomics.cli.main import main as genomics

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = [os.path.join(HERE, "isolation.toml"), os.path.join(HERE, "isolation_with_migration.toml")]
LOCI, QUICK_LOCI = 1000, 100
#: the data set's true model and parameters (isolation with migration), inside the priors
TRUTH = {"N_north": 2e4, "N_south": 3e4, "N_ancestral": 2.5e4, "T": 3e4, "m": 1.5e-4}


def run(command: list[str]) -> None:
    print("\n$ genomics " + " ".join(command), flush=True)
    if genomics(command) != 0:
        sys.exit(f"genomics {command[0]} failed")


def scenario_files(out: str, loci: int) -> list[str]:
    """The scenario files, or copies of them with ``loci`` loci (the quick mode)."""
    if loci == LOCI:
        return MODELS
    copies = []
    for path in MODELS:
        copy = os.path.join(out, os.path.basename(path))
        with open(path) as source, open(copy, "w") as target:
            target.write(source.read().replace(f"count = {LOCI} ", f"count = {loci} "))
        copies.append(copy)
    return copies


def simulate_study_data(out: str, loci: int, seed: int, individuals: int = 12, dropout: float = 0.2,
                        truth: dict = TRUTH) -> tuple[str, str, list]:
    """A RAD data set of the true model, written without genomics: msprime, then tskit's ``write_vcf`` per locus.

    Each locus is one contig (``rad1``, ``rad2``, ...; loci without sites
    are absent, as in a Stacks VCF); each individual misses each locus with
    probability ``dropout`` (its calls ``./.``). Returns (VCF, population map,
    the tree sequences with mutations, for other formats).
    """
    demography = msprime.Demography()
    for name in ("north", "south", "ancestral"):
        demography.add_population(name=name, initial_size=truth[f"N_{name}"])
    demography.set_symmetric_migration_rate(["north", "south"], truth["m"])
    demography.add_population_split(time=truth["T"], derived=["north", "south"], ancestral="ancestral")
    generator = numpy.random.default_rng(seed)
    replicates = msprime.sim_ancestry({"north": individuals, "south": individuals}, demography=demography,
                                      sequence_length=150, recombination_rate=0, random_seed=seed,
                                      num_replicates=loci)
    names = [f"{population}{i + 1}" for population in ("north", "south") for i in range(individuals)]
    vcf_path, popmap = os.path.join(out, "data.vcf"), os.path.join(out, "populations.txt")
    header, body, trees = [], [], []
    for number, ts in enumerate(replicates, start=1):
        ts = msprime.sim_mutations(ts, rate=2.5e-8, random_seed=seed + number, model=msprime.BinaryMutationModel())
        missing = generator.random(len(names)) < dropout
        trees.append((ts, missing))
        if ts.num_sites == 0:
            continue
        # VCF positions are 1-based: tskit's site at 0 is POS 1 (and the contig's length stays the locus's)
        text = ts.as_vcf(contig_id=f"rad{number}", individual_names=names,
                         position_transform=lambda x: numpy.asarray(x) + 1)
        lines = text.splitlines()
        header = header or [line for line in lines if line.startswith("#") and not line.startswith("##contig")]
        body.append(f"##contig=<ID=rad{number},length={int(ts.sequence_length)}>")
        for line in (line for line in lines if not line.startswith("#")):
            fields = line.split("\t")
            fields[9:] = ["./." if gone else call for call, gone in zip(fields[9:], missing)]
            body.append("\t".join(fields))
    contigs = [line for line in body if line.startswith("##contig")]
    records = [line for line in body if not line.startswith("##contig")]
    with open(vcf_path, "w") as handle:
        handle.write("\n".join(header[:-1] + contigs + header[-1:] + records) + "\n")
    with open(popmap, "w") as handle:
        handle.writelines(f"{name}\t{name.rstrip('0123456789')}\n" for name in names)
    return vcf_path, popmap, trees


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="rad_study_out", help="folder for simulations, model and results")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LOCI} loci, 40 simulations per model")
    parser.add_argument("--replicates", type=int, default=400, help="simulations per model (default 400)")
    parser.add_argument("--workers", type=int, default=None, help="simulation processes (default: all cores)")
    arguments = parser.parse_args(argv)
    out, loci = arguments.out, QUICK_LOCI if arguments.quick else LOCI
    replicates = 40 if arguments.quick else arguments.replicates
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    workers = [] if arguments.workers is None else ["--workers", str(arguments.workers)]
    simulations, trained = os.path.join(out, "simulations"), os.path.join(out, "run")
    run(["simulate", *scenario_files(out, loci), "--replicates", str(replicates), "--out", simulations, *workers])
    run(["train", simulations, "--out", trained])
    evaluation = json.load(open(os.path.join(trained, "evaluation.json")))
    vcf_path, popmap, _ = simulate_study_data(out, loci, seed=2026)
    bundle = os.path.join(trained, "model.npz")
    run(["predict", bundle, vcf_path, "--popmap", popmap, "--out", os.path.join(out, "prediction.json")])
    run(["check", simulations, "--vcf", vcf_path, "--popmap", popmap, "--bundle", bundle,
         "--out", os.path.join(out, "check")])
    prediction = json.load(open(os.path.join(out, "prediction.json")))
    check = json.load(open(os.path.join(out, "check", "adequacy.json")))
    results = {"loci": loci, "simulations_per_model": replicates, "test_accuracy": evaluation["accuracy"],
               "data_true_model": "isolation_with_migration", "data_prediction": dict(zip(
                   prediction["columns"], prediction["data_sets"][0]["values"])),
               "data_tail_share": dict(zip(check["scenario_names"], check["tail_share"])),
               "seconds": time.perf_counter() - start}
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"\nheld-out accuracy {results['test_accuracy']:.3f} ({replicates} simulations per model, {loci} loci); "
          f"the VCF (true model isolation_with_migration): {results['data_prediction']}; results in "
          f"{out}/results.json")
    return results


if __name__ == "__main__":
    main()
