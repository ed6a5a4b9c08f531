"""Multi-locus alignments (FASTA, PHYLIP, NEXUS) read as genotypes: biallelic sites, missing codes, major/minor."""

import numpy as np
import pytest

from genomics.observed import readers
from genomics.cli.main import main
from genomics.scenario.design import SamplingDesign

SEQUENCES = {  # column 1: A/G; 2: monomorphic; 3: three alleles (dropped); 4: C/T; 5: A/C with N and ambiguity R
    "a1": "AACCA", "a2": "GACCA", "b1": "GAGTN", "b2": "GATCR", "b3": "AACTC",
}
POPMAP = "a1 north\na2 north\nb1 south\nb2 south\nb3 south\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def fasta(sequences):
    return "".join(f">{name}\n{seq[:3]}\n{seq[3:]}\n" for name, seq in sequences.items())


def phylip(sequences, interleaved=False):
    head = f"{len(sequences)} {len(next(iter(sequences.values())))}\n"
    if not interleaved:
        return head + "".join(f"{name} {seq}\n" for name, seq in sequences.items())
    return head + "".join(f"{name} {seq[:2]}\n" for name, seq in sequences.items()) + "\n" + \
        "".join(f"{seq[2:]}\n" for seq in sequences.values())


def nexus(sequences):
    rows = "".join(f"  {name} {seq}\n" for name, seq in sequences.items())
    return f"#NEXUS\nbegin data;\n dimensions ntax={len(sequences)} nchar=5;\n format datatype=dna;\nmatrix\n{rows};\nend;\n"


@pytest.mark.parametrize("text", [fasta(SEQUENCES), phylip(SEQUENCES), phylip(SEQUENCES, interleaved=True),
                                  nexus(SEQUENCES)], ids=["fasta", "phylip", "phylip-interleaved", "nexus"])
def test_every_alignment_format_gives_the_same_sites(tmp_path, text):
    path = write(tmp_path, "locus.aln", text)
    genotypes, positions, report = readers.alignment_sites(path, ["a1", "a2", "b1", "b2", "b3"])
    assert positions.tolist() == [1, 4, 5]  # the kept columns, 1-based
    # column 1: G x3 (major, 0), A x2; column 4: C x3 (0), T x2; column 5: A x2 (0), C x1, N and R missing
    np.testing.assert_array_equal(genotypes, [[1, 0, 0], [0, 0, 0], [0, 1, -1], [0, 0, -1], [1, 1, 1]])
    assert report["segregating_sites"] == 3 and report["dropped_more_than_two_alleles"] == 1
    assert report["sites_with_missing_calls"] == 1


def test_alignments_become_genotypes_with_per_locus_s_checked(tmp_path):
    design = SamplingDesign.from_spec({"populations": ["north", "south"], "samples": [2, 3], "ploidy": 1,
                                       "loci": [{"name": "l1", "segregating_sites": 3},
                                                {"name": "l2", "segregating_sites": 1}]}, "test", lambda v, k: None)
    first = write(tmp_path, "l1.fasta", fasta(SEQUENCES))
    second = write(tmp_path, "l2.fasta", fasta({name: seq[0] + "CCC" for name, seq in SEQUENCES.items()}))
    popmap = {line.split()[0]: line.split()[1] for line in POPMAP.strip().split("\n")}
    data = readers.read_alignments([first, second], popmap, design)
    assert data.haplotypes.shape == (5, 4) and data.site_counts.tolist() == [3, 1]
    with pytest.raises(ValueError, match=r"l2.fasta: locus 'l2' has 1 biallelic segregating sites but the design has 2"):
        bad = SamplingDesign.from_spec({**design.to_dict(), "loci": [{"name": "l1", "segregating_sites": 3},
                                                                       {"name": "l2", "segregating_sites": 2}]},
                                       "test", lambda v, k: None)
        readers.read_alignments([first, second], popmap, bad)
    with pytest.raises(ValueError, match=r"1 alignment files \(one locus each\) for the model's 2 loci"):
        readers.read_alignments([first], popmap, design)


@pytest.mark.parametrize("text, message", [
    (">a1\nAAC\n>a2\nAA\n", "sequences of unequal lengths"),
    ("5 6\na1 AACCA\n", "announces 5 sequences"),
    ("hello\n", "not a FASTA"),
    (">a1\nAACCA\n", r"sequences \['a2', 'b1'"),
])
def test_broken_alignments_are_one_clear_error(tmp_path, text, message):
    path = write(tmp_path, "bad.aln", text)
    with pytest.raises(ValueError, match=message):
        readers.alignment_sites(path, ["a1", "a2", "b1", "b2", "b3"])


def test_design_from_alignments_writes_the_loci_and_their_s(tmp_path, capsys):
    first = write(tmp_path, "cox1.fasta", fasta(SEQUENCES))
    popmap = write(tmp_path, "pops.txt", POPMAP)
    assert main(["design-from-alignments", first, "--popmap", popmap]) == 0
    printed = capsys.readouterr().out
    assert 'populations = ["north", "south"]' in printed and "samples = [2, 3]" in printed
    assert 'name = "cox1"' in printed and "segregating_sites = 3" in printed
