"""tskit tree sequences (``.trees`` files) as observed data, read as their VCF (tskit's ``write_vcf``) would be.

One ``.trees`` file is one sequence, as one contig of a VCF:

- under a design of one sequence, the file's sites are one chromosome, cut
  into windows by the caller as a VCF's are (``genomics.observed.files``);
- under a design of loci, each file is one locus (in the order given), as
  long as its ``sequence_length``; loci without sites are added up to the
  design's count (or ``invariant_loci``), as ``genomics.observed.vcf_loci``
  does for a VCF of one contig per locus.

Sites: those with exactly two alleles (the ancestral state and one derived
state, 1 = derived, as the VCF's REF and ALT); sites of more alleles are
dropped and counted. Positions are the tree sequence's own, as given (bp
from the sequence's start; tskit writes them as POS, rounded where they are
continuous), so repeated rounded positions never arise here. Windows begin
at position 1, as a VCF's POS does: sites below 1 (a VCF of them would
need POS 0) lie in no window, and the report counts them.

Samples: the individuals of the sample nodes, named ``tsk_0``, ``tsk_1``...
in the order tskit's ``write_vcf`` names them (a sample node without an
individual is a haploid individual of its own, as there). Their populations
are the tree sequence's (the ``name`` in each population's metadata, else
``pop_<id>``), or a population map of those names (``population_map``).
Ploidy is the number of sample nodes per individual (one value for all, or
refused). Each population gives the design's number of individuals: a
seeded subset of whole individuals where the file has more (as for a VCF of
loci). Isolated sample nodes (tskit's missing data) are missing calls; a
site is kept when at most ``max_missing`` of its calls are missing (default:
all when the design has missing calls, else complete sites only).

The tree sequence's provenance records (software, version, command) are
kept in the data's ``provenance`` beside the file.
"""

from __future__ import annotations

import json
import os

import numpy

from genomics.genotypes import MISSING, Genotypes, GenotypesError
from genomics.observed.vcf_loci import choose_samples
from genomics.scenario.design import SamplingDesign


def load_tree_sequence(path: str):
    """The tree sequence of a ``.trees`` file, or one sentence saying why it cannot be read."""
    import tskit  # noqa: PLC0415 - only needed for .trees input

    if not os.path.isfile(path):
        raise GenotypesError(f"no .trees file at {path!r}")
    try:
        return tskit.load(path)
    except Exception as error:  # tskit raises FileFormatError, KeyError, ... on files that are not tree sequences
        raise GenotypesError(f"{path}: not a tskit tree sequence ({type(error).__name__}: {error})") from None


def population_names(tree_sequence) -> list[str]:
    """The name of each population: its metadata's ``name`` where it has one, else ``pop_<id>``."""
    names = []
    for population in tree_sequence.populations():
        metadata = population.metadata
        if isinstance(metadata, bytes):
            try:
                metadata = json.loads(metadata.decode() or "{}")
            except ValueError:
                metadata = {}
        name = metadata.get("name") if isinstance(metadata, dict) else None
        names.append(str(name) if name else f"pop_{population.id}")
    return names


def sample_individuals(tree_sequence, path: str) -> tuple[list[str], list[list[int]], list[str], int]:
    """(names ``tsk_j``, sample nodes of each, population of each, ploidy) of the sampled individuals.

    The order and names are those of tskit's ``write_vcf``: individuals that
    own sample nodes by id, then each sample node without an individual.
    """
    populations = population_names(tree_sequence)
    nodes_of: dict[int, list[int]] = {}
    alone = []
    for node in tree_sequence.samples():
        individual = tree_sequence.node(node).individual
        if individual == -1:
            alone.append([int(node)])
        else:
            nodes_of.setdefault(int(individual), []).append(int(node))
    groups = [nodes_of[i] for i in sorted(nodes_of)] + alone
    ploidies = sorted({len(nodes) for nodes in groups})
    if len(ploidies) != 1:
        raise GenotypesError(f"{path}: its sampled individuals have {ploidies} sample nodes each; one ploidy for all "
                             "is needed")
    names = [f"tsk_{j}" for j in range(len(groups))]
    of_population = []
    for name, nodes in zip(names, groups):
        found = {int(tree_sequence.node(node).population) for node in nodes}
        if len(found) != 1 or -1 in found:
            raise GenotypesError(f"{path}: individual {name}'s sample nodes lie in populations {sorted(found)}; give "
                                 "a population map")
        of_population.append(populations[found.pop()])
    return names, groups, of_population, ploidies[0]


def tree_sequence_provenance(tree_sequence) -> list[dict]:
    """Software, version, command and timestamp of each provenance record of the tree sequence."""
    records = []
    for provenance in tree_sequence.provenances():
        try:
            record = json.loads(provenance.record)
        except ValueError:
            record = {}
        software = record.get("software", {}) if isinstance(record, dict) else {}
        parameters = record.get("parameters", {}) if isinstance(record, dict) else {}
        records.append({"timestamp": provenance.timestamp, "software": software.get("name"),
                        "version": software.get("version"), "command": parameters.get("command")})
    return records


def read_sequence(path: str, design: SamplingDesign, population_map: dict[str, str] | None = None, seed: int = 0,
                  max_missing: float | None = None) -> Genotypes:
    """One ``.trees`` file as ``Genotypes`` of one locus (the sequence), in the design's population order."""
    if max_missing is None:
        max_missing = 1.0 if design.missing is not None else 0.0
    if not 0 <= max_missing <= 1:
        raise GenotypesError(f"max_missing must be a fraction in [0, 1], got {max_missing!r}")
    tree_sequence = load_tree_sequence(path)
    names, groups, populations, ploidy = sample_individuals(tree_sequence, path)
    populations_from = "the tree sequence" if population_map is None else "the population map"
    if population_map is None:
        population_map = dict(zip(names, populations))
    else:
        absent = [name for name in population_map if name not in names]
        if absent:
            raise GenotypesError(f"{len(absent)} individuals of the population map are not in {path} (which names "
                                 f"its {len(names)} individuals tsk_0 to tsk_{len(names) - 1}, as tskit's write_vcf "
                                 f"does): {absent[:5]}")
    if ploidy != design.ploidy:
        raise GenotypesError(f"{path}: its individuals have {ploidy} sample nodes each (ploidy {ploidy}) but the "
                             f"model's design has ploidy {design.ploidy}")
    chosen = choose_samples(population_map, design, seed)
    nodes, labels = [], []
    for index, population in enumerate(design.populations):
        members = [name for name in names if chosen.get(name) == population]
        nodes += [node for name in members for node in groups[names.index(name)]]
        labels.append(numpy.full(len(members) * ploidy, index))
    columns, positions, dropped_alleles, dropped_missing = [], [], 0, 0
    for variant in tree_sequence.variants(samples=numpy.array(nodes, dtype=numpy.int32), isolated_as_missing=True):
        if len([allele for allele in variant.alleles if allele is not None]) != 2:
            dropped_alleles += 1
            continue
        calls = numpy.where(variant.genotypes < 0, MISSING, variant.genotypes).astype(numpy.int8)
        if (calls == MISSING).mean() > max_missing:
            dropped_missing += 1
            continue
        columns.append(calls)
        positions.append(variant.site.position)
    calls = numpy.array(columns, dtype=numpy.int8).T if columns else numpy.zeros((len(nodes), 0), dtype=numpy.int8)
    report = {"format": ".trees (tskit)", "sites_in_file": int(tree_sequence.num_sites),
              "sites_below_position_1": int((numpy.array(positions) < 1).sum()),
              "dropped_not_biallelic": dropped_alleles, "dropped_missing_calls": dropped_missing,
              "sites_kept": len(columns), "max_missing": max_missing, "missing_calls_kept": int((calls < 0).sum()),
              "call_ploidy": ploidy, "individuals_in_file": len(names),
              "populations_from": populations_from,
              "samples_chosen": {population: [s for s, p in chosen.items() if p == population]
                                 for population in design.populations}, "sample_seed": seed,
              "samples_in_population_map": {population: list(population_map.values()).count(population)
                                            for population in design.populations}}
    return Genotypes(calls, numpy.array(positions, dtype=numpy.float64), numpy.array([len(columns)]),
                     numpy.concatenate(labels), list(design.populations), ploidy=design.ploidy,
                     locus_lengths=numpy.array([tree_sequence.sequence_length]),
                     locus_names=[os.path.basename(path)],
                     provenance={"file": path, "tree_sequence": tree_sequence_provenance(tree_sequence)},
                     report=report)


def read_trees(paths: list[str], design: SamplingDesign, population_map: dict[str, str] | None = None,
               seed: int = 0, max_missing: float | None = None, invariant_loci: int | None = None) -> Genotypes:
    """``.trees`` files as one ``Genotypes``: one file of one sequence, or one locus per file; see the module
    docstring."""
    if not paths:
        raise GenotypesError("give at least one .trees file")
    if design.contiguous and len(paths) != 1:
        raise GenotypesError(f"the model's design is {design.describe_loci()}: give one .trees file (got "
                             f"{len(paths)}), or a model of loci for one file per locus")
    parts = [read_sequence(path, design, population_map, seed, max_missing) for path in paths]
    if len(parts) == 1 and design.contiguous:
        return parts[0]
    added = invariant_loci if invariant_loci is not None else design.locus_count - len(parts)
    if added < 0:
        raise GenotypesError(f"{len(parts)} .trees files (one locus each) but the model's design has "
                             f"{design.describe_loci()}")
    report = {**parts[0].report, "format": ".trees (tskit), one locus per file", "files": len(parts),
              "sites_kept": sum(part.sites for part in parts), "loci_without_sites_added": int(added),
              "invariant_loci_from":
              "--invariant-loci" if invariant_loci is not None else "the design"}
    for key in ("sites_in_file", "dropped_not_biallelic", "dropped_missing_calls", "missing_calls_kept"):
        report[key] = sum(part.report[key] for part in parts)
    data = Genotypes(numpy.concatenate([part.calls for part in parts], axis=1),
                     numpy.concatenate([part.positions for part in parts]),
                     numpy.concatenate([part.site_counts for part in parts]), parts[0].haplotype_populations,
                     list(design.populations), ploidy=design.ploidy,
                     locus_lengths=numpy.concatenate([part.locus_lengths for part in parts]),
                     locus_names=[name for part in parts for name in part.locus_names],
                     provenance={"file": paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more",
                                 "files": list(paths), "tree_sequence": parts[0].provenance["tree_sequence"]},
                     report=report)
    data = data.with_loci_without_sites(added) if added else data
    if data.loci != design.locus_count:
        raise GenotypesError(f"{len(parts)} .trees files and {added} invariant loci make {data.loci} loci but the "
                             f"model's design has {design.describe_loci()}")
    return data
