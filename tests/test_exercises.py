"""Every exercise's checker: the answer key passes on every draw, scaffolds fail, planted mistakes are caught."""

import importlib
import pathlib

import pytest

from minidl import exercises
from minidl.exercises import __main__ as cli
from minidl.exercises import experiments

ANSWERS = pathlib.Path(__file__).parent / "exercise_answers"
MUTATIONS = sorted((pathlib.Path(__file__).parent / "exercise_mutations").glob("m*.py"))


def answer_path(number: int) -> pathlib.Path:
    return ANSWERS / f"e{number:02d}.py"


def task(number: int) -> object:
    """``number`` as a test parameter marked ``taskN``: ``pytest -m task5`` runs exercise 5's checks alone."""
    return pytest.param(number, marks=getattr(pytest.mark, f"task{number}"), id=str(number))


TASKS = [task(number) for number in sorted(exercises.EXERCISES)]
CAPSTONES = {21}  # they train a network: one draw each


def needs_data(number: int) -> None:
    if number == 21 and exercises.exercise(21).data_folder() is None:
        pytest.skip("the MNIST test split is not at ../shared/data/mnist (nor in MINIDL_MNIST)")


def mutation_exercise(path: pathlib.Path) -> int:
    return int(path.stem.split("_")[1][1:])  # m012_e02_slug.py -> 2


@pytest.mark.parametrize("number", TASKS)
def test_the_answer_key_passes_on_fresh_draws(number):
    needs_data(number)
    for _ in range(1 if number in CAPSTONES else 3):  # the cases are drawn anew at each check
        report = exercises.check(number, str(answer_path(number)))
        assert report.passed, str(report)


@pytest.mark.parametrize("number", TASKS)
def test_the_untouched_scaffold_fails_saying_what_is_not_written(number):
    needs_data(number)
    report = exercises.check(number, exercises.scaffold_path(number))
    assert not report.passed
    assert "not written yet" in str(report), str(report)


@pytest.mark.parametrize("number", [number for number in TASKS if number.values[0] not in CAPSTONES])
def test_minidl_own_implementation_is_refused(number):
    report = exercises.check(number, exercises.exercise(number).reference())
    assert not report.passed
    assert any("your own code" in finding.what or "itself" in finding.what for finding in report.failures()), \
        str(report)


def test_there_are_at_least_100_planted_mistakes():
    assert len(MUTATIONS) >= 100
    assert {importlib.import_module(f"tests.exercise_mutations.{path.stem}").EXERCISE for path in MUTATIONS} == \
        set(exercises.EXERCISES)


@pytest.mark.parametrize("path", [pytest.param(path, marks=getattr(pytest.mark, f"task{mutation_exercise(path)}"),
                                               id=path.stem) for path in MUTATIONS])
def test_a_planted_mistake_is_caught_where_it_is(path, tmp_path):
    mutation = importlib.import_module(f"tests.exercise_mutations.{path.stem}")
    assert mutation.EXERCISE == mutation_exercise(path)
    needs_data(mutation.EXERCISE)
    source = answer_path(mutation.EXERCISE).read_text()
    for old, new in mutation.CHANGES:
        assert source.count(old) == 1, f"{path.name}: the answer does not hold {old!r} exactly once"
        source = source.replace(old, new)
    assert mutation.CHANGES or mutation.APPEND
    solution = tmp_path / f"{path.stem}.py"
    solution.write_text(source + mutation.APPEND)
    report = exercises.check(mutation.EXERCISE, str(solution))
    assert not report.passed, f"{path.name} ({mutation.__doc__}) passed:\n{report}"
    failures = report.failures()
    assert any(mutation.EXPECT in finding.what or mutation.EXPECT in finding.detail for finding in failures), \
        f"{path.name}: no failed finding says {mutation.EXPECT!r}:\n{report}"
    assert not any("the checker could use" in finding.what for finding in failures), str(report)


def test_the_command_line_lists_starts_and_checks(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "Adam, with the bias corrections" in capsys.readouterr().out
    path = str(tmp_path / "mine.py")
    assert cli.main(["start", "7", path]) == 0
    assert cli.main(["start", "7", path]) == 2  # never over an existing file
    assert cli.main(["check", "7", path]) == 1
    assert "not written yet" in capsys.readouterr().out
    with open(path, "w") as handle:
        handle.write("def sgd_step(w, g, velocity, lr, momentum, nesterov):\n"
                     "    velocity = momentum * velocity - lr * g\n"
                     "    return (w + momentum * velocity - lr * g if nesterov else w + velocity), velocity\n")
    assert cli.main(["check", "7", path]) == 0
    assert "exercise 7: SGD with momentum and Nesterov momentum: passed" in capsys.readouterr().out
    with open(path, "w") as handle:
        handle.write("def sgd_step(w, g, velocity, lr, momentum, nesterov):\n    return w - lr * g[0, 99], velocity\n")
    assert cli.main(["check", "7", path]) == 1
    printed = capsys.readouterr().out
    assert "IndexError" in printed and "mine.py:2" in printed  # the student's error, at their line
    assert cli.main(["show", "9"]) == 0
    assert "bias corrections" in capsys.readouterr().out
    assert cli.main(["check", "99", path]) == 2


def test_status_reports_each_exercise_of_a_folder(tmp_path, capsys):
    assert cli.main(["start", "7", str(tmp_path / "momentum.py")]) == 0
    (tmp_path / "adam.py").write_text('"""Exercise 9: Adam, my answer."""\n' + answer_path(9).read_text())
    (tmp_path / "notes.py").write_text("print('not an exercise')\n")
    capsys.readouterr()
    assert cli.main(["status", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    lines = {int(line.split()[0]): line for line in printed.splitlines() if line.strip()[:1].isdigit()
             and "exercises pass" not in line}
    assert "not yet" in lines[7] and "momentum.py" in lines[7]
    assert "passed" in lines[9] and "adam.py" in lines[9]
    assert "not started" in lines[1]
    assert f"1 of {len(exercises.EXERCISES)} exercises pass" in printed


def test_the_experiments_show_what_the_lessons_say(capsys):
    table = experiments.vanishing()
    assert table["sigmoid"][0] / table["sigmoid"][-1] < 1e-6  # the first of 20 sigmoid layers gets almost nothing
    assert all(table[cure][0] / table[cure][-1] > 1e-2 for cure in ("relu", "batchnorm", "residual"))
    losses = experiments.optimizers_compared(steps=100)["losses"]
    assert losses["momentum"][-1] < 0.01 * losses["SGD"][-1]  # momentum runs down the valley, SGD crawls
    results = experiments.overfitting(epochs=60)
    plain = results["plain"]
    assert plain["train_accuracy"] > 0.99  # 300 digits are learnt by heart
    assert plain["held_out_crossentropy"] > 1.15 * plain["best_held_out_crossentropy"]  # and then overfitted
    for name in ("L2 (0.001)", "dropout (0.2 in, 0.5 hidden)"):
        assert results[name]["held_out_crossentropy"] < plain["held_out_crossentropy"]
        assert results[name]["held_out_accuracy"] >= plain["held_out_accuracy"]
    assert "held-out cross-entropy" in capsys.readouterr().out
