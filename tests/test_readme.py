"""The README: short, its two commands the ones CI runs, its links alive, and no figure typed into it.

The README says what the project is, how to set it up, the main job and the test command, and where to go
next; everything else is in the documentation site (``docs/``, checked by ``tests/test_docs.py``, which runs
the pages' code blocks).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text()
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", TEXT, flags=re.DOTALL)


def _ci_command(label: str) -> str:
    """The command line that follows ``# README, "<label>":`` in ``.ci/run``."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f'# README, "{label}"'):
            return lines[number + 1].strip()
    raise AssertionError(f".ci/run has no '# README, \"{label}\":' line")


def _slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) and GitHub give a heading: lower case, punctuation dropped."""
    heading = re.sub(r"[`*_]", "", heading.strip().lower())
    heading = re.sub(r"[^\w\s-]", "", heading)
    return re.sub(r"[\s]+", "-", heading).strip("-")


def test_readme_is_short():
    assert len(TEXT.splitlines()) <= 150


def test_the_set_up_command_is_the_one_ci_runs_and_installs_the_docs_extra():
    set_up = _ci_command("Set up")
    assert any(set_up in block for block in BASH_BLOCKS), f"README has no block with {set_up!r}"
    assert re.search(r"\[[^]]*\bdocs\b[^]]*\]", set_up), "the set-up must install the docs extra (CI builds the site)"


def test_the_test_command_is_the_one_ci_runs():
    command = _ci_command("Test")
    assert any(block.strip() == command for block in BASH_BLOCKS), f"README has no block of exactly {command!r}"


def test_the_main_job_is_a_genomics_command_that_parses():
    from genomics.cli.main import main  # noqa: F401  (the console script's entry point exists)
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        parser = importlib.import_module("cli_reference").find_parser()
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    jobs = [block.strip() for block in BASH_BLOCKS if block.strip().startswith("genomics ")]
    assert jobs == ["genomics demo"]
    arguments = parser.parse_args(jobs[0].split()[1:])
    assert arguments.command == "demo" and callable(arguments.run)


def test_every_relative_link_of_the_readme_leads_to_a_file_and_heading():
    links = re.findall(r"\]\(([^)]+)\)", TEXT)
    assert len(links) >= 10
    for link in links:
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = ROOT / path
        assert target.is_file(), f"README links to {link!r}: no such file"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(), flags=re.MULTILINE)
            assert anchor in {_slug(h) for h in headings}, f"README links to {link!r}: no such heading"


def test_the_readme_quotes_no_measured_figure():
    """Figures (accuracies, log-losses, seconds) live on the results pages beside their commands; the README
    may name versions and settings only."""
    decimals = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", TEXT)
    assert decimals == ["3.10"], f"decimal figures in the README: {decimals}"


def test_the_package_docstring_example_runs_as_shown():
    import doctest

    import minidl

    assert doctest.testmod(minidl).failed == 0
