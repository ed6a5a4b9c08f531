"""Pictures of training, saved as PNG (matplotlib is an optional extra: pip install minidl[plot])."""

from __future__ import annotations

from typing import Any

import numpy

from minidl.teaching.figures import pyplot as _pyplot


def training_curves(history: Any, path: str) -> str:
    """One panel per quantity (loss, accuracy, ...) with its validation curve; saved to ``path``."""
    pyplot = _pyplot()
    logs = getattr(history, "history", history)
    names = [key for key in logs if not key.startswith("val_")]
    figure, axes = pyplot.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
    for axis, name in zip(axes[0], names):
        epochs = numpy.arange(1, len(logs[name]) + 1)
        axis.plot(epochs, logs[name], marker="o", label="training")
        if f"val_{name}" in logs:
            axis.plot(epochs, logs[f"val_{name}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def confusion_matrix(counts: Any, path: str, class_names: list | None = None, title: str = "Confusion matrix") -> str:
    """A heat map of ``counts[true, predicted]`` with the counts written in the cells."""
    pyplot = _pyplot()
    counts = numpy.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    figure, axis = pyplot.subplots(figsize=(1.2 * len(names) + 2, 1.2 * len(names) + 1.5))
    image = axis.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axis)
    axis.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axis.set_yticks(range(len(names)), names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    threshold = counts.max() / 2 if counts.size else 0
    for (row, column), value in numpy.ndenumerate(counts):
        axis.text(column, row, str(value), ha="center", va="center", color="white" if value > threshold else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def roc_curve(false_positive_rate: Any, true_positive_rate: Any, path: str, label: str | None = None) -> str:
    """The ROC curve against the diagonal of chance, with its area in the legend."""
    from minidl.metrics import auc  # noqa: PLC0415

    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(4.5, 4.5))
    area = auc(false_positive_rate, true_positive_rate)
    axis.plot(false_positive_rate, true_positive_rate, label=f"{label or 'model'} (AUC {area:.3f})")
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axis.set_xlabel("false positive rate")
    axis.set_ylabel("true positive rate")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def reliability_diagram(tables: dict, path: str, title: str = "Reliability diagram") -> str:
    """Accuracy against mean confidence per confidence bin, one curve per set of predictions, beside the diagonal.

    ``tables``: name -> {"confidence", "accuracy", "counts"} arrays per bin
    (empty bins are NaN and skipped). A calibrated classifier lies on the
    diagonal; points below it are over-confident. The lower panel shows how
    many predictions fall in each bin.
    """
    pyplot = _pyplot()
    figure, (upper, lower) = pyplot.subplots(2, 1, figsize=(5, 6), sharex=True,
                                             gridspec_kw={"height_ratios": [3, 1]})
    upper.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    for name, table in tables.items():
        confidence, accuracy = numpy.asarray(table["confidence"]), numpy.asarray(table["accuracy"])
        used = numpy.asarray(table["counts"]) > 0
        upper.plot(confidence[used], accuracy[used], marker="o", label=name)
        lower.plot(confidence[used], numpy.asarray(table["counts"])[used], marker="o")
    upper.set_ylabel("accuracy")
    upper.set_xlim(0, 1)
    upper.set_ylim(0, 1)
    upper.set_title(title)
    upper.legend(fontsize=8)
    lower.set_xlabel("mean confidence (highest probability) in the bin")
    lower.set_ylabel("predictions")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def scatter_groups(points: Any, groups: Any, group_names: list, marked: Any, path: str,
                   title: str = "", marked_label: str = "observed") -> str:
    """The first two columns of ``points`` coloured by group, with one point ``marked`` as a black star."""
    pyplot = _pyplot()
    points, groups = numpy.asarray(points), numpy.asarray(groups)
    figure, axis = pyplot.subplots(figsize=(6, 5))
    for index, name in enumerate(group_names):
        members = points[groups == index]
        axis.scatter(members[:, 0], members[:, 1] if points.shape[1] > 1 else numpy.zeros(len(members)), s=6,
                     alpha=0.4, label=name)
    marked = numpy.asarray(marked)
    axis.scatter([marked[0]], [marked[1] if marked.size > 1 else 0.0], marker="*", s=250, color="black",
                 label=marked_label)
    axis.set_xlabel("component 1")
    axis.set_ylabel("component 2")
    axis.set_title(title)
    axis.legend(fontsize=8, markerscale=2)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def predicted_against_true(true: Any, predicted: Any, names: list, path: str) -> str:
    """One panel per output: predicted against true values, with the line of perfect prediction."""
    pyplot = _pyplot()
    true, predicted = numpy.asarray(true), numpy.asarray(predicted)
    figure, axes = pyplot.subplots(1, len(names), figsize=(4 * len(names), 4), squeeze=False)
    for index, (axis, name) in enumerate(zip(axes[0], names)):
        axis.scatter(true[:, index], predicted[:, index], s=6, alpha=0.5)
        low, high = min(true[:, index].min(), predicted[:, index].min()), max(true[:, index].max(),
                                                                              predicted[:, index].max())
        axis.plot([low, high], [low, high], color="grey", linestyle="--")
        axis.set_xlabel(f"true {name}")
        axis.set_ylabel(f"estimated {name}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path


def graph(output: Any, path: str | None = None, values: bool = False, gradients: bool = False) -> Any:
    """The computation graph behind ``output`` (a ``ComputationGraph``), drawn to ``path`` if given.

    Record it before ``backward`` (which releases the graph), draw after to
    see the leaves' gradients::

        g = minidl.plot.graph(loss)
        loss.backward()
        g.draw("graph.svg", values=True, gradients=True)

    Graphviz's ``dot`` draws it where it is installed; otherwise matplotlib does.
    """
    from minidl.teaching.computation_graph import ComputationGraph  # noqa: PLC0415

    recorded = ComputationGraph(output)
    if path is not None:
        recorded.draw(path, values=values, gradients=gradients)
    return recorded


def _summary(array: Any) -> dict:
    values = numpy.asarray(array, dtype=float).ravel()
    return {"mean": float(values.mean()), "std": float(values.std()), "min": float(values.min()),
            "max": float(values.max()), "zeros": float((values == 0).mean()), "values": values}


def layer_statistics(model: Any, x: Any, y: Any = None, path: str | None = None, loss: Any = None) -> dict:
    """Per layer: the distribution of its weights, its activations on ``x`` and (given ``y``) its gradients.

    Runs ``model`` on ``x`` in training mode (dropout on, batch statistics),
    recording each layer's output; with targets ``y`` also the loss (the
    compiled one, or ``loss``, or categorical cross-entropy) and its
    gradient for every weight. Returns {layer name: {"weights" | "activations"
    | "gradients": {"mean", "std", "min", "max", "zeros" (fraction), "values"}}}
    and, with ``path``, draws a histogram of each (one row per layer): the
    picture of vanishing gradients, saturated sigmoids or dead ReLUs.
    """
    from minidl import functional as F  # noqa: PLC0415
    from minidl import losses  # noqa: PLC0415
    from minidl.autodiff.tensor import Tensor  # noqa: PLC0415

    record: dict = {}
    for weight in model.weights:
        weight.grad = None
    arrays = x if isinstance(x, (list, tuple)) else [x]
    outputs = model._run([Tensor(numpy.asarray(a), dtype=model.dtype) for a in arrays], True, record)
    if y is not None:
        chosen = loss or getattr(model, "loss", None) or F.categorical_crossentropy
        losses.call_loss(losses.get(chosen) if not callable(chosen) else chosen, y, outputs[0], None).backward()
    statistics: dict = {}
    for layer in model.layers:
        entry = {}
        if layer.weights:
            entry["weights"] = _summary(numpy.concatenate([w.numpy().ravel() for w in layer.weights]))
            grads = [w.grad for w in layer.weights if w.grad is not None]
            if grads:
                entry["gradients"] = _summary(numpy.concatenate([numpy.asarray(g).ravel() for g in grads]))
        if layer.name in record and not isinstance(record[layer.name], list):
            entry["activations"] = _summary(record[layer.name].numpy())
        if entry:
            statistics[layer.name] = entry
    if path is not None:
        _draw_layer_statistics(statistics, path)
    return statistics


def _draw_layer_statistics(statistics: dict, path: str) -> str:
    plt = _pyplot()
    kinds = ["weights", "activations", "gradients"]
    figure, axes = plt.subplots(len(statistics), 3, figsize=(10, 1.8 * len(statistics) + 0.6), squeeze=False)
    for row, (name, entry) in enumerate(statistics.items()):
        for column, kind in enumerate(kinds):
            axis = axes[row][column]
            if kind in entry:
                figures = entry[kind]
                axis.hist(figures["values"], bins=40, color="#4c72b0")
                axis.set_title(f"{name} {kind}: std {figures['std']:.2g}, zeros {figures['zeros']:.0%}", fontsize=8)
            else:
                axis.axis("off")
            axis.tick_params(labelsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
