"""The README's Python examples run as written.

Blocks fenced as ```python run here; those fenced as ```py need a GPU or a SLURM cluster and are shown only.
"""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(block):
    exec(compile(block, str(README), "exec"), {})


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 2


def test_the_package_docstring_example_runs_as_shown():
    import doctest

    import minidl

    assert doctest.testmod(minidl).failed == 0
