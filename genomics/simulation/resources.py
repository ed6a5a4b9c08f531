"""Memory and disk a piece of work needs, estimated before it starts; what cannot fit is refused in one sentence.

``simulate`` plans every shard of the folder before the first one runs:
a plan, a manifest entry and a submitted task per shard (about
``BYTES_PER_SHARD`` bytes, measured with tracemalloc on the built-in
scenarios, rounded up) and a seed per replicate (``BYTES_PER_SEED``, a
Python int in a list). On disk a replicate takes at least its fixed
arrays (seed, mask seed, sequence length, site offset: 8 bytes each;
a float64 per parameter; two int64 per locus copy) and, where the design
fixes the sites of its loci, a float64 position per site and one bit per
call (the 0/1 calls cannot be compressed below their entropy of at most one
bit; in practice they take more).

``train`` holds every image of the replicates taking part:
replicates x rows x n_snps x channels float32 values (4 bytes each),
twice over while ``encode_many`` stacks its list of images
(``IMAGE_COPIES``). Rows are the haplotypes (layout ``haplotypes``) or the
populations (``population_frequencies``); a frequency spectrum has
prod(n_i + 1) cells (``joint_sfs``), or (max n + 1)^2 per pair of
populations (``pairwise_sfs``), n_i the haplotypes of population i (or
``sfs_haplotypes``, when smaller).

Available memory is Linux's MemAvailable (``/proc/meminfo``), or the free
physical pages (``os.sysconf``) elsewhere; free disk is
``shutil.disk_usage`` of the output folder (or its nearest existing parent).
"""

from __future__ import annotations

import math
import os
import shutil
from typing import Any

from genomics.errors import SettingError, braces_doubled
from genomics.scenario.design import SamplingDesign
from genomics.encoding.encoder import Encoder

BYTES_PER_SHARD = 1500
BYTES_PER_SEED = 40
IMAGE_COPIES = 2
FLOAT32 = 4


def available_memory() -> int | None:
    """Bytes of memory that new work may take without swapping (None where the system does not say)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def free_disk(folder: str) -> int:
    """Bytes free on the file system that holds ``folder`` (or would hold it, once created)."""
    place = os.path.abspath(folder)
    while not os.path.exists(place) and place != os.path.dirname(place):
        place = os.path.dirname(place)
    return shutil.disk_usage(place).free


def readable(size: float) -> str:
    """Bytes as a short text: 512 B, 3.2 MB, 12.0 GB, 1.1e+06 TB."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB" if size < 1e5 else f"{size:.1e} TB"


def simulation_plan_bytes(scenarios: int, replicates: int, shard_size: int) -> int:
    """Memory that planning and submitting every shard of a folder takes (see the module docstring)."""
    shards = scenarios * math.ceil(replicates / shard_size)
    return shards * BYTES_PER_SHARD + scenarios * replicates * BYTES_PER_SEED


def replicate_disk_bytes(design: SamplingDesign, parameters: int) -> int:
    """The fewest bytes one replicate of ``design`` takes in a shard (see the module docstring)."""
    copies = sum(locus.count for locus in design.loci)
    size = 8 * 4 + 8 * parameters + 16 * copies
    sites = design.segregating_sites
    if sites is not None:
        size += sum(sites) * (8 + sum(design.haplotypes_per_population) / 8)
    return int(size)


def check_simulation(scenarios: list[Any], replicates: int, shard_size: int, out_dir: str,
                     shards_done: int = 0) -> None:
    """Refuse, in one sentence naming ``replicates``, a simulation whose plan cannot fit in memory or whose
    shards cannot fit on the disk of ``out_dir`` (``shards_done`` of them are there already)."""
    memory, available = simulation_plan_bytes(len(scenarios), replicates, shard_size), available_memory()
    shards = len(scenarios) * math.ceil(replicates / shard_size)
    if available is not None and memory > available:
        raise SettingError(f"{{replicates}} {replicates} plans {shards} shards of {{shard_size}} {shard_size}, whose "
                           f"bookkeeping alone needs about {readable(memory)} of memory, but {readable(available)} "
                           "is available: give fewer {replicates} or a larger {shard_size}")
    per_replicate = max(replicate_disk_bytes(scenario.design, len(scenario.priors)) for scenario in scenarios)
    disk = per_replicate * len(scenarios) * replicates * max(0, shards - shards_done) / shards
    free = free_disk(out_dir)
    if disk > free:
        raise SettingError(f"{{replicates}} {replicates} of {len(scenarios)} scenarios need at least "
                           f"{readable(disk)} on disk in {braces_doubled(repr(out_dir))}, which has {readable(free)} "
                           "free: give fewer {replicates} or another {out}")


def image_values(encoder: Encoder, design: SamplingDesign) -> tuple[tuple[int, ...], int]:
    """(the shape of one encoded image, its number of float32 values) for ``encoder`` on ``design``."""
    sizes = design.haplotypes_per_population
    if encoder.layout in ("joint_sfs", "pairwise_sfs"):
        cells = [min(encoder.sfs_haplotypes, n) + 1 if encoder.sfs_haplotypes else n + 1 for n in sizes]
        if encoder.layout == "joint_sfs":
            return tuple(cells), math.prod(cells)
        shape = (max(cells), max(cells), len(cells) * (len(cells) - 1) // 2)
        return shape, math.prod(shape)
    rows = sum(sizes) if encoder.layout == "haplotypes" else len(sizes)
    shape = (rows, encoder.n_snps, encoder.channels)
    return shape, math.prod(shape)


def check_images(encoder: Encoder, design: SamplingDesign, replicates: int, held: str,
                 remedy: str = "use a smaller {n_snps}, fewer replicates ({replicates_per_scenario}) or {stream}"
                 ) -> None:
    """Refuse, in one sentence naming ``n_snps``, ``replicates`` images that cannot fit in the memory
    available; ``held`` says which replicates they are, ``remedy`` what to do (for the sentence)."""
    shape, values = image_values(encoder, design)
    needed, available = IMAGE_COPIES * FLOAT32 * values * replicates, available_memory()
    if available is not None and needed > available:
        raise SettingError(f"{{n_snps}} {encoder.n_snps} makes each image {' x '.join(map(str, shape))} float32 "
                           f"values ({readable(FLOAT32 * values)}): {braces_doubled(held)} ({replicates}) need about "
                           f"{readable(needed)} of memory, but {readable(available)} is available; {remedy}")
