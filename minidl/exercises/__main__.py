"""python -m minidl.exercises list | show N | start N FILE | check N FILE | status [FOLDER] | run EXPERIMENT [--plot FILE.png]"""

from __future__ import annotations

import argparse
import os
import sys

from minidl import exercises


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minidl.exercises", description=exercises.__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the exercises, easiest first")
    show = commands.add_parser("show", help="an exercise's task and equations")
    show.add_argument("number", type=int)
    start = commands.add_parser("start", help="copy an exercise's scaffold to FILE")
    start.add_argument("number", type=int)
    start.add_argument("file")
    check = commands.add_parser("check", help="check FILE against an exercise")
    check.add_argument("number", type=int)
    check.add_argument("file")
    status = commands.add_parser("status", help="which exercises the files of FOLDER (default: here) pass")
    status.add_argument("folder", nargs="?", default=".")
    run = commands.add_parser("run", help="an experiment: vanishing, optimizers or overfitting")
    run.add_argument("experiment", choices=["vanishing", "optimizers", "overfitting"])
    run.add_argument("--plot", help="also draw the figures to this PNG (needs matplotlib)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "list":
            for number in exercises.EXERCISES:
                print(f"{number:3d}  {exercises.exercise(number).TITLE}")
        elif arguments.command == "show":
            module = exercises.exercise(arguments.number)
            print(module.__doc__)
            print(f"scaffold: {exercises.scaffold_path(arguments.number)}")
        elif arguments.command == "start":
            path = exercises.start(arguments.number, arguments.file)
            print(f"wrote {path}: fill it in, then: python -m minidl.exercises check {arguments.number} {path}")
        elif arguments.command == "check":
            report = exercises.check(arguments.number, arguments.file)
            print(report)
            return 0 if report.passed else 1
        elif arguments.command == "status":
            rows = exercises.status(arguments.folder)
            for number, title, path, passed in rows:
                state = "not started" if path is None else ("passed" if passed else "not yet")
                print(f"{number:3d}  {state:11s}  {title}" + (f"  ({os.path.basename(path)})" if path else ""))
            done = sum(1 for row in rows if row[3])
            print(f"{done} of {len(rows)} exercises pass")
        else:
            from minidl.exercises.experiments import EXPERIMENTS  # noqa: PLC0415 - only for run

            EXPERIMENTS[arguments.experiment](plot=arguments.plot)
    except (ValueError, FileNotFoundError, FileExistsError, SyntaxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
