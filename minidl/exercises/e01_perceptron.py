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

from minidl.exercises.checks import Report, attempt, same_values, unchanged, uses_minidl

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
    uses_minidl(report, solution, NAMES)
    rng = report.rng
    for case in range(2):
        d, n = int(rng.integers(2, 4) if case == 0 else rng.integers(4, 7)), int(rng.integers(20, 36) if case == 0 else rng.integers(40, 61))
        x, w = rng.normal(size=(n, d)), rng.normal(size=d)
        b = float(-numpy.median(x @ w)) + 1e-3  # the boundary splits the points: both predictions occur
        before = [x.copy(), w.copy()]
        predicted = attempt(report, f"predict(w, b, x) runs on x of shape {x.shape}", solution.predict, w, b, x)
        if predicted is not None:
            same_values(report, f"predict gives step(x . w + b) for {n} points of {d} features", predicted,
                        _predict(w, b, x), atol=0)
            unchanged(report, "predict leaves w and x as they were", before, [x, w])
        predictions = _predict(w, b, x)
        for y, wrong in ((0, True), (1, True), (int(rng.integers(2)), False)):  # two mistakes, one right answer
            lr = float(rng.choice([0.05, 0.1, 0.3] if case == 0 else [0.5, 2.0]))
            point = x[int(rng.choice(numpy.flatnonzero((predictions != y) == wrong)))].copy()
            before = [w.copy(), point.copy()]
            got = attempt(report, f"update (y={y}, lr={lr}) runs", solution.update, w, b, point, y, lr)
            if got is not None:
                expected = _update(before[0], b, before[1], y, lr)
                same_values(report, f"update (y={y}, lr={lr}, {d} features): new w", got[0], expected[0])
                same_values(report, f"update (y={y}, lr={lr}, {d} features): new b", got[1], expected[1])
                unchanged(report, "update leaves the caller's w and x as they were", before, [w, point])
    # on the boundary, x . w + b is exactly 0: the prediction is 0 (the rule is "> 0"), and y = 1 is a mistake
    w = rng.integers(-3, 4, size=3).astype(float)
    point = rng.integers(-3, 4, size=3).astype(float)
    b = -float(point @ w)
    predicted = attempt(report, "predict runs on a point exactly on the boundary", solution.predict, w, b,
                        point[None])
    if predicted is not None:
        same_values(report, "a point exactly on the boundary (x . w + b = 0) is predicted 0", predicted, [0], atol=0)
    got = attempt(report, "update runs on a point exactly on the boundary", solution.update, w.copy(), b,
                  point.copy(), 1, 1.0)
    if got is not None:
        same_values(report, "update with y = 1 on the boundary moves w (the prediction there is 0)", got[0],
                    _update(w, b, point, 1, 1.0)[0])
    if report.passed:  # the rule learns: separable data, no mistake left after a few epochs (fixed data: the
        points = numpy.random.default_rng(0).normal(size=(100, 2))  # margin of random data may need more epochs)
        labels = (points @ numpy.array([2.0, -1.0]) + 0.5 > 0).astype(int)
        w, b = numpy.zeros(2), 0.0
        for _ in range(50):
            for point, label in zip(points, labels):
                w, b = solution.update(w, b, point, label, 1.0)
        mistakes = int((numpy.asarray(solution.predict(w, b, points)) != labels).sum())
        report.add("training on 100 separable points ends without a mistake", mistakes == 0,
                   f"{mistakes} points still misclassified after 50 epochs" if mistakes else "")
    return report
