"""Graded exercises: write a forward, a backward or an update rule, and let a checker say where it is wrong.

    python -m minidl.exercises list                    # the exercises, easiest first
    python -m minidl.exercises start 5 mine.py         # copy exercise 5's scaffold to mine.py
    python -m minidl.exercises check 5 mine.py         # check it: values, gradcheck, trajectories
    python -m minidl.exercises status [FOLDER]         # which exercises of FOLDER's files pass
    python -m minidl.exercises run vanishing           # an experiment (vanishing, optimizers, overfitting)

Each exercise is a module of this package: its docstring states the task
and the equations; ``scaffolds/`` holds the file a student fills in; its
``check(solution)`` compares the student's code with minidl's own
implementation of the same thing (``reference()`` names it: nothing is
hidden, but a solution that uses it is refused) and returns a ``Report``
that says which check failed, and by how much: the gradcheck report (which
input, which element), or the first optimizer step that differs. The cases
are drawn afresh at every check, with edge probes (exact zeros at kinks,
float32 in and out, arguments left unchanged): see ``checks``. Exercises 21
on are capstones whose checker measures what the student's network reaches.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from types import ModuleType

from minidl.exercises.checks import Report, stop_watching

#: exercise number -> module name, in the curriculum's order
EXERCISES = {
    1: "e01_perceptron",
    2: "e02_activations",
    3: "e03_elu_leaky_maxout",
    4: "e04_losses",
    5: "e05_backprop_mlp",
    6: "e06_dense",
    7: "e07_sgd_momentum",
    8: "e08_rmsprop",
    9: "e09_adam",
    10: "e10_regularization_dropout",
    11: "e11_convolution_pooling",
    12: "e12_batch_norm",
    13: "e13_vanishing_gradients",
    14: "e14_a_layer",
    15: "e15_softmax_crossentropy",
    16: "e16_conv2d_im2col",
    17: "e17_max_pool2d",
    18: "e18_initialisation",
    19: "e19_gradient_clipping",
    20: "e20_early_stopping",
    21: "e21_capstone_mnist",
}

SCAFFOLDS = os.path.join(os.path.dirname(__file__), "scaffolds")


def exercise(number: int) -> ModuleType:
    """The module of exercise ``number`` (its docstring is the task)."""
    if number not in EXERCISES:
        raise ValueError(f"there is no exercise {number}; they are numbered 1 to {max(EXERCISES)}")
    return importlib.import_module(f"minidl.exercises.{EXERCISES[number]}")


def scaffold_path(number: int) -> str:
    exercise(number)
    return os.path.join(SCAFFOLDS, f"{EXERCISES[number]}.py")


def start(number: int, destination: str) -> str:
    """Copy exercise ``number``'s scaffold to ``destination`` (never over an existing file); return its path."""
    if os.path.exists(destination):
        raise FileExistsError(f"{destination} exists already: choose another name, or check it with "
                              f"python -m minidl.exercises check {number} {destination}")
    shutil.copyfile(scaffold_path(number), destination)
    return destination


def load_solution(path: str) -> ModuleType:
    """A student's file as a module (it runs: it is their own code)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no file at {path!r}")
    name = f"solution_{abs(hash(os.path.abspath(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def check(number: int, solution: object) -> Report:
    """Check ``solution`` (a module, a path to one, or any object with the exercise's names) against exercise ``number``."""
    module = exercise(number)
    if isinstance(solution, str):
        solution = load_solution(solution)
    missing = [name for name in module.NAMES if not hasattr(solution, name)]
    if missing:
        report = Report(f"exercise {number}: {module.TITLE}")
        report.add("the solution defines " + ", ".join(module.NAMES), False,
                   f"missing: {', '.join(missing)} (start from python -m minidl.exercises start {number} FILE)")
        return report
    try:
        return module.check(solution)
    except Exception as error:  # noqa: BLE001 - what a solution returned broke a check: a finding, not a crash
        report = Report(f"exercise {number}: {module.TITLE}")
        report.add("the checker could use what your code returned", False,
                   f"{type(error).__name__}: {error} (check the types and shapes your functions return)")
        return report
    finally:
        stop_watching()


def exercise_of(path: str) -> int | None:
    """The exercise a file was started from: its first line reads ``\"\"\"Exercise N: ...`` (as every scaffold's)."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    words = first.strip().lstrip('"').split(":")[0].split()
    if len(words) == 2 and words[0] == "Exercise" and words[1].isdigit() and int(words[1]) in EXERCISES:
        return int(words[1])
    return None


def status(folder: str = ".") -> list[tuple[int, str, str | None, bool | None]]:
    """(number, title, file, passed) for every exercise: the files of ``folder`` started from a scaffold, checked.

    ``file`` and ``passed`` are None for an exercise with no file there; where
    several files hold one exercise, a passing one is reported.
    """
    found: dict[int, list[str]] = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        number = exercise_of(path) if name.endswith(".py") and os.path.isfile(path) else None
        if number is not None:
            found.setdefault(number, []).append(path)
    rows = []
    for number in EXERCISES:
        title, best = exercise(number).TITLE, (None, None)
        for path in found.get(number, []):
            try:
                passed = check(number, path).passed
            except Exception:  # noqa: BLE001 - a file that does not even import has not passed
                passed = False
            if best[1] is not True:
                best = (path, passed)
        rows.append((number, title, *best))
    return rows


__all__ = ["EXERCISES", "Report", "check", "exercise", "exercise_of", "load_solution", "scaffold_path", "start",
           "status"]
