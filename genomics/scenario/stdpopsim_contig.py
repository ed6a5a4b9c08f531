"""The design of a stdpopsim scenario from the catalogue's contig: its length, mean rates and ploidy.

A ``[stdpopsim]`` scenario (``genomics.scenario.stdpopsim_models``) is simulated on

- one contiguous sequence, the contig: a chromosome (``contig = "22"``, optionally cut to
  [``left``, ``right``) and with a ``genetic_map``) or a generic contig of ``length`` bases; the design gives
  populations and samples, and ``sequence_length``, ``recombination_rate`` (the mean rate over the contig) and
  ``mutation_rate`` (the model's, else the species') are filled in unless it gives them; or
- unlinked loci, each a generic contig (``length`` only, no chromosome)::

      [[design.loci]]
      name = "contig"
      count = 20          # 20 independent 100 kb contigs per replicate: a whole data set of 20 windows

  every locus gets the contig's length and rates unless it gives its own (a locus with ``segregating_sites``
  keeps its fixed count of SNPs and gets no mutation rate).

``ploidy`` is the species'. Positions start at 0 (``left``). A genetic map simulates the map's rates over
[left, right) (the design shows their mean); the map must be in stdpopsim's cache (it is downloaded by
stdpopsim, never here).
"""

from __future__ import annotations

import functools
from typing import Any

import msprime
import numpy

from genomics.scenario.expressions import ScenarioError, is_number
from genomics.scenario.stdpopsim_models import STDPOPSIM_KEYS, catalogue_model, import_stdpopsim, model_key

__all__ = ["catalogue_recombination", "with_catalogue_design"]

GENOME_KEYS = ("sequence_length", "recombination_rate", "mutation_rate")


def with_catalogue_design(spec: dict, where: str) -> dict:
    """``spec`` with its design's (or each locus's) sequence length and rates taken from the contig where it gives
    none, and the species' ploidy.

    Idempotent: a design that gives them (as a stored manifest's spec does) is kept, so workers rebuild the same
    scenario.
    """
    table = spec.get("stdpopsim")
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: [stdpopsim] must be a table with species, model and a contig or a length")
    unknown = set(table) - STDPOPSIM_KEYS
    missing = {"species", "model"} - set(table)
    if unknown or missing:
        raise ScenarioError(f"{where}: [stdpopsim] has unknown keys {sorted(unknown)} and misses {sorted(missing)};"
                            f" its keys: {', '.join(sorted(STDPOPSIM_KEYS))}")
    if "genetic_map" in table and "contig" not in table:
        raise ScenarioError(f"{where}: stdpopsim.genetic_map needs a chromosome (contig = \"...\"), not a length")
    if ("contig" in table) == ("length" in table):
        raise ScenarioError(f"{where}: [stdpopsim] needs either contig (a chromosome id) or length (bases), "
                            f"not {'both' if 'contig' in table else 'neither'}")
    if "length" in table and ("left" in table or "right" in table):
        raise ScenarioError(f"{where}: stdpopsim.left and right cut a chromosome (contig); leave them out with length")
    if {"demes", "demes_graph", "events"} & set(spec) or spec.get("units", "generations") != "generations":
        raise ScenarioError(f"{where}: a [stdpopsim] scenario takes its demography from the catalogue; leave out "
                            "demes, events, demes_yaml and units")
    design = spec["design"]
    if not isinstance(design, dict):
        raise ScenarioError(f"{where}: [design] must be a table with populations and samples")
    loci = design.get("loci")
    if loci is not None:
        if "length" not in table:
            raise ScenarioError(f"{where}: the loci of a [stdpopsim] scenario are unlinked generic contigs: give "
                                "stdpopsim.length (bases), not a chromosome (contig), or leave out design.loci")
        if not isinstance(loci, list) or not loci or not all(isinstance(locus, dict) for locus in loci):
            raise ScenarioError(f"{where}: design.loci must be a non-empty list of loci tables, got {loci!r}")
        if "ploidy" in design and all(_has_genome(locus) for locus in loci):
            return spec
    elif {*GENOME_KEYS, "ploidy"} <= set(design):
        return spec
    species_id, model_id = model_key(spec)
    model = catalogue_model(species_id, model_id)
    species = import_stdpopsim().get_species(species_id)
    if "genetic_map" in table:
        _cached_genetic_map(species, table["genetic_map"], where)
    for key in ("length", "left", "right"):
        if key in table and (not is_number(table[key]) or table[key] < 0):
            raise ScenarioError(f"{where}: stdpopsim.{key} must be a number of bases >= 0, got {table[key]!r}")
    try:
        if "length" in table:
            contig = species.get_contig(length=float(table["length"]))
        else:
            contig = species.get_contig(str(table["contig"]), genetic_map=table.get("genetic_map"),
                                        left=table.get("left"), right=table.get("right"))
    except ValueError as error:
        chromosomes = ", ".join(c.id for c in species.genome.chromosomes)
        raise ScenarioError(f"{where}: stdpopsim cannot make the contig {table.get('contig', table.get('length'))!r}"
                            f" of {species_id} ({error}); its chromosomes: {chromosomes}") from None
    left, right = (float(x) for x in (contig.coordinates[1:] if hasattr(contig, "coordinates") else
                                      (0, contig.length)))
    rates = contig.recombination_map.slice(left=left, right=right, trim=True)
    filled = {"sequence_length": right - left, "recombination_rate": float(rates.mean_rate),
              "mutation_rate": float(model.mutation_rate or contig.mutation_rate)}
    if loci is None:
        spec["design"] = {**filled, "ploidy": int(species.ploidy), **design}
    else:
        spec["design"] = {"ploidy": int(species.ploidy), **design, "loci": [
            {**{key: value for key, value in filled.items()
                if not (key == "mutation_rate" and "segregating_sites" in locus)}, **locus} for locus in loci]}
    return spec


def _has_genome(locus: dict) -> bool:
    """A locus table that gives its length and rates (as a stored manifest's spec does)."""
    return "sequence_length" in locus and "recombination_rate" in locus and \
        ("mutation_rate" in locus or "segregating_sites" in locus)


def _cached_genetic_map(species: Any, map_id: Any, where: str) -> Any:
    """The species' genetic map ``map_id``, which must already be in stdpopsim's cache (no download here)."""
    maps = {genetic_map.id: genetic_map for genetic_map in species.genetic_maps}
    if map_id not in maps:
        raise ScenarioError(f"{where}: {species.id} has no genetic map {map_id!r}; its maps: "
                            f"{', '.join(maps) or 'none'}")
    if not maps[map_id].is_cached():
        raise ScenarioError(f"{where}: the genetic map {map_id!r} is not in stdpopsim's cache "
                            f"({maps[map_id].map_cache_dir}); download it once with python -c \"import stdpopsim; "
                            f"stdpopsim.get_species('{species.id}').get_genetic_map('{map_id}').download()\"")
    return maps[map_id]


@functools.lru_cache(maxsize=8)
def _recombination_map(species_id: str, chromosome: str, map_id: str, left: Any, right: Any) -> msprime.RateMap:
    species = import_stdpopsim().get_species(species_id)
    contig = species.get_contig(chromosome, genetic_map=map_id, left=left, right=right)
    _, start, end = contig.coordinates
    rates = contig.recombination_map.slice(left=start, right=end, trim=True)
    return msprime.RateMap(position=rates.position, rate=numpy.nan_to_num(rates.rate, nan=0.0))


def catalogue_recombination(spec: dict, recombination_rate: float) -> Any:
    """The recombination of a [stdpopsim] scenario's contig: the genetic map over [left, right) as an
    ``msprime.RateMap`` (positions from 0; the map's unknown stretches recombine at rate 0, as in stdpopsim's
    flanks), or ``recombination_rate`` (the design's) without a map."""
    table = spec["stdpopsim"]
    if "genetic_map" not in table:
        return recombination_rate
    return _recombination_map(str(table["species"]), str(table["contig"]), str(table["genetic_map"]),
                              table.get("left"), table.get("right"))


