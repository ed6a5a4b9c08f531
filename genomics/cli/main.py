"""The ``genomics`` command: simulate, train, evaluate, predict, calibrate, compare, check, abc, demo.

    genomics demo                                   # the whole workflow on built-in scenarios, in one folder
    genomics simulate three_populations --replicates 1000 --out sims
    genomics train sims --out run
    genomics evaluate run/model.npz other_sims
    genomics predict run/model.npz data.vcf.gz --popmap populations.txt
    genomics compare sims run/model.npz             # the CNN beside ABC on the same held-out replicates
    genomics check sims --matrix data.txt           # is any scenario adequate for the data?
    genomics abc sims --matrix data.txt             # ABC posteriors and Bayes factors
    genomics scenario from-ms "ms 20 1 -t {theta} -I 2 10 10 -ej {T} 2 1" --priors "theta=uniform(1,15),T=uniform(0,2)"

``main`` parses (``genomics.cli.parser``), runs the command (``genomics.cli.commands``) and turns what went
wrong into one line and an exit status; results are printed by ``genomics.cli.report``.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import sys

from genomics import interrupts
from genomics.cli.parser import every_option, option_names, parser
from genomics.errors import SettingError
from genomics.learning import checkpoint
from genomics.simulation.run import shards_in


def _what_was_kept(arguments: argparse.Namespace, before: tuple | None, nothing: str = "") -> str:
    """What an interrupted or failed command left in its output folder, as the end of a sentence (``nothing``
    when a training wrote no model); ``before``: the model file's ``checkpoint.bundle_stamp`` when it started."""
    if arguments.command == "train":
        kept = checkpoint.describe_kept(arguments.out, before) if os.path.isdir(arguments.out) else None
        return "; " + kept if kept else nothing
    if arguments.command == "simulate" and os.path.isdir(arguments.out):
        return f"; {len(shards_in(arguments.out))} shards kept in {arguments.out}; rerun the same command to resume"
    return ""


def in_flags(error: SettingError, flags: dict[str, str]) -> str:
    """A ``SettingError``'s sentence with each parameter it names written as the command's flag
    (``fresh_masks`` -> ``--fresh-masks``); parameters no flag is given for stay as they are. ``main`` gives
    the running command's flags, and for a parameter it has no flag for, another command's ("predict's
    --window" in a hint for ``abc``)."""
    return error.sentence(flags)


def main(argv: list[str] | None = None) -> int:
    """Run one command; SIGINT and SIGTERM end it with one line saying what was kept, and no process it started
    outlives it (``genomics.interrupts``). The exit status: 0 done, 2 bad input, 1 a full disk, 128 + the
    signal's number when stopped by one (130 Ctrl-C, 143 SIGTERM)."""
    command_line = parser()
    arguments = command_line.parse_args(argv)
    out = getattr(arguments, "out", None)
    started = checkpoint.bundle_stamp(out) if arguments.command == "train" and isinstance(out, str) else None
    already_running = set(interrupts.descendants())
    handlers = interrupts.raise_on_signals()
    name = f"genomics {arguments.command}"
    try:
        arguments.run(arguments)
    except KeyboardInterrupt as error:
        signum = interrupts.signal_of(error)
        print(f"{name}: stopped by {signal.Signals(signum).name}"
              f"{_what_was_kept(arguments, started, '; no epoch had finished: no model was kept')}", file=sys.stderr)
        return 128 + signum
    except SettingError as error:
        leaf = getattr(arguments, "scenario_command", None) or arguments.command  # from-ms's "command" is the ms one
        print(f"{name}: error: {in_flags(error, {**every_option(command_line), **option_names(command_line, leaf)})}"
              f"{_what_was_kept(arguments, started) if arguments.command == 'train' else ''}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as error:
        print(f"{name}: error: {error}"
              f"{_what_was_kept(arguments, started) if arguments.command == 'train' else ''}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        if isinstance(error, interrupts.NoSpaceLeft):  # its sentence says what was kept
            print(f"{name}: error: {error}", file=sys.stderr)
            return 1
        where = f" while writing {error.filename}" if error.filename else ""
        print(f"{name}: error: {error.strerror or 'no space left on device'}{where}"
              f"{_what_was_kept(arguments, started)}", file=sys.stderr)
        return 1
    finally:
        interrupts.end_descendants(already_running)
        interrupts.restore_handlers(handlers)
    return 0
