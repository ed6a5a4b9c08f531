"""Exercise 1: the perceptron and its learning rule (Rosenblatt 1958).

A perceptron predicts a class in {0, 1} from a feature vector x:

    y_hat = 1 if x . w + b > 0 else 0

and learns from one example (x, y) at a time:

    w <- w + lr (y - y_hat) x
    b <- b + lr (y - y_hat)

Nothing changes when the prediction is right; a wrong one moves the
boundary towards the example. On linearly separable data it stops making
mistakes after finitely many updates (Novikoff 1962).

Write ``predict(w, b, x)`` (x of shape (n, d): n predictions) and
``update(w, b, x, y, lr)`` (one example; return the new w and b).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy

from minidl.exercises.checks import Report, attempt, same_values

TITLE = "the perceptron and its learning rule"
NAMES = ("predict", "update")


def _predict(w: numpy.ndarray, b: float, x: numpy.ndarray) -> numpy.ndarray:
    return (x @ w + b > 0).astype(int)


def _update(w: numpy.ndarray, b: float, x: numpy.ndarray, y: int, lr: float) -> tuple:
    error = y - _predict(w, b, x[None])[0]
    return w + lr * error * x, b + lr * error


def reference() -> SimpleNamespace:
    """The solution (minidl has no perceptron: it is here, in the open)."""
    return SimpleNamespace(predict=_predict, update=_update)


def check(solution: object) -> Report:
    report = Report(f"exercise 1: {TITLE}")
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    w, b = rng.normal(size=3), 0.3
    predicted = attempt(report, "predict(w, b, x) runs", solution.predict, w, b, x)
    if predicted is not None:
        same_values(report, "predict gives step(x . w + b) for 50 points", predicted, _predict(w, b, x), atol=0)
    for case, (y, lr) in enumerate([(1, 0.5), (0, 0.1), (int(_predict(w, b, x[:1])[0]), 1.0)]):
        got = attempt(report, f"update, case {case + 1}, runs", solution.update, w.copy(), b, x[0].copy(), y, lr)
        if got is not None:
            expected = _update(w, b, x[0], y, lr)
            same_values(report, f"update, case {case + 1} (y={y}, lr={lr}): new w", got[0], expected[0])
            same_values(report, f"update, case {case + 1} (y={y}, lr={lr}): new b", got[1], expected[1])
    if report.passed:  # the rule learns: separable data, no mistake left after a few epochs
        points = rng.normal(size=(100, 2))
        labels = (points @ numpy.array([2.0, -1.0]) + 0.5 > 0).astype(int)
        w, b = numpy.zeros(2), 0.0
        for _ in range(50):
            for point, label in zip(points, labels):
                w, b = solution.update(w, b, point, label, 1.0)
        mistakes = int((solution.predict(w, b, points) != labels).sum())
        report.add("training on 100 separable points ends without a mistake", mistakes == 0,
                   f"{mistakes} points still misclassified after 50 epochs" if mistakes else "")
    return report
