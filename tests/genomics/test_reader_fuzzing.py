"""Malformed empirical data: every reader either returns well-formed genotypes or raises one ValueError naming the file.

Each case starts from a valid file and breaks it with random edits (lines deleted, repeated, cut, swapped for
noise, tokens replaced, bytes that are not UTF-8), as a damaged download or a hand-edited file would. No other
exception type may escape: a student or referee must never read a traceback from inside numpy or scikit-allel.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from genomics.observed import readers, vcf
from genomics.scenario.design import SamplingDesign
from tests.genomics.test_alignments import SEQUENCES, fasta, nexus, phylip

NOISE = st.sampled_from(["", " ", "\t", "0", "1", "2", "-1", "N", "x", "1e9", "nan", "//", "segsites: 3",
                         "segsites: -2", "positions: 0.1 abc", "positions:", ">", ">a1", "#NEXUS", "matrix", ";",
                         "0 0", "3 0", "0 5", "#CHROM", "1\t5\t.\tA\tT\t.\t.\t.\tGT\t0|1", "0|1|1", "./.", "1/2",
                         "0|a", ":", "\x00", "é"])


@st.composite
def damaged(draw, text: str) -> bytes:
    """``text`` after one to three random edits of its lines or tokens."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            lines = [""]
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "repeat", "cut", "noise_line", "noise_token", "insert"]))
        if edit == "delete":
            del lines[index]
        elif edit == "repeat":
            lines.insert(index, lines[index])
        elif edit == "cut":
            lines[index] = lines[index][: draw(st.integers(0, max(len(lines[index]) - 1, 0)))]
        elif edit == "noise_line":
            lines[index] = draw(NOISE)
        elif edit == "insert":
            lines.insert(index, draw(NOISE))
        else:
            separator = "\t" if "\t" in lines[index] else " "
            tokens = lines[index].split(separator)
            tokens[draw(st.integers(0, len(tokens) - 1))] = draw(NOISE)
            lines[index] = separator.join(tokens)
    data = "\n".join(lines).encode()
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        data += b"\xff\xfe"
    return data


def assert_well_formed(data, haplotypes: int):
    assert data.haplotypes.dtype == np.int8 and data.haplotypes.shape[0] == haplotypes
    assert np.isin(data.haplotypes, [-1, 0, 1]).all()
    assert data.positions is None or data.positions.shape == (data.haplotypes.shape[1],)  # a matrix has none


def outcome(read, path, name: str):
    """Run ``read``; a ValueError must name the file, any other exception fails the test."""
    try:
        result = read()
    except ValueError as error:
        assert name in str(error), f"the message does not name the file {name!r}: {error}"
        assert "Traceback" not in str(error) and "\n" not in str(error).strip()
        event("refused with a ValueError naming the file")
        return None
    event("read")
    return result


pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-allel describes each damaged field
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 80)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MATRIX_DESIGN = SamplingDesign.from_spec({"populations": ["north", "south"], "samples": [2, 3], "ploidy": 1},
                                         "fuzz", lambda v, k: None)


@SETTINGS
@given(content=damaged("0 1 N 1 0\n1 1 0 ? 0\n0 0 1 1 1\n1 0 0 0 9\n0 - 1 0 1\n"))
def test_damaged_matrices(tmp_path, content):
    path = tmp_path / "fuzz_matrix.txt"
    path.write_bytes(content)
    data = outcome(lambda: readers.read_matrix(str(path), MATRIX_DESIGN), path, "fuzz_matrix.txt")
    if data is not None:
        assert_well_formed(data, 5)


MS_TEXT = ("ms 5 2 -s 3\n1 2 3\n\n//\nsegsites: 3\npositions: 0.1 0.5 0.9\n010\n110\n001\n100\n011\n\n"
           "//\nsegsites: 2\npositions: 0.2 0.7\n01\n10\n11\n00\n01\n")


@SETTINGS
@given(content=damaged(MS_TEXT))
def test_damaged_ms_output(tmp_path, content):
    path = tmp_path / "fuzz.ms"
    path.write_bytes(content)
    data = outcome(lambda: readers.read_ms(str(path), MATRIX_DESIGN), path, "fuzz.ms")
    for replicate in data or []:
        assert_well_formed(replicate, 5)


ALIGNMENT_DESIGN = SamplingDesign.from_spec({"populations": ["north", "south"], "samples": [2, 3], "ploidy": 1},
                                            "fuzz", lambda v, k: None)
POPULATION_MAP = {"a1": "north", "a2": "north", "b1": "south", "b2": "south", "b3": "south"}


@SETTINGS
@given(content=st.sampled_from([fasta(SEQUENCES), phylip(SEQUENCES), phylip(SEQUENCES, interleaved=True),
                                nexus(SEQUENCES)]).flatmap(damaged))
def test_damaged_alignments(tmp_path, content):
    path = tmp_path / "fuzz_locus.fas"
    path.write_bytes(content)
    data = outcome(lambda: readers.read_alignments([str(path)], POPULATION_MAP, ALIGNMENT_DESIGN), path,
                   "fuzz_locus.fas")
    if data is not None:
        assert_well_formed(data, 5)


VCF_DESIGN = SamplingDesign.from_spec({"populations": ["north", "south"], "samples": [2, 1], "ploidy": 2},
                                      "fuzz", lambda v, k: None)
VCF_SAMPLES = {"s1": "north", "s2": "north", "s3": "south"}


def vcf_text(tmp_path) -> str:
    generator = np.random.default_rng(0)
    path = tmp_path / "valid.vcf"
    vcf.write_vcf(str(path), generator.integers(0, 2, (6, 6)), np.arange(1, 7) * 10, list(VCF_SAMPLES))
    return path.read_text()


@pytest.fixture(scope="module")
def valid_vcf(tmp_path_factory):
    return vcf_text(tmp_path_factory.mktemp("vcf"))


@SETTINGS
@given(data=st.data())
def test_damaged_vcfs(tmp_path, valid_vcf, data):
    path = tmp_path / "fuzz_calls.vcf"
    path.write_bytes(data.draw(damaged(valid_vcf)))
    result = outcome(lambda: vcf.read_vcf(str(path), VCF_SAMPLES, VCF_DESIGN, max_missing=0.5), path,
                     "fuzz_calls.vcf")
    if result is not None:
        assert_well_formed(result, 6)


@SETTINGS
@given(content=damaged("s1 north\ns2 north\ns3 south\n"))
def test_damaged_population_maps(tmp_path, content):
    path = tmp_path / "fuzz_popmap.txt"
    path.write_bytes(content)
    mapping = outcome(lambda: vcf.read_population_map(str(path)), path, "fuzz_popmap.txt")
    if mapping is not None:
        assert mapping and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
