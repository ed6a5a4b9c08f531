"""The documentation site builds strictly, and its code blocks run as written.

Conventions of the pages in ``docs/`` (the README states none of its own: it points here):

- a block fenced ```` ```python ```` runs, in a fresh namespace and an empty temporary folder, unless the
  line just above its fence is ``<!-- skip: REASON -->`` (a GPU, a cluster: the reason must be said);
- a block fenced ```` ```bash ```` is shown only, unless the line above its fence is ``<!-- run -->``: then
  it runs with ``bash -e`` in an empty temporary folder, with this interpreter's ``python`` first on the
  PATH and this checkout first on ``PYTHONPATH`` (so ``python -m genomics`` is this checkout's);
- a block fenced ```` ```toml ```` whose first line is ``name = ...`` is a whole scenario file: it is loaded
  with genomics' scenario loader (which also simulates a tiny genealogy of a few draws); other TOML blocks
  are fragments (a ``[design]`` alone) and are shown only;
- every runnable block takes seconds; anything longer is shown, not run.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", flags=re.DOTALL | re.MULTILINE)
MARKER = re.compile(r"<!--\s*(run|skip:(.*?))\s*-->\s*$")


def _blocks():
    """(page, line, language, code, marker line) of every fenced block of every page."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            found.append((page.relative_to(ROOT).as_posix(), line, match.group(1), match.group(2), before))
    return found


BLOCKS = _blocks()
PYTHON = [b for b in BLOCKS if b[2] == "python"]
BASH_RUN = [b for b in BLOCKS if b[2] == "bash" and MARKER.search(b[4]) and MARKER.search(b[4]).group(1) == "run"]


def _id(block):
    return f"{block[0]}:{block[1]}"


def _skip_reason(block):
    marker = MARKER.search(block[4])
    if marker and marker.group(1).startswith("skip:"):
        return marker.group(2).strip()
    return None


def test_the_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: a broken link or anchor, a missing include or page, or a failing hook
    (the command-line reference generated from the parser) fails the build."""
    if os.environ.get("CI"):
        import material, mkdocs  # noqa: F401,E401 - the set-up installs the docs extra: absent under CI is a failure
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("material", reason="the docs extra is not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                             str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    cli_page = (site / "cli" / "index.html").read_text()
    for command in ("genomics demo", "genomics simulate", "genomics train", "genomics predict"):
        assert command in cli_page, f"the generated CLI reference lacks {command!r}"
    assert "genomics-cli-reference" not in cli_page, "the hook left its marker in place"


def test_the_cli_reference_covers_every_subcommand_of_the_parser():
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        import cli_reference
    finally:
        sys.path.remove(str(DOCS / "hooks"))
    parser = cli_reference.find_parser()
    text = cli_reference.reference_markdown(parser)
    names = [name for name, _ in cli_reference._subcommands(parser)]
    assert len(names) >= 5
    for name in names:
        assert f"`genomics {name}`" in text
        assert f"usage: genomics {name}" in text


def test_the_pages_have_runnable_examples():
    assert len(PYTHON) >= 5 and len(BASH_RUN) >= 1 and len(SCENARIOS) >= 1


def test_python_blocks_are_fenced_as_python():
    """Python fenced otherwise would be neither run nor marked as skipped: the convention needs ```python."""
    others = [_id(b) for b in BLOCKS if b[2] in ("py", "python3", "pycon")]
    assert others == [], f"fence Python as ```python (with <!-- skip: REASON --> above if it cannot run): {others}"


@pytest.mark.parametrize("block", PYTHON, ids=_id)
def test_python_block_runs(block, tmp_path, monkeypatch):
    reason = _skip_reason(block)
    if reason is not None:
        assert reason, f"{_id(block)}: a skipped block must say why (<!-- skip: REASON -->)"
        pytest.skip(f"{_id(block)}: {reason}")
    monkeypatch.chdir(tmp_path)
    exec(compile(block[3], _id(block), "exec"), {"__name__": "__docs__"})


SCENARIOS = [b for b in BLOCKS if b[2] == "toml" and b[3].startswith("name =")]


@pytest.mark.parametrize("block", SCENARIOS, ids=_id)
def test_scenario_file_block_loads(block, tmp_path):
    from genomics.scenario.scenario import load_toml

    path = tmp_path / "scenario.toml"
    path.write_text(block[3])
    scenarios = load_toml(str(path))
    name = re.match(r'name = "([^"]+)"', block[3]).group(1)
    assert [scenario.name for scenario in scenarios] == [name]


@pytest.mark.parametrize("block", BASH_RUN, ids=_id)
def test_bash_block_marked_runnable_runs(block, tmp_path):
    python_dir = str(tmp_path / "bin")
    os.makedirs(python_dir)
    wrapper = os.path.join(python_dir, "python")  # this interpreter (its venv too) as the block's python
    with open(wrapper, "w") as handle:
        handle.write(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    os.chmod(wrapper, 0o755)
    env = {**os.environ, "PATH": python_dir + os.pathsep + os.environ.get("PATH", ""),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(["bash", "-e", "-c", block[3]], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"{_id(block)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
