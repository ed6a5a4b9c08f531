"""Option groups the commands share, and the translation of their values into library objects.

Settings dataclasses (``TrainingConfig``, ``Encoder``, ``AbcSettings``, ``DemoSettings``) hold their defaults,
choices and help texts; ``add_dataclass_options`` turns each field into one option. ``OPTION_OF`` maps a
library parameter name to the flag that sets it, so that errors naming parameters can name flags.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import MISSING, fields
from typing import Any

from genomics import pipeline
from genomics.observed import readers
from genomics.observed.files import ObservedFiles
from genomics.simulation import cluster as clusters


def integer_at_least(low: int, expected: str) -> Any:
    """An argparse type: an integer >= ``low``; anything else is an error naming the option."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def share_below(high: float) -> Any:
    """An argparse type: a number in [0, ``high``); anything else is an error naming the option."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 <= value < high:
            raise argparse.ArgumentTypeError(f"expected a share in [0, {high:g}), got {text!r}")
        return value

    return parse


positive_int = integer_at_least(1, "a positive integer")
seed = integer_at_least(0, "an integer >= 0")


def option_name(parameter: str) -> str:
    """The flag of a library parameter: ``fresh_masks`` -> ``--fresh-masks``."""
    return "--" + parameter.replace("_", "-")


class DeprecatedName(argparse.Action):
    """An option that also answers to an older name: the older name works, with a one-line note on stderr."""

    def __init__(self, option_strings: list[str], dest: str, old: str = "--seed", **kwargs: Any) -> None:
        self.old = old
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        if option_string == self.old:
            print(f"note: {self.old} is a deprecated name of {self.option_strings[0]}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_seed(parser: Any, option: str, dest: str, default: int, text: str, old: str | None = None) -> None:
    """A seed option; ``old``: an older name kept as a deprecated alias (``--seed``)."""
    names = [option] + ([old] if old else [])
    extra = {"action": DeprecatedName, "old": old} if old else {}
    parser.add_argument(*names, dest=dest, type=seed, default=default, metavar="SEED",
                        help=f"{text} (default {default})" + (f"; {old} is its deprecated name" if old else ""),
                        **extra)


def add_dataclass_options(parser: argparse.ArgumentParser, title: str, settings: type, from_design: bool = False,
                          leave_out: tuple[str, ...] = ()) -> Any:
    """One option per field of a settings dataclass (but ``leave_out``), with its default, choices and help.

    ``from_design``: options left out are None, so that the default comes from the data's design
    (``Encoder.for_design``) rather than the field. A field whose default is None says so in its own help.
    Returns the option group, for options that belong beside them.
    """
    group = parser.add_argument_group(title)
    for setting in fields(settings):
        if setting.name in leave_out:
            continue
        default = None if from_design else setting.default
        shown = ("" if setting.default is None or setting.default is MISSING else f" (default {setting.default}"
                 + (", or the design's)" if from_design else ")"))
        text = setting.metadata["help"]
        option = option_name(setting.name)
        if setting.type in (bool, "bool"):  # a switch: --x turns it on, --no-x off
            state = f" (default {'on' if setting.default else 'off'}" + (", or the design's)" if from_design else ")")
            group.add_argument(option, dest=setting.name, action="store_const", const=True, default=default,
                               help=f"{text}{state}")
            group.add_argument("--no-" + option[2:], dest=setting.name, action="store_const", const=False,
                               help=f"turn {option} off")
            continue
        kind = {"float": float, "int": int, "str": str}.get(setting.type, type(setting.default))  # annotations are text
        if "at_least" in setting.metadata:  # an integer with a lower bound: refused by argparse, naming the option
            low = setting.metadata["at_least"]
            kind = integer_at_least(low, "a positive integer" if low == 1 else f"an integer >= {low}")
        group.add_argument(option, type=kind, default=default, choices=setting.metadata.get("choices"),
                           help=f"{text}{shown}")
    return group


def settings_of(settings: type, arguments: argparse.Namespace, **extra: Any) -> Any:
    """The settings dataclass of the options (``extra`` for the fields the command sets otherwise)."""
    given = {setting.name: getattr(arguments, setting.name) for setting in fields(settings)
             if hasattr(arguments, setting.name)}
    return settings(**{**given, **extra})


def given(settings: type, arguments: argparse.Namespace) -> dict:
    """The options of a settings dataclass that the command line gave (not None)."""
    values = {setting.name: getattr(arguments, setting.name) for setting in fields(settings)}
    return {name: value for name, value in values.items() if value is not None}


def add_cluster_options(parser: argparse.ArgumentParser, workers_help: str | None) -> None:
    """--workers (local processes, where the command has a pool), --scheduler and --dask-local."""
    group = parser.add_argument_group("where the work runs (genomics.simulation.cluster)")
    if workers_help:
        group.add_argument("--workers", type=positive_int, default=None, help=workers_help)
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the tasks on the Dask cluster with this scheduler (pip install -e \".[cluster]\")")
    group.add_argument("--dask-local", type=positive_int, metavar="N",
                       help="start a local Dask cluster of N worker processes for the tasks")


def cluster(arguments: argparse.Namespace) -> Any:
    """The executor the command line asks for (a context manager; None inside it for no cluster)."""
    return clusters.executor(arguments.scheduler, arguments.dask_local, getattr(arguments, "workers", None))


def add_data_options(parser: argparse.ArgumentParser, vcf_option: bool = True) -> None:
    """The option group that gives observed data and their loci (predict, check, abc and compare share it)."""
    group = parser.add_argument_group("observed data and their loci (exactly one of a VCF, --matrix, --ms, "
                                      "--alignments, --trees)")
    group.add_argument("--vcf", dest="vcf" if vcf_option else "vcf_option",
                       help="VCF or VCF.gz (with --popmap): one locus per contig (or --loci-bed region) under a "
                            "design of loci, windows under a design of one sequence; also a VCF Zarr store (.vcz "
                            "folder or zip; needs the zarr extra)")
    if vcf_option:
        add_seed(group, "--haplotype-seed", "haplotype_seed", 0,
                 "VCF: seed of the individuals used where a population has more than the design")
    group.add_argument("--popmap", help="for a VCF: sample population; for --alignments: sequence population; "
                            "for --trees: individual (tsk_0, tsk_1, ...) population")
    group.add_argument("--loci-bed", metavar="BED", help="VCF: the loci as BED regions (chromosome, 0-based start, "
                                                         "end), instead of one locus per contig")
    group.add_argument("--invariant-loci", type=int, metavar="N",
                       help="VCF of one contig per locus: N loci without variable sites are absent from it "
                            "(default: the design's loci minus the VCF's contigs)")
    group.add_argument("--matrix", help="a 0/1 or -1/+1/0 text matrix (see --coding); it has no positions")
    group.add_argument("--coding", choices=readers.MATRIX_CODINGS, default="auto",
                       help="how --matrix writes calls: 0/1 with N ? - 9 missing, or -1/+1/0 (Perez et al.: -1 "
                            "reference, +1 alternative, 0 missing); auto: -1/+1/0 where a -1 appears (default auto)")
    group.add_argument("--locus-sizes", metavar="3,1,2,...|FILE",
                       help="--matrix: the number of SNPs of each locus in order (comma-separated or a file); "
                            "needed for a design of several loci that do not fix their SNPs")
    group.add_argument("--orientation", choices=readers.ORIENTATIONS, default="haplotypes-by-sites",
                       help="rows of --matrix; auto: the side with the model's haplotype count (default "
                            "haplotypes-by-sites)")
    group.add_argument("--ms", help="ms output: each replicate (or each run of the design's loci) a data set")
    group.add_argument("--alignments", nargs="+", metavar="FILE",
                       help="FASTA, PHYLIP or NEXUS alignments, one per locus in the design's order (with --popmap "
                            "naming sequences)")
    group.add_argument("--trees", nargs="+", metavar="FILE",
                       help="tskit .trees files, read as their VCF would be: one file is one sequence cut into "
                            "windows, or one locus per file under a design of loci; populations from the tree "
                            "sequence, or --popmap naming individuals tsk_0, tsk_1, ... as tskit's write_vcf does")
    group.add_argument("--populations", help="for --matrix/--ms: name:count blocks in the file's row order, e.g. "
                                             "north:10,south:12 (default: the design's populations and sizes)")


def observed_files(arguments: argparse.Namespace) -> ObservedFiles:
    """The observed-data option group's values (``add_data_options``)."""
    return ObservedFiles(vcf=arguments.vcf, popmap=arguments.popmap, matrix=arguments.matrix,
                         orientation=arguments.orientation, populations=arguments.populations, ms=arguments.ms,
                         alignments=arguments.alignments, loci_bed=arguments.loci_bed,
                         invariant_loci=arguments.invariant_loci, locus_sizes=arguments.locus_sizes,
                         seed=arguments.haplotype_seed, max_missing=getattr(arguments, "max_missing", None),
                         trees=arguments.trees, coding=arguments.coding)


def fractions(option: str, text: str) -> list[float]:
    """Comma-separated numbers in (0, 1]; anything else is one sentence naming the option."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or not all(0 < value <= 1 for value in values):
        raise ValueError(f"{option} must be comma-separated fractions in (0, 1], e.g. 0.05,0.1,0.2; got {text!r}")
    return values


def prepare_output_file(path: str | None, option: str = "--out") -> None:
    """Check that ``path``'s folder can be written before any work starts."""
    if path:
        pipeline.prepare_output_folder(os.path.dirname(os.path.abspath(path)))
        if os.path.isdir(path):
            raise ValueError(f"{option} {path!r} is a folder; give a file name")
