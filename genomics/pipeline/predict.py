"""Prediction on observed data: windows of a VCF, or data sets of any reader, and their CSV table."""

from __future__ import annotations

from typing import Callable

import numpy

from genomics.observed import vcf
from genomics.encoding.encoder import SPECTRA
from genomics.learning.evaluation import RAW
from genomics.genotypes import Genotypes
from genomics.observed.readers import random_subset
from genomics.bundle import Bundle
from genomics.pipeline.encode import BATCH_SIZE, encode_genotypes
from genomics.pipeline.outputs import model_outputs, summarise
from genomics.errors import SettingError, braces_doubled


def predict_vcf(bundle: str, vcf_path: str, popmap_path: str, window: float | None = None, min_snps: int = 10,
                seed: int = 0, max_missing: float | None = None, ref_is_ancestral: bool = False,
                step: float | None = None, check: Callable[[Genotypes], dict] | None = None) -> dict:
    """``predict_vcf_windows`` with the bundle read from its file."""
    return predict_vcf_windows(Bundle.load(bundle), vcf_path, popmap_path, window, min_snps, seed, max_missing,
                               ref_is_ancestral, step, check)


def predict_vcf_windows(bundle: Bundle, vcf_path: str, popmap_path: str, window: float | None = None,
                        min_snps: int = 10, seed: int = 0, max_missing: float | None = None,
                        ref_is_ancestral: bool = False, step: float | None = None,
                        check: Callable[[Genotypes], dict] | None = None) -> dict:
    """The bundle's output for every window of a VCF (calibrated probabilities when the bundle has a temperature).

    Returns the scenario names, the name of the output (``output``), one
    row per window (chromosome, start, end, SNPs in the window, SNPs used,
    the image's padded fraction, the missing fraction of its calls, the
    values) and their ``summarise``. ``seed`` picks the haplotypes when the
    VCF has more than the design; ``step`` < ``window`` overlaps windows.
    ``check``: called with each window's genotypes (one locus); what it
    returns is the row's ``adequacy``.
    """
    design, encoder = bundle.design, bundle.encoder
    check_polarisation(bundle, ref_is_ancestral)
    if window is None:
        if not design.contiguous:
            raise SettingError("the model was trained on a design of loci, not windows of one sequence: read the data "
                               "as loci (a 0/1 matrix, ms output or alignments), or give a {window}")
        if not isinstance(design.sequence_length, (int, float)):
            raise SettingError("the training design's sequence length was drawn from a prior: give a {window}")
        window = float(design.sequence_length)
    if max_missing is None:  # a model trained with missing data reads them; one trained without, complete sites
        max_missing = 1.0 if design.missing is not None else 0.0
    data = vcf.read_vcf(vcf_path, vcf.read_population_map(popmap_path), design, seed=seed, max_missing=max_missing)
    rows, images = [], []
    for chromosome, start, end, sites in vcf.windows(data, window, min_snps, step):
        image, real = encoder.encode(data.haplotypes[:, sites], data.positions[sites] - start, window,
                                     data.haplotype_populations)
        images.append(image)
        rows.append({"chromosome": chromosome, "start": start, "end": end, "snps": int(sites.size),
                     "snps_used": int(real), "padded_fraction": encoder.padded_fraction(real),
                     "missing_fraction": float((data.haplotypes[:, sites] < 0).mean())})
        if check is not None:
            rows[-1]["adequacy"] = check(Genotypes(
                data.haplotypes[:, sites], data.positions[sites] - start, numpy.array([sites.size]),
                data.haplotype_populations, list(design.populations), ploidy=design.ploidy,
                locus_lengths=numpy.array([window]), provenance={"file": vcf_path},
                report={"window": f"{chromosome}:{start}-{end}"}))
    if not rows:
        raise ValueError(f"no window of {window:g} bp in {vcf_path!r} holds {min_snps} or more usable SNPs "
                         f"({data.report['sites_kept']} sites kept of {data.report['sites_in_vcf']})")
    values, output, extras = model_outputs(bundle, numpy.stack(images))
    for row, value, extra in zip(rows, values, extras):
        row.update(values=value.tolist(), **extra)
    return {"scenario_names": bundle.scenario_names, "columns": bundle.columns, "output": output,
            "windows": rows,
            "summary": summarise(values), "report": data.report, "window_length": window,
            "step": step or window, "haplotype_seed": seed}


def check_vcf_polarisation(bundle: str, ref_is_ancestral: bool) -> None:
    """``check_polarisation`` of a bundle file (its weights are not read)."""
    check_polarisation(Bundle.load(bundle, weights=False), ref_is_ancestral)


def check_polarisation(bundle: Bundle, ref_is_ancestral: bool) -> None:
    """One sentence when the bundle reads derived alleles and a VCF's ALT is not known to be one."""
    if bundle.encoder.polarisation == "ancestral" and not ref_is_ancestral:
        raise SettingError("the model was trained with ancestral polarisation (1 = derived allele), but a VCF's ALT "
                           "is not known to be derived: retrain with {polarisation} major_minor, or give "
                           "{ref_is_ancestral} if these data were polarised so that REF is the ancestral allele")


def predict_genotypes(bundle: str, data_sets: list, labels: list[str] | None = None, subsets: int = 0,
                      seed: int = 0, check: Callable[[Genotypes], dict] | None = None,
                      batch_size: int = BATCH_SIZE) -> dict:
    """``predict_data_sets`` with the bundle read from its file."""
    return predict_data_sets(Bundle.load(bundle), data_sets, labels, subsets, seed, check, batch_size)


def predict_data_sets(bundle: Bundle, data_sets: list, labels: list[str] | None = None, subsets: int = 0,
                      seed: int = 0, check: Callable[[Genotypes], dict] | None = None,
                      batch_size: int = BATCH_SIZE) -> dict:
    """The bundle's output for observed data sets (``readers.Genotypes``), each encoded as the training data were.

    Returns the scenario names, the name of the output (``output``:
    calibrated probabilities when the bundle has a temperature, else the raw
    softmax), one entry per data set (label, sites, missing fraction and its
    values) and ``rows`` (one per data set, or per subset) for a table. With
    ``subsets`` = K, each data set is predicted on K random subsets of its
    sites of the size the model takes (seeded by ``seed``): its entry then
    gives the ``summarise`` of its subsets and ``values`` is their median.
    ``check``: called with each data set; what it returns is its entry's ``adequacy``. Subsets are drawn,
    encoded and predicted ``batch_size`` at a time (the same draws, in the same order): memory holds one batch
    of images, whatever K.
    """
    encoder, design = bundle.encoder, bundle.design
    if subsets and encoder.layout in SPECTRA:
        raise SettingError(f"{braces_doubled(bundle.name)} reads the frequency spectrum of all of a data set's "
                           "sites: subsets of the sites ({subsets}) do not apply to it")
    generator = numpy.random.default_rng(seed)

    for index, data in enumerate(data_sets):  # before any prediction: the networks saw variable sites only
        calls = data.haplotypes
        if not ((calls == 0).any(axis=0) & (calls == 1).any(axis=0)).any():
            raise ValueError(f"{labels[index] if labels else f'data set {index + 1}'} "
                             f"({data.report.get('source', 'observed data')}) has no segregating site "
                             f"({calls.shape[1]} sites, each with one allele): there is nothing to predict from")
    entries, rows, output = [], [], RAW
    for index, data in enumerate(data_sets):
        label = labels[index] if labels else f"data set {index + 1}"
        entry = {"data_set": label, "sites": int(data.haplotypes.shape[1]),
                 "missing_fraction": data.missing_fraction, "report": data.report}
        if check is not None:
            entry["adequacy"] = check(data)
        values, extras = [], []
        for first in range(0, max(subsets, 1), batch_size):  # one batch of subsets' images in memory at a time
            parts = [random_subset(data, design, encoder.n_snps, generator)
                     for _ in range(first, min(first + batch_size, subsets))] if subsets else [data]
            pictures = [encode_genotypes(encoder, part) for part in parts]
            batch_values, output, batch_extras = model_outputs(bundle, numpy.stack([image for image, _ in pictures]))
            for number, (part, (_, real), value, extra) in enumerate(zip(parts, pictures, batch_values, batch_extras),
                                                                     start=first + 1):
                rows.append({"data_set": label, "subset": number if subsets else "", "snps_used": int(real),
                             "padded_fraction": encoder.padded_fraction(real),
                             "missing_fraction": part.missing_fraction, "values": value.tolist(), **extra})
            values.append(batch_values)
            extras.extend(batch_extras)
        values = numpy.concatenate(values)
        if subsets:
            entry.update(summarise(values), subsets=subsets, subset_seed=seed, values=numpy.median(values, axis=0).tolist())
        else:
            entry.update(values=values[0].tolist(), **extras[0])
        entries.append(entry)
    return {"scenario_names": bundle.scenario_names, "columns": bundle.columns, "output": output,
            "data_sets": entries, "rows": rows,
            "summary": summarise([entry["values"] for entry in entries])}


PREDICTION_COLUMNS = ("data_set", "chromosome", "start", "end", "subset", "snps_used", "padded_fraction",
                      "missing_fraction")


def write_prediction_table(result: dict, path: str) -> None:
    """One CSV row per window or subset: where it is, what went in, and a column per scenario (by name).

    The scenario columns hold ``result["output"]`` (calibrated probabilities
    or raw softmax values), which the ``output`` column names on every row.
    """
    import csv  # noqa: PLC0415

    rows = result.get("windows") or result["rows"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        bounds = sorted(key for key in rows[0] if key.startswith(("low_", "high_")))
        writer.writerow([*PREDICTION_COLUMNS, "output", *result["columns"],
                         *(f"{name}_{bound}" for bound in bounds for name in result["columns"])])
        for row in rows:
            cells = [row.get(column, "") for column in PREDICTION_COLUMNS]
            cells = [f"{cell:.6g}" if isinstance(cell, float) else cell for cell in cells]
            writer.writerow([*cells, result["output"], *(f"{value:.6g}" for value in row["values"]),
                             *(f"{value:.6g}" for bound in bounds for value in row[bound])])
