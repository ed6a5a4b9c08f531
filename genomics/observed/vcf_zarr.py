"""VCF Zarr stores (the VCF Zarr specification of sgkit-dev/vcf-zarr-spec, as bio2zarr's ``vcf2zarr`` and sgkit
write them) read exactly as the VCF they encode: ``genomics.observed.vcf``'s rules, reports and refusals.

The arrays read (the specification's names):

- ``sample_id`` (samples,) str;
- ``variant_contig`` (variants,) int: an index into the contig names, the
  ``contig_id`` array (bio2zarr, VCF Zarr 0.2 and later) or the ``contigs``
  group attribute (VCF Zarr 0.1); contig lengths from ``contig_length``
  where present, else from the ``##contig`` lines of the ``vcf_header``
  attribute;
- ``variant_position`` (variants,) int: POS;
- ``variant_allele`` (variants, alleles) str: REF, then the ALTs, padded
  with "" (a record without ALT has "" or "." second);
- ``call_genotype`` (variants, samples, ploidy) int: 0 REF, 1 the first
  ALT, -1 missing, -2 fill (mixed ploidy: refused, as a VCF of mixed ploidy
  is); ``call_genotype_mask`` (same shape, bool), where present, marks
  missing calls too; ``call_genotype_phased`` (variants, samples) bool,
  where present (else every call is unphased, as the specification says).

A store is a folder (``*.vcz``, ``*.zarr``) or a zip file of one
(``*.vcz.zip``, ``*.zarr.zip``); the optional ``zarr`` package reads it
(``pip install 'minidl[zarr]'``), and without it the store is refused in
one sentence naming the package.
"""

from __future__ import annotations

import os
import re

import numpy

from genomics.genotypes import Genotypes, GenotypesError
from genomics.observed import vcf
from genomics.scenario.design import SamplingDesign

REQUIRED = ("sample_id", "variant_contig", "variant_position", "variant_allele", "call_genotype")
CONTIG_LINE = re.compile(r"##contig=<ID=([^,>]+)(?:,length=(\d+))?")


def is_vcf_zarr(path: str) -> bool:
    """Whether ``path`` is a VCF Zarr store (a folder with Zarr metadata, or a zipped store), not a VCF text file."""
    if os.path.isdir(path):
        return any(os.path.exists(os.path.join(path, name)) for name in (".zgroup", "zarr.json"))
    return path.endswith((".vcz.zip", ".zarr.zip"))


def open_store(path: str):
    """The top-level Zarr group of a VCF Zarr store, every required array checked present."""
    try:
        import zarr  # noqa: PLC0415 - optional: only VCF Zarr input needs it
    except ImportError:
        raise GenotypesError(f"{path} is a VCF Zarr store, and reading one needs the optional zarr package: "
                             "pip install 'minidl[zarr]' (or pip install zarr)") from None
    if not os.path.exists(path):
        raise GenotypesError(f"no VCF Zarr store at {path!r}")
    try:
        group = zarr.open_group(zarr.storage.ZipStore(path, mode="r") if path.endswith(".zip") else path, mode="r")
    except Exception as error:  # zarr raises many kinds on a folder that is not a store
        raise GenotypesError(f"{path}: not a readable Zarr group ({type(error).__name__}: {error})") from None
    absent = [name for name in REQUIRED if name not in group]
    if absent:
        raise GenotypesError(f"{path}: a VCF Zarr store needs the arrays {', '.join(REQUIRED)}; absent: "
                             f"{', '.join(absent)}")
    return group


def _strings(values: numpy.ndarray) -> numpy.ndarray:
    """An array of text as numpy str (zarr gives object, bytes or numpy's StringDType arrays, by version)."""
    values = numpy.asarray(values)
    if values.dtype.kind == "S":
        return numpy.char.decode(values, "utf-8")
    return numpy.array(values.astype(object).tolist() if values.size else values.astype(object), dtype=str)


def contig_names_and_lengths(group, path: str) -> tuple[list[str], dict[str, int]]:
    """(every contig name, in the store's order; the lengths known) of a store."""
    attributes = dict(group.attrs)
    if "contig_id" in group:
        names = _strings(group["contig_id"][:]).tolist()
    elif "contigs" in attributes:
        names = [str(name) for name in attributes["contigs"]]
    else:
        raise GenotypesError(f"{path}: the store names no contigs (no contig_id array, no 'contigs' attribute)")
    lengths = {}
    if "contig_length" in group:
        lengths = {name: int(length) for name, length in zip(names, group["contig_length"][:]) if length >= 0}
    else:
        for match in CONTIG_LINE.finditer(str(attributes.get("vcf_header", ""))):
            if match.group(2):
                lengths[match.group(1)] = int(match.group(2))
    return names, lengths


def read_callset(path: str, samples: set) -> tuple[dict, vcf.CallScan]:
    """scikit-allel's callset of the store (what ``vcf._read_callset`` gives for a VCF) and the scan of the calls
    of ``samples``, in one sentence where the store's arrays do not fit together."""
    group = open_store(path)
    names, _ = contig_names_and_lengths(group, path)
    sample_ids = _strings(group["sample_id"][:])
    contigs = numpy.asarray(group["variant_contig"][:]).astype(numpy.int64)
    positions = numpy.asarray(group["variant_position"][:]).astype(numpy.int64)
    alleles = _strings(group["variant_allele"][:])
    genotypes = numpy.asarray(group["call_genotype"][:]).astype(numpy.int64)
    variants = positions.size
    if genotypes.ndim != 3 or genotypes.shape[:2] != (variants, sample_ids.size) or contigs.shape != (variants,) \
            or alleles.ndim != 2 or alleles.shape[0] != variants:
        raise GenotypesError(f"{path}: call_genotype {genotypes.shape}, variant_allele {alleles.shape} and "
                             f"variant_contig {contigs.shape} do not fit {variants} variants of {sample_ids.size} "
                             "samples")
    if contigs.size and (contigs.min() < 0 or contigs.max() >= len(names)):
        raise GenotypesError(f"{path}: variant_contig holds {contigs.max()}, beyond the {len(names)} contigs")
    if "call_genotype_mask" in group:
        genotypes = numpy.where(numpy.asarray(group["call_genotype_mask"][:], dtype=bool), -1, genotypes)
    if (genotypes == -2).any():
        raise GenotypesError(f"{path}: calls of mixed ploidy (fill value -2 in call_genotype); only one ploidy, "
                             "haploid or diploid, can be read")
    phased = numpy.asarray(group["call_genotype_phased"][:], dtype=bool) if "call_genotype_phased" in group else \
        numpy.zeros(genotypes.shape[:2], dtype=bool)
    padded = numpy.full((variants, 3), "", dtype=object)
    padded[:, : min(3, alleles.shape[1])] = alleles[:, :3]
    callset = {"samples": sample_ids, "variants/CHROM": numpy.array(names, dtype=object)[contigs],
               "variants/POS": positions, "variants/REF": padded[:, 0],
               "variants/ALT": numpy.where(numpy.isin(padded[:, 1:], ["."]), "", padded[:, 1:]),
               "calldata/GT": genotypes}
    return callset, _scan(callset, alleles, phased, sorted(set(samples) & set(sample_ids.tolist())))


def _scan(callset: dict, alleles: numpy.ndarray, phased: numpy.ndarray, used: list[str]) -> vcf.CallScan:
    """What ``vcf.scan_calls`` finds in a VCF's text, found in the store's arrays for the ``used`` samples."""
    scan = vcf.CallScan(sites=int(callset["variants/POS"].size))
    columns = [list(callset["samples"]).index(name) for name in used]
    calls = callset["calldata/GT"][:, columns, :]
    called = calls >= 0
    if called.any():  # a call's ploidy counts its missing alleles too ("0/." is diploid), as in a VCF's text
        scan.ploidies = {int(calls.shape[2])}
    if calls.shape[2] > 2 and called.any():
        site, sample = numpy.argwhere(called.any(axis=2))[0]
        scan.first_high_ploidy = f"{callset['variants/CHROM'][site]}:{callset['variants/POS'][site]} " \
                                 f"{'/'.join(map(str, calls[site, sample]))!r}"
    heterozygous = called.all(axis=2) & (calls.max(axis=2) != calls.min(axis=2))
    scan.unphased_heterozygous = int((heterozygous & ~phased[:, columns]).sum())
    second = alleles[:, 1] if alleles.shape[1] > 1 else numpy.full(alleles.shape[0], "")
    alt_count = (numpy.char.str_len(alleles) > 0).sum(axis=1) - 1 - (second == ".")
    beyond = (calls > alt_count[:, None, None]).any(axis=2)
    for site, sample in numpy.argwhere(beyond)[:3]:
        call = "/".join(map(str, calls[site, sample]))
        scan.bad_alleles.append(f"{callset['variants/CHROM'][site]}:{callset['variants/POS'][site]} {call!r} with "
                                f"{alt_count[site]} ALT allele(s)")
    return scan


def read_vcf_zarr(path: str, population_map: dict[str, str], design: SamplingDesign, seed: int = 0,
                  max_missing: float = 0.0) -> Genotypes:
    """The store as ``vcf.read_vcf`` reads the VCF it encodes (same arguments, rules and report)."""
    if not 0 <= max_missing <= 1:
        raise GenotypesError(f"max_missing must be a fraction in [0, 1], got {max_missing!r}")
    callset, scan = read_callset(path, set(population_map))
    absent = sorted(set(population_map) - set(callset["samples"].tolist()))
    if absent:
        raise GenotypesError(f"{len(absent)} samples of the population map are not in {path!r}: {absent[:5]}")
    data = vcf.genotypes_from_callset(callset, scan, path, population_map, design, seed, max_missing)
    data.report["format"] = "VCF Zarr"
    return data


def contigs_of(path: str) -> tuple[list[str], dict[str, int]]:
    """(the contigs that hold a variant, in first-seen order; the lengths known): ``vcf_loci.contigs_of`` of a
    store."""
    group = open_store(path)
    names, lengths = contig_names_and_lengths(group, path)
    indices = numpy.asarray(group["variant_contig"][:]).astype(numpy.int64)
    return [names[i] for i in dict.fromkeys(indices.tolist())], lengths
