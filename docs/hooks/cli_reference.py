"""MkDocs hook: the command-line reference, generated from the ``genomics`` argument parser at build time.

A page that holds the line ``<!-- genomics-cli-reference -->`` gets, in its place, the ``--help`` text of
``genomics`` and of every subcommand (nested ones too), each under its own heading, so that the reference
cannot drift from the code. The parser is looked up rather than named, since the CLI may be reorganised: in
``genomics.cli.main``, then in every other module of ``genomics.cli``, the first function defined there and
called with no argument (``parser``, ``build_parser``, ``make_parser``, ``create_parser``, ``get_parser``,
``argument_parser``, then any other name with "parser" in it), or module-level parser, that gives an
``argparse.ArgumentParser``. Help is formatted 100 columns wide, without colour, whatever the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
from contextlib import contextmanager

MARKER = "<!-- genomics-cli-reference -->"
PARSER_FUNCTIONS = ("parser", "build_parser", "make_parser", "create_parser", "get_parser", "argument_parser")
WIDTH = "100"


def _modules():
    """``genomics.cli.main`` first, then the other modules of ``genomics.cli``."""
    package = importlib.import_module("genomics.cli")
    names = ["genomics.cli.main"] + sorted(
        f"genomics.cli.{info.name}" for info in pkgutil.iter_modules(package.__path__) if info.name != "main")
    for name in names:
        try:
            yield importlib.import_module(name)
        except ImportError:
            continue


def _candidates(module):
    """The module's likely parser builders: the usual names first, then any other name with 'parser' in it."""
    usual = [name for name in PARSER_FUNCTIONS if hasattr(module, name)]
    others = sorted(name for name in vars(module) if "parser" in name.lower() and name not in usual)
    return [getattr(module, name) for name in usual + others]


def find_parser() -> argparse.ArgumentParser:
    """The ``genomics`` command's parser, from whichever ``genomics.cli`` function builds it (or holds it)."""
    for module in _modules():
        for candidate in _candidates(module):
            if isinstance(candidate, argparse.ArgumentParser):
                built = candidate
            elif callable(candidate) and not isinstance(candidate, type) \
                    and getattr(candidate, "__module__", None) == module.__name__:
                try:
                    built = candidate()
                except TypeError:  # it needs arguments: not the builder we look for
                    continue
            else:
                continue
            if isinstance(built, argparse.ArgumentParser):
                return built
    raise LookupError("no function of genomics.cli (tried " + ", ".join(PARSER_FUNCTIONS)
                      + " and other names with 'parser' in them) returns an argparse.ArgumentParser: "
                        "the CLI reference cannot be generated")


def _subcommands(parser: argparse.ArgumentParser):
    """(name, parser) of each subcommand, in the order they were added."""
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, child in action.choices.items():
                if id(child) not in seen:  # aliases share one parser
                    seen.add(id(child))
                    yield name, child


@contextmanager
def _plain_terminal():
    saved = {key: os.environ.get(key) for key in ("COLUMNS", "NO_COLOR", "PYTHON_COLORS")}
    os.environ.update(COLUMNS=WIDTH, NO_COLOR="1", PYTHON_COLORS="0")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def reference_markdown(parser: argparse.ArgumentParser | None = None) -> str:
    """Markdown: a heading and a text block of ``--help`` for the command and each subcommand, depth first."""
    parser = parser or find_parser()
    sections = []

    def visit(command: argparse.ArgumentParser, words: list[str], depth: int) -> None:
        with _plain_terminal():
            text = command.format_help().rstrip()
        heading = "#" * min(depth + 2, 6)
        sections.append(f"{heading} `{' '.join(words)}`\n\n```text\n{text}\n```\n")
        for name, child in _subcommands(command):
            visit(child, words + [name], depth + 1)

    visit(parser, ["genomics"], 0)
    return "\n".join(sections)


def on_page_markdown(markdown: str, page, config, files) -> str:  # MkDocs' hook
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, reference_markdown())
