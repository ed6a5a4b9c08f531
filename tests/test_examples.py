"""The examples run as documented and reach the accuracy recorded in benchmarks/RESULTS.md."""

import os
import runpy
from pathlib import Path

import pytest

from tests.conftest import MNIST_DIR

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(not os.path.isdir(MNIST_DIR), reason="the real MNIST split is not beside the repository")
def test_the_seeds_mnist_mlp_reaches_95_percent_on_held_out_digits(tmp_path, capsys):
    example = runpy.run_path(str(EXAMPLES / "mnist_mlp.py"))
    result = example["main"](data=MNIST_DIR, epochs=20, out=str(tmp_path), seed=0)
    assert result["test_accuracy"] > 0.95
    printed = capsys.readouterr().out
    assert "Total params: 79,510" in printed and "test accuracy" in printed
