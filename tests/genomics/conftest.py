"""Fixtures shared by the genomics tests."""

import contextlib
import io

import pytest

from genomics.cli.main import main


@pytest.fixture(scope="session")
def full_demo(tmp_path_factory):
    """The full default ``genomics demo`` (minutes), run once per session for every slow test that reads it:
    (its output folder, what it printed)."""
    folder = tmp_path_factory.mktemp("full_demo") / "demo"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(folder)]) == 0
    return folder, printed.getvalue()
