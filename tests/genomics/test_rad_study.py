"""The RAD study of examples/rad_study: its quick mode runs every step, and a VCF simulated outside genomics
(msprime and tskit directly) gives the statistics and the prediction of the same data as alignments and as a
0/1 matrix with its locus sizes."""

import json
import os
import runpy
from pathlib import Path

import msprime
import numpy as np
import pytest

from genomics.baselines import adequacy
from genomics.observed import readers
from genomics.encoding import sumstats
from genomics import pipeline
from genomics.bundle import Bundle
from genomics.cli.main import main
from genomics.genotypes import GenotypesError
from genomics.observed.vcf import read_population_map
from genomics.observed.vcf_loci import read_vcf_loci

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rad_study"
LOCI = 100  # the quick mode's loci


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("rad_study")
    example = runpy.run_path(str(EXAMPLE / "run.py"))
    results = example["main"](["--quick", "--out", str(out), "--workers", "1"])
    return out, results


def test_the_quick_mode_runs_every_step_with_every_option_at_its_default(study, capsys):
    out, results = study
    assert results["loci"] == LOCI and 0 <= results["test_accuracy"] <= 1
    assert sum(results["data_prediction"].values()) == pytest.approx(1)
    assert set(results["data_tail_share"]) == {"isolation", "isolation_with_migration"}
    trained = Bundle.load(str(out / "run" / "model.npz"), weights=False)
    assert trained.network == "cnn2d" and trained.encoder.layout == "joint_sfs"
    assert trained.encoder.sfs_haplotypes == 16  # 10 diploids, each missing a locus with probability 0.2


def simulate_vcf(out: Path, seed: int, individuals: int = 12, dropout: float = 0.2) -> tuple:
    """Isolation with migration, written with msprime and tskit directly: one contig per locus, loci without
    sites absent, each individual missing each locus with probability ``dropout`` (calls ``./.``).
    Returns (VCF, population map, [(haplotypes (2 * individuals * 2, 150) as 0/1, missing individuals)] per locus)."""
    demography = msprime.Demography()
    for name, size in (("north", 2e4), ("south", 3e4), ("ancestral", 2.5e4)):
        demography.add_population(name=name, initial_size=size)
    demography.set_symmetric_migration_rate(["north", "south"], 1.5e-4)
    demography.add_population_split(time=3e4, derived=["north", "south"], ancestral="ancestral")
    generator = np.random.default_rng(seed)
    names = [f"{population}{i + 1}" for population in ("north", "south") for i in range(individuals)]
    contigs, records, loci = [], [], []
    for number, ts in enumerate(msprime.sim_ancestry({"north": individuals, "south": individuals},
                                                     demography=demography, sequence_length=150, random_seed=seed,
                                                     num_replicates=LOCI), start=1):
        ts = msprime.sim_mutations(ts, rate=2.5e-8, random_seed=seed + number, model=msprime.BinaryMutationModel())
        missing = generator.random(individuals * 2) < dropout
        sequences = np.zeros((ts.num_samples, 150), dtype=np.int8)
        for variant in ts.variants():
            sequences[:, int(variant.site.position)] = variant.genotypes
        loci.append((sequences, missing))
        if ts.num_sites == 0:
            continue
        text = ts.as_vcf(contig_id=f"rad{number}", individual_names=names,
                         position_transform=lambda x: np.asarray(x) + 1)
        header = [line for line in text.splitlines() if line.startswith("#") and not line.startswith("##contig")]
        contigs.append(f"##contig=<ID=rad{number},length=150>")
        for line in (line for line in text.splitlines() if not line.startswith("#")):
            fields = line.split("\t")
            fields[9:] = ["./." if gone else call for call, gone in zip(fields[9:], missing)]
            records.append("\t".join(fields))
    vcf = out / "outside.vcf"
    vcf.write_text("\n".join(header[:-1] + contigs + header[-1:] + records) + "\n")
    popmap = out / "outside_populations.txt"
    popmap.write_text("".join(f"{name}\t{name.rstrip('0123456789')}\n" for name in names))
    return str(vcf), str(popmap), names, loci


def write_alignments(out: Path, names: list[str], chosen: dict, loci: list) -> tuple[list[str], dict]:
    """The chosen individuals' two haplotypes per locus as FASTA (A ancestral, T derived, N for a missing
    individual), one file per locus, and the population map of the sequences."""
    paths, sequence_map = [], {}
    for number, (sequences, missing) in enumerate(loci, start=1):
        lines = []
        for population, members in chosen.items():
            for sample in members:
                i = names.index(sample)
                for copy in (0, 1):
                    row = "N" * 150 if missing[i] else "".join("AT"[a] for a in sequences[2 * i + copy])
                    lines += [f">{sample}_{copy}", row]
                    sequence_map[f"{sample}_{copy}"] = population
        path = out / f"rad{number}.fasta"
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    return paths, sequence_map


@pytest.fixture(scope="module")
def outside(study):
    out, _ = study
    bundle = str(out / "run" / "model.npz")
    design = pipeline.bundle_design(bundle)
    vcf, popmap, names, loci = simulate_vcf(out, seed=31)
    from_vcf = read_vcf_loci(vcf, read_population_map(popmap), design, seed=0)  # predict's default seed
    paths, sequence_map = write_alignments(out, names, from_vcf.report["samples_chosen"], loci)
    from_alignments = readers.read_alignments(paths, sequence_map, design)
    return out, bundle, design, vcf, popmap, from_vcf, from_alignments


def test_a_vcf_of_one_contig_per_locus_gives_the_statistics_and_prediction_of_its_alignments(outside):
    out, bundle, design, vcf, popmap, from_vcf, from_alignments = outside
    assert from_vcf.loci == from_alignments.loci == LOCI
    assert from_vcf.report["invariant_loci_from"] == "the design" and from_vcf.report["loci_without_sites_added"] > 0
    assert all(len(members) == 10 for members in from_vcf.report["samples_chosen"].values())  # 12 -> 10
    np.testing.assert_allclose(sumstats.statistics(from_vcf), sumstats.statistics(from_alignments), rtol=0, atol=1e-9)
    by_vcf, by_alignments = (pipeline.predict_genotypes(bundle, [data])["data_sets"][0]["values"]
                             for data in (from_vcf, from_alignments))
    np.testing.assert_allclose(by_vcf, by_alignments, rtol=0, atol=1e-9)
    reference = adequacy.reference(str(out / "simulations"), None, per_scenario=1000)
    result = adequacy.check_data_set(reference, from_vcf)
    true_model = result["scenario_names"].index("isolation_with_migration")
    assert result["tail_share"][true_model] >= 0.01  # within the simulations of its true model


def test_a_matrix_with_uneven_loci_and_its_sizes_gives_the_statistics_of_the_alignments(outside, capsys):
    out, bundle, design, _, _, _, from_alignments = outside
    matrix = out / "uneven.txt"
    matrix.write_text("\n".join(" ".join("N" if c < 0 else str(c) for c in row) for row in from_alignments.calls))
    sizes = out / "sizes.txt"
    sizes.write_text("\n".join(map(str, from_alignments.site_counts)) + "\n")
    data = readers.read_matrix(str(matrix), design, locus_sizes=readers.parse_locus_sizes(str(sizes)))
    assert len(set(data.site_counts.tolist())) > 1  # the loci hold different numbers of SNPs
    np.testing.assert_allclose(sumstats.statistics(data), sumstats.statistics(from_alignments), rtol=0, atol=1e-9)
    with pytest.raises(GenotypesError, match="give each locus's number of SNPs with locus_sizes "):
        readers.read_matrix(str(matrix), design)
    assert main(["abc", str(out / "simulations"), "--matrix", str(matrix)]) == 2
    assert f"the model's design has {LOCI} loci (rad x{LOCI} of 150 bp)" in capsys.readouterr().err


def test_a_vcf_whose_loci_do_not_match_the_design_is_refused_with_both_structures(outside, capsys):
    out, bundle, design, vcf, popmap, from_vcf, _ = outside
    contigs = from_vcf.report["contigs"]
    assert main(["predict", bundle, vcf, "--popmap", popmap, "--invariant-loci", "50"]) == 2
    assert (f"has {contigs + 50} loci ({contigs} contigs and 50 invariant) but the model's design has {LOCI} loci "
            f"(rad x{LOCI} of 150 bp)") in capsys.readouterr().err
    assert main(["predict", bundle, vcf, "--popmap", popmap, "--invariant-loci", str(LOCI - contigs),
                 "--out", str(out / "p.json")]) == 0
    values = json.load(open(out / "p.json"))["data_sets"][0]["values"]
    expected = pipeline.predict_genotypes(bundle, [from_vcf])["data_sets"][0]["values"]
    np.testing.assert_allclose(values, expected, atol=1e-12)
    assert os.path.exists(out / "p.json")


def test_compare_with_a_vcf_prints_the_cnn_beside_each_abc_method_on_the_data(outside, capsys):
    out, bundle, _, vcf, popmap, _, _ = outside
    assert main(["compare", str(out / "simulations"), bundle, "--vcf", vcf, "--popmap", popmap, "--per-scenario", "3",
                 "--no-hybrid", "--methods", "rejection,mnlogistic"]) == 0
    printed = capsys.readouterr().out
    assert "individuals used {'north': 10, 'south': 10} of {'north': 12, 'south': 12}" in printed
    observed = printed.split("the observed data")[1]
    assert "outside.vcf: CNN" in observed and "outside.vcf: ABC rejection" in observed
    assert "outside.vcf: ABC mnlogistic" in observed
