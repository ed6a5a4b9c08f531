"""Empirical data: a VCF and a population map, encoded as the trained model's simulations were.

What is kept and what is dropped, reported to the user:

- biallelic SNPs only (one REF and one different ALT character: a base, or the
  0/1 alleles tskit writes for msprime's binary model); other
  records (multiallelic, indels, ALT '*' of spanning deletions, ALT equal to
  REF, no ALT) are dropped, and so are records at POS <= 0 (in no window);
  the report counts each kind and ``report["warnings"]`` says them;
- POS above 2^31 - 1 (beyond a VCF's 32-bit integers), a FORMAT without
  GT, and data before the header are errors naming the line; GT is read
  where FORMAT places it; a UTF-8 byte order mark is skipped;
- sites where more than ``max_missing`` of the used haplotypes are missing
  calls are dropped (default 0: complete sites only); kept missing calls are
  -1 in the haplotypes, and the encoder codes them apart from alleles;
- samples absent from the population map are ignored; populations of the map
  absent from the training design are an error;
- records out of position order are sorted (within each chromosome, which
  keep the file's order) and the report says so; records at a position an
  earlier record holds (msprime's rounded positions) are kept as separate
  sites at that position, counted in ``repeated_position_records`` and
  warned about; calls of ploidy above 2, and calls naming an allele the
  site does not have (GT 2 with one ALT), are errors naming the site;
  haploid calls give one haplotype per sample.

Each diploid call gives two haplotypes (ALT = 1). Phased calls (``|``) keep
their haplotypes; the alleles of an unphased call (``/``) fill the
individual's two rows in file order, and the report counts the unphased
heterozygous calls. The encoders sort rows within populations, so phase
only decides which alleles share a row.
Where a population has more haplotypes than the trained design, a seeded
random subset of the design's size is used; fewer is an error naming both
numbers. The chromosome is cut into windows of the design's sequence
length and each window with at least ``min_snps`` SNPs is one image.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field

import numpy

from genomics.scenario.design import SamplingDesign
from genomics.genotypes import Genotypes
from genomics.textfile import read_text


#: the genotypes object a VCF is read as (its loci: the chromosomes; ``chromosomes`` names each site's)
VcfData = Genotypes


def read_population_map(path: str) -> dict[str, str]:
    """sample -> population from a two-column text file (tab or spaces; '#' starts a comment)."""
    mapping = {}
    for number, line in enumerate(read_text(path, "population map").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f"{path}, line {number}: expected 'sample population', got {line!r}")
        if fields[0] in mapping:
            raise ValueError(f"{path}, line {number}: sample {fields[0]!r} appears twice")
        mapping[fields[0]] = fields[1]
    if not mapping:
        raise ValueError(f"{path}: the population map lists no samples")
    return mapping


def read_vcf(path: str, population_map: dict[str, str], design: SamplingDesign, seed: int = 0,
             max_missing: float = 0.0) -> VcfData:
    """Biallelic SNP haplotypes of the mapped samples, grouped by population in the design's order.

    Each population gives the design's number of haplotypes (a seeded subset
    where the VCF has more). A site is kept when at most ``max_missing`` of
    its used haplotypes are missing calls (0: complete sites only); kept missing calls are -1."""
    if not 0 <= max_missing <= 1:
        raise ValueError(f"max_missing must be a fraction in [0, 1], got {max_missing!r}")
    callset, scan = _read_callset(path, ["variants/CHROM", "variants/POS"], set(population_map))
    return genotypes_from_callset(callset, scan, path, population_map, design, seed, max_missing)


def genotypes_from_callset(callset: dict, scan: "CallScan", path: str, population_map: dict[str, str],
                           design: SamplingDesign, seed: int, max_missing: float) -> VcfData:
    """``read_vcf`` on arrays read already: scikit-allel's callset (samples, variants/CHROM, /POS, /REF, /ALT of
    two columns, calldata/GT) and the scan of its calls (a VCF's text, or a VCF Zarr store's arrays)."""
    populations, haplotypes_per_population = design.populations, design.haplotypes_per_population
    samples = list(callset["samples"])
    unknown = sorted(set(population_map.values()) - set(populations))
    if unknown:
        raise ValueError(f"the population map names populations {unknown} that the model was not trained on "
                         f"(trained: {populations})")
    missing_samples = sorted(set(population_map) - set(samples))
    if missing_samples:
        raise ValueError(f"{len(missing_samples)} samples of the population map are not in {path!r}: "
                         f"{missing_samples[:5]}")
    if scan.first_high_ploidy:
        raise ValueError(f"{path}: calls of ploidy {max(scan.ploidies)} (first: {scan.first_high_ploidy}); only "
                         "haploid and diploid calls can be read")
    if scan.bad_alleles:
        raise ValueError(f"{path}: genotype calls name alleles the site does not have: "
                         + "; ".join(scan.bad_alleles))
    chromosomes, positions = numpy.asarray(callset["variants/CHROM"]).astype(str), callset["variants/POS"]
    order = numpy.lexsort((positions, _first_seen_rank(chromosomes)))
    unsorted = bool((order != numpy.arange(order.size)).any())
    repeats = _repeated_positions(chromosomes[order], positions[order])
    ref, alt = callset["variants/REF"][order], callset["variants/ALT"][order]
    classes = _site_classes(ref, alt)
    placed = positions[order] > 0  # POS 0 (a telomere) and below lie in no window
    snp = classes["snp"] & placed
    genotypes = callset["calldata/GT"][order]  # (sites, samples, 2)
    if scan.ploidies == {1}:  # haploid calls: scikit-allel pads each with a missing second allele
        genotypes = genotypes[:, :, :1]
    chromosomes, positions = chromosomes[order], positions[order]
    generator = numpy.random.default_rng(seed)
    columns, labels, used_samples = [], [], []
    for index, (population, wanted) in enumerate(zip(populations, haplotypes_per_population)):
        members = [samples.index(s) for s, p in population_map.items() if p == population]
        calls = genotypes[:, members, :].reshape(genotypes.shape[0], -1)  # (sites, haplotypes)
        if calls.shape[1] < wanted:
            raise ValueError(f"population {population!r} has {calls.shape[1]} haplotypes in the VCF "
                             f"({len(members)} samples) but the model was trained on {wanted}")
        chosen = numpy.sort(generator.choice(calls.shape[1], size=wanted, replace=False))
        columns.append(calls[:, chosen])
        labels.append(numpy.full(wanted, index))
        used_samples.append(len(members))
    calls = numpy.concatenate(columns, axis=1)
    missing_fraction = (calls < 0).mean(axis=1)
    acceptable = missing_fraction <= max_missing
    keep = snp & acceptable
    haplotypes = numpy.where(calls[keep] < 0, -1, calls[keep] > 0).astype(numpy.int8).T
    dropped = {"dropped_spanning_deletion": int((classes["spanning_deletion"] & placed).sum()),
               "dropped_alt_same_as_ref": int((classes["alt_same_as_ref"] & placed).sum()),
               "dropped_no_alt_allele": int((classes["no_alt"] & placed).sum()),
               "dropped_position_not_positive": int((~placed).sum())}
    report = {
        "sites_in_vcf": int(len(snp)), "dropped_not_biallelic_snp": int((~classes["snp"] & placed).sum()), **dropped,
        "dropped_missing_calls": int((snp & ~acceptable).sum()), "sites_kept": int(keep.sum()),
        "max_missing": max_missing, "missing_calls_kept": int((haplotypes < 0).sum()),
        "samples_in_vcf": len(samples), "samples_used": dict(zip(populations, used_samples)),
        "haplotypes_per_population": dict(zip(populations, haplotypes_per_population)),
        "samples_ignored_not_in_map": len(set(samples) - set(population_map)),
        "unphased_heterozygous_calls": scan.unphased_heterozygous, "call_ploidy": sorted(scan.ploidies),
        "sorted_by_position": unsorted, **repeats,
        "byte_order_mark": scan.byte_order_mark,
    }
    report["warnings"] = [f"dropped {count} {DROPPED_RECORDS[key]}" for key, count in dropped.items() if count]
    if repeats["repeated_position_records"]:
        report["warnings"].append(f"kept {repeats['repeated_position_records']} records at a position an earlier "
                                  f"record already holds (first: {repeats['first_repeated_position']}), each as its "
                                  "own site at that position")
    names, counts = _runs(chromosomes[keep])  # the kept sites of each chromosome, in the file's order
    return Genotypes(haplotypes, positions[keep].astype(numpy.float64), counts, numpy.concatenate(labels),
                     list(populations), ploidy=design.ploidy, locus_names=names, provenance={"file": path},
                     report={**report, "format": "VCF"})


def _repeated_positions(chromosomes: numpy.ndarray, positions: numpy.ndarray) -> dict:
    """How many records (sorted by chromosome and position) sit at a position an earlier record already holds.

    The rule: every record is kept as its own site at the position given, in
    the file's order (msprime's continuous positions, rounded by tskit's
    ``write_vcf``, put several mutations at one POS; merging them would
    invent multiallelic sites). Their distance is 0; POS <= 0 is not counted.
    """
    same = (chromosomes[1:] == chromosomes[:-1]) & (positions[1:] == positions[:-1]) & (positions[1:] > 0)
    first = f"{chromosomes[1:][same][0]}:{positions[1:][same][0]}" if same.any() else ""
    return {"repeated_position_records": int(same.sum()), "first_repeated_position": first,
            "repeated_positions_rule": "kept, each record its own site at the position given"}


def _runs(chromosomes: numpy.ndarray) -> tuple[list[str], numpy.ndarray]:
    """(each chromosome once, in order; its number of consecutive sites) of sites grouped by chromosome."""
    starts = numpy.flatnonzero(numpy.concatenate([[True], chromosomes[1:] != chromosomes[:-1]])) \
        if chromosomes.size else numpy.zeros(0, dtype=int)
    return chromosomes[starts].tolist(), numpy.diff(numpy.append(starts, chromosomes.size)).astype(numpy.int64)


@dataclass
class CallScan:
    """What the genotype calls of the used samples look like, read from the VCF text itself."""

    ploidies: set = field(default_factory=set)  # numbers of alleles per call seen (missing calls not counted)
    unphased_heterozygous: int = 0              # calls with '/' and two different alleles
    first_high_ploidy: str = ""                 # "CHROM:POS 'call'" of the first call of ploidy > 2
    bad_alleles: list = field(default_factory=list)  # "CHROM:POS 'call'" whose allele exceeds the ALT count
    sites: int = 0                              # data lines
    byte_order_mark: bool = False               # the file starts with a UTF-8 byte order mark


#: What each report count of dropped records says (among the records that are not biallelic SNPs).
DROPPED_RECORDS = {"dropped_spanning_deletion": "records whose ALT is '*' (spanning deletions), not SNPs",
                   "dropped_alt_same_as_ref": "records whose ALT equals their REF (no variation)",
                   "dropped_no_alt_allele": "records without an ALT allele ('.')",
                   "dropped_position_not_positive": "records at POS <= 0, outside every window"}
MAX_POSITION = 2**31 - 1  # a VCF's integers are 32-bit (VCF 4.3, 1.3); scikit-allel reads POS as int32
BYTE_ORDER_MARK = b"\xef\xbb\xbf"
HEADER_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]


def scan_calls(path: str, samples: set) -> CallScan:
    """One pass over the VCF text: its layout, call ploidies, unphased heterozygous calls, alleles beyond the ALTs.

    scikit-allel reads every call as diploid (a tetraploid call is cut to
    two alleles; a haploid call gets a missing second allele) and does not
    check allele indices: this scan lets ``read_vcf`` say what it found.
    It also refuses a file scikit-allel's parser would crash on (a data line
    whose number of tab-separated fields differs from the header's, which
    can end the whole process with a segmentation fault in scikit-allel
    1.3), and data lines before the ``#CHROM`` header line.
    """
    opener = gzip.open if path.endswith((".gz", ".bgz")) else open
    scan, columns, width = CallScan(), [], None
    try:
        with opener(path, "rb") as handle:
            scan.byte_order_mark = handle.read(3) == BYTE_ORDER_MARK
        # bytes as scikit-allel reads them; utf-8-sig reads past a byte order mark, which scikit-allel is spared
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith("##"):
                    continue
                fields = line.rstrip("\r\n").split("\t")
                if line.startswith("#"):
                    if width is not None or fields[:9] != HEADER_COLUMNS:
                        raise ValueError(f"{path}, line {number}: expected one header line of the 9 columns "
                                         f"{' '.join(HEADER_COLUMNS)} and the sample names, got {line[:60]!r}")
                    columns = [i for i, name in enumerate(fields[9:], start=9) if name in samples]
                    width = len(fields)
                    continue
                if not line.strip():
                    continue
                if width is None:
                    raise ValueError(f"{path}, line {number}: a data line before the '#CHROM ... FORMAT sample' "
                                     "header line")
                if len(fields) != width:
                    raise ValueError(f"{path}, line {number}: {len(fields)} tab-separated fields, but the header "
                                     f"line has {width} (9 fixed columns and one per sample)")
                scan.sites += 1
                _check_record(fields, path, number, scan)
                _scan_record(fields, columns, scan)
    except (OSError, EOFError) as error:  # an unreadable or truncated gzip file
        raise ValueError(f"cannot read VCF {path!r}: {error}") from None
    return scan


def _check_record(fields: list[str], path: str, number: int, scan: CallScan) -> None:
    """Refuse a position scikit-allel cannot hold (read_vcf drops those <= 0) or a record without genotype calls."""
    position = fields[1].strip()
    if not (position.isdigit() or (position.startswith("-") and position[1:].isdigit())):
        raise ValueError(f"{path}, line {number}: POS must be a whole number, got {position[:20]!r}")
    if len(position.lstrip("-")) > 10 or abs(int(position)) > MAX_POSITION:  # int() never reads a huge number
        raise ValueError(f"{path}, line {number}: POS {position[:20]} is beyond {MAX_POSITION}, the largest position "
                         "a VCF may hold (a 32-bit integer); split the contig or shift its positions")
    if "GT" not in fields[8].split(":"):
        raise ValueError(f"{path}, line {number}: FORMAT is {fields[8][:40]!r}, without GT: the record holds no "
                         "genotype calls (remove it, or give its calls as GT)")


def _scan_record(fields: list[str], columns: list[int], scan: CallScan) -> None:
    """Adds one data line's calls (of the columns of used samples) to ``scan``; GT is read where FORMAT puts it
    (the VCF specification wants it first; scikit-allel, and this scan, find it by name)."""
    alt_count = 0 if fields[4] in (".", "") else len(fields[4].split(","))
    gt = fields[8].split(":").index("GT")
    for i in columns:
        values = fields[i].split(":")
        call = values[gt] if gt < len(values) else "."  # trailing fields may be dropped (VCF 4.2, 1.6.2)
        alleles = call.replace("|", "/").split("/")
        if all(allele == "." for allele in alleles):
            continue
        scan.ploidies.add(len(alleles))
        if len(alleles) > 2 and not scan.first_high_ploidy:
            scan.first_high_ploidy = f"{fields[0]}:{fields[1]} {call!r}"
        if "/" in call and len(set(alleles) - {"."}) > 1:
            scan.unphased_heterozygous += 1
        if any(allele.isdigit() and int(allele) > alt_count for allele in alleles) and len(scan.bad_alleles) < 3:
            scan.bad_alleles.append(f"{fields[0]}:{fields[1]} {call!r} with {alt_count} ALT allele(s)")


def _read_callset(path: str, extra_fields: list[str], samples: set) -> tuple[dict, CallScan]:
    """scikit-allel's arrays of samples, REF, ALT (two columns), GT and ``extra_fields``, and the text scan of
    ``samples``' calls (``scan_calls``, run first so that a malformed file never reaches scikit-allel's parser);
    problems are ValueErrors."""
    import allel  # noqa: PLC0415 - scikit-allel is only needed for real data

    if not os.path.exists(path):
        raise FileNotFoundError(f"no VCF at {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a folder, not a VCF file")
    scan = scan_calls(path, samples)
    fields = ["samples", *extra_fields, "variants/REF", "variants/ALT", "calldata/GT"]
    try:
        if scan.byte_order_mark:  # scikit-allel would call the first line not a header: read past the mark
            with (gzip.open if path.endswith((".gz", ".bgz")) else open)(path, "rb") as handle:
                handle.read(len(BYTE_ORDER_MARK))
                callset = allel.read_vcf(handle, fields=fields, alt_number=2)
        else:
            callset = allel.read_vcf(path, fields=fields, alt_number=2)
    except Exception as error:  # scikit-allel raises many kinds on malformed input
        raise ValueError(f"cannot read VCF {path!r}: {error}") from None
    if callset is None:
        raise ValueError(f"VCF {path!r} holds no variants")
    absent = [name for name in fields if name not in callset]
    if absent:
        raise ValueError(f"VCF {path!r} has no {', '.join(absent)}: is its '#CHROM ... FORMAT sample' header line "
                         "or the GT field missing?")
    return callset, scan


def _site_classes(ref: numpy.ndarray, alt: numpy.ndarray) -> dict[str, numpy.ndarray]:  # .snp: biallelic SNPs
    """Boolean masks (sites,) of the records that are not biallelic SNPs, by why: ``spanning_deletion`` (ALT '*',
    an allele deleted upstream, as ``bcftools norm -m-`` writes them), ``alt_same_as_ref`` and ``no_alt`` (ALT '.'
    or empty: a monomorphic record), ``other`` (multiallelic, indels, symbolic alleles); and ``snp``: one
    single-character REF and one different single-character ALT (a base, or tskit's 0/1 binary alleles)."""
    first, second = numpy.array([a[0] for a in alt], dtype=object), numpy.array([a[1] for a in alt], dtype=object)
    ref = numpy.array([str(r).upper() for r in ref], dtype=object)
    first_upper = numpy.array([str(a).upper() for a in first], dtype=object)
    single = second == ""
    classes = {"spanning_deletion": (first == "*") | (second == "*"),
               "no_alt": numpy.isin(first, [".", ""])}
    classes["alt_same_as_ref"] = single & (first_upper == ref) & ~classes["no_alt"]
    # one character each, as bases (A, C, G, T, N) or as the 0/1 alleles tskit writes for msprime's binary model
    bases = numpy.array([len(r) == 1 and r not in ("*", ".") for r in ref]) & \
        numpy.array([len(a) == 1 and a not in ("*", ".") for a in first_upper])
    classes["snp"] = single & bases & (first_upper != ref)
    classes["other"] = ~(classes["snp"] | classes["spanning_deletion"] | classes["no_alt"]
                         | classes["alt_same_as_ref"])
    return classes


def _first_seen_rank(chromosomes: numpy.ndarray) -> numpy.ndarray:
    """Each site's chromosome as its rank of first appearance (chromosomes keep the file's order)."""
    ranks = {name: rank for rank, name in enumerate(dict.fromkeys(chromosomes.tolist()))}
    return numpy.array([ranks[name] for name in chromosomes.tolist()], dtype=numpy.int64)


def missing_rates(path: str, population_map: dict[str, str], populations: list[str]) -> dict[str, float]:
    """The fraction of missing genotype calls of each population's samples over the VCF's biallelic SNPs."""
    callset, _ = _read_callset(path, [], set(population_map))
    samples = list(callset["samples"])
    snp = _site_classes(callset["variants/REF"], callset["variants/ALT"])["snp"]
    rates = {}
    for population in populations:
        members = [samples.index(s) for s, p in population_map.items() if p == population and s in samples]
        if not members:
            raise ValueError(f"no sample of population {population!r} from the population map is in {path!r}")
        calls = callset["calldata/GT"][snp][:, members, :]
        rates[population] = float((calls < 0).any(axis=2).mean())
    return rates


def windows(data: VcfData, window_length: float, min_snps: int = 10,
            step: float | None = None) -> list[tuple[str, int, int, numpy.ndarray]]:
    """(chromosome, first position, last position, site indices) of each window with >= min_snps sites.

    Windows of ``window_length`` bp start at position 1 and then every
    ``step`` bp (default: ``window_length``, so they tile the chromosome:
    1..L, L+1..2L, ...; a smaller step gives overlapping windows), up to the
    chromosome's last kept site.
    """
    length = int(window_length)
    step = length if step is None else int(step)
    if length < 1 or step < 1:
        raise ValueError(f"windows: the window length and step must be at least 1 bp, got {window_length} and {step}")
    result = []
    for chromosome in dict.fromkeys(data.chromosomes.tolist()):
        on_chromosome = numpy.flatnonzero(data.chromosomes == chromosome)
        positions = data.positions[on_chromosome]
        for start in range(1, int(positions.max()) + 1, step):
            sites = on_chromosome[(positions >= start) & (positions < start + length)]
            if sites.size >= min_snps:
                result.append((str(chromosome), start, start + length - 1, sites))
    return result


def write_vcf(path: str, haplotypes: numpy.ndarray, positions: numpy.ndarray, sample_names: list[str],
              ploidy: int = 2, contig: str = "1") -> None:
    """A minimal phased VCF 4.2 of biallelic SNPs (REF A, ALT T): haplotypes (samples * ploidy, sites), 1 = ALT.

    Sample i owns haplotype rows ``i * ploidy`` to ``i * ploidy + ploidy - 1``;
    ``positions`` are 1-based integers, strictly increasing.
    """
    positions = numpy.asarray(positions, dtype=numpy.int64)
    if haplotypes.shape != (len(sample_names) * ploidy, positions.size):
        raise ValueError(f"write_vcf: haplotypes of shape {haplotypes.shape} do not match {len(sample_names)} samples "
                         f"of ploidy {ploidy} and {positions.size} positions")
    if positions.size and (positions[0] < 1 or numpy.any(numpy.diff(positions) <= 0)):
        raise ValueError("write_vcf: positions must be 1-based and strictly increasing")
    calls = haplotypes.T.reshape(positions.size, len(sample_names), ploidy).astype(str)
    with open(path, "w") as handle:
        handle.write("##fileformat=VCFv4.2\n")
        length = int(positions[-1]) if positions.size else 1
        handle.write(f"##contig=<ID={contig},length={length}>\n")
        handle.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(sample_names) + "\n")
        for position, site in zip(positions, calls):
            genotypes = "\t".join("|".join(call) for call in site)
            handle.write(f"{contig}\t{position}\t.\tA\tT\t.\tPASS\t.\tGT\t{genotypes}\n")
