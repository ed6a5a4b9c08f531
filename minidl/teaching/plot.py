"""Pictures of training, saved as PNG with SVG and PDF beside (matplotlib is an optional extra: pip install
minidl[plot]). Every picture follows ``minidl.teaching.style``: Okabe-Ito colours, print-sized fonts."""

from __future__ import annotations

from typing import Any

import numpy

from minidl.teaching import style
from minidl.teaching.figures import pyplot as _pyplot


def _histories(history: Any) -> list[dict]:
    """A Keras ``History``, a dict of lists, or a list of either (one per ensemble member) -> list of dicts."""
    many = history if isinstance(history, (list, tuple)) else [history]
    return [getattr(one, "history", one) for one in many]


def training_curves(history: Any, path: str, member_names: list | None = None,
                    kept_epochs: list | None = None) -> str:
    """One panel per quantity (loss, accuracy, ...): each member's training (solid) and validation (dashed) curve.

    ``history``: one history or a list of them (an ensemble's members, named
    by ``member_names``, default "member 1", "member 2", ...).
    ``kept_epochs``: per member, the 1-based epoch whose weights were kept
    (early stopping's best epoch), marked with a ring on its validation curve
    (or on its training curve without validation). Epoch ticks are integers.
    An ensemble's legend names each member once, by its colour, and says once
    which line style is training and which validation, so that it stays as
    wide as the panels.
    """
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    pyplot = _pyplot()
    logs = _histories(history)
    several = len(logs) > 1 or member_names is not None
    names = member_names or ([f"member {k + 1}" for k in range(len(logs))] if several else [""])
    kept = list(kept_epochs or []) + [None] * len(logs)
    quantities = [key for key in logs[0] if not key.startswith("val_")]
    with style.drawing(pyplot):
        figure, axes = pyplot.subplots(1, len(quantities), figsize=(4.2 * len(quantities), 3.4), squeeze=False)
        for axis, quantity in zip(axes[0], quantities):
            for k, (log, name) in enumerate(zip(logs, names)):
                values = numpy.asarray(log.get(quantity, []), dtype=float)
                epochs = numpy.arange(1, len(values) + 1)
                colour = style.colour(k)
                axis.plot(epochs, values, color=colour, marker="o", markersize=3,
                          label=f"{name} training".strip() if several else "training")
                validation = numpy.asarray(log.get(f"val_{quantity}", []), dtype=float)
                if len(validation):
                    axis.plot(epochs[:len(validation)], validation, color=colour if several else style.colour(1),
                              linestyle="--", marker="s", markersize=3,
                              label=f"{name} validation".strip() if several else "validation")
                best = kept[k]
                marked = validation if len(validation) else values
                if best is not None and 1 <= best <= len(marked):
                    axis.plot([best], [marked[best - 1]], linestyle="none", marker="o", markersize=11,
                              markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.5)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_xlabel("epoch")
            axis.set_title(quantity)
        handles, labels = axes[0][0].get_legend_handles_labels()
        if several:  # one entry per member (its colour), then one per line style
            handles = [Line2D([], [], color=style.colour(k), linewidth=4) for k in range(len(logs))]
            labels = list(names[:len(logs)])
            handles += [Line2D([], [], color="black", marker="o", markersize=3),
                        Line2D([], [], color="black", linestyle="--", marker="s", markersize=3)]
            labels += ["training", "validation"]
        if any(best is not None for best in kept[:len(logs)]):
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="none",
                                  markeredgecolor="black", markeredgewidth=1.5))
            labels.append("kept epoch (best validation)")
        figure.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      ncol=min(len(labels), 3) if several else len(labels), frameon=False)
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def confusion_matrix(counts: Any, path: str, class_names: list | None = None, title: str = "Confusion matrix") -> str:
    """A heat map of the row rates ``counts[true, predicted] / counts[true].sum()``, each cell with its count and
    its rate (the share of that true class given each prediction; a row sums to 100 %)."""
    pyplot = _pyplot()
    counts = numpy.asarray(counts)
    names = class_names or [str(i) for i in range(len(counts))]
    totals = counts.sum(axis=1, keepdims=True)
    rates = numpy.divide(counts, totals, out=numpy.zeros(counts.shape, dtype=float), where=totals > 0)
    with style.drawing(pyplot):
        size = 1.3 * len(names) + 2.2
        figure, axis = pyplot.subplots(figsize=(size + 1, size))
        image = axis.imshow(rates, cmap=style.SEQUENTIAL, vmin=0, vmax=1)
        bar = figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
        bar.set_label("share of the true scenario (row rate)")
        axis.set_xticks(range(len(names)), names, rotation=30, ha="right")
        axis.set_yticks(range(len(names)), [f"{name}\n(n = {int(total)})" for name, total in zip(names, totals[:, 0])])
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(title)
        for (row, column), value in numpy.ndenumerate(counts):
            axis.text(column, row, f"{value}\n{rates[row, column]:.0%}", ha="center", va="center",
                      color="black" if rates[row, column] > 0.6 else "white")
        for spine in axis.spines.values():
            spine.set_visible(False)
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def roc_curve(false_positive_rate: Any, true_positive_rate: Any, path: str, label: str | None = None) -> str:
    """The ROC curve against the diagonal of chance, with its area in the legend."""
    from minidl.metrics import auc  # noqa: PLC0415

    pyplot = _pyplot()
    with style.drawing(pyplot):
        figure, axis = pyplot.subplots(figsize=(4.5, 4.5))
        area = auc(false_positive_rate, true_positive_rate)
        axis.plot(false_positive_rate, true_positive_rate, label=f"{label or 'model'} (AUC {area:.3f})")
        axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
        axis.legend(loc="lower right")
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def reliability_diagram(tables: dict, path: str, title: str = "Reliability diagram") -> str:
    """Accuracy against mean confidence per confidence bin, one curve per set of predictions, beside the diagonal.

    ``tables``: name -> {"confidence", "accuracy", "counts"} arrays per bin
    (empty bins are NaN and skipped). A calibrated classifier lies on the
    diagonal; points below it are over-confident. The lower panel shows how
    many predictions fall in each bin.
    """
    pyplot = _pyplot()
    with style.drawing(pyplot):
        figure, (upper, lower) = pyplot.subplots(2, 1, figsize=(5, 6), sharex=True,
                                                 gridspec_kw={"height_ratios": [3, 1]})
        upper.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
        for index, (name, table) in enumerate(tables.items()):
            confidence, accuracy = (numpy.asarray(table[key], dtype=float) for key in ("confidence", "accuracy"))
            counts = numpy.asarray(table["counts"])
            used = counts > 0
            marker = "os^vD"[index % 5]
            upper.plot(confidence[used], accuracy[used], marker=marker, color=style.colour(index), label=name)
            lower.plot(confidence[used], counts[used], marker=marker, color=style.colour(index))
        upper.set_ylabel("accuracy")
        upper.set_xlim(0, 1)
        upper.set_ylim(0, 1)
        upper.set_title(title)
        upper.legend(fontsize=8, loc="upper left")  # confidence >= 1 / classes: the upper left stays empty
        lower.set_xlabel("mean confidence (highest probability) in the bin")
        lower.set_ylabel("predictions")
        lower.set_ylim(bottom=0)
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def scatter_groups(points: Any, groups: Any, group_names: list, marked: Any, path: str,
                   title: str = "", marked_label: str = "observed", variance_shares: Any = None) -> str:
    """The first two columns of ``points`` coloured by group, with one point ``marked`` as a black star.

    ``variance_shares``: the share of the total variance on each of the two
    axes (principal components), written in the axis labels. The legend sits
    outside the axes, with markers of one size, so that the star covers
    neither a group's entry nor its points.
    """
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    pyplot = _pyplot()
    points, groups = numpy.asarray(points), numpy.asarray(groups)
    shares = list(variance_shares) if variance_shares is not None else []
    with style.drawing(pyplot):
        figure, axis = pyplot.subplots(figsize=(6.8, 4.6))
        handles = []
        for index, name in enumerate(group_names):
            members = points[groups == index]
            axis.scatter(members[:, 0], members[:, 1] if points.shape[1] > 1 else numpy.zeros(len(members)), s=14,
                         alpha=0.6, color=style.colour(index), linewidths=0)  # seen from a talk's back rows
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7, color=style.colour(index),
                                  label=name))
        marked = numpy.asarray(marked)
        axis.scatter([marked[0]], [marked[1] if marked.size > 1 else 0.0], marker="*", s=260, color="black",
                     edgecolors="white", linewidths=0.8, zorder=3)
        handles.append(Line2D([], [], linestyle="none", marker="*", markersize=12, color="black", label=marked_label))
        for setter, component in ((axis.set_xlabel, 0), (axis.set_ylabel, 1)):
            share = f" ({shares[component]:.0%} of the variance)" if component < len(shares) else ""
            setter(f"principal component {component + 1}{share}")
        axis.xaxis.set_major_locator(MaxNLocator(nbins=6))
        axis.set_title(title)
        axis.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def predicted_against_true(true: Any, predicted: Any, names: list, path: str, low: Any = None, high: Any = None,
                           log: list | None = None, interval: str = "") -> str:
    """One panel per output: predicted against true values, with the line of perfect prediction.

    ``low``/``high`` (same shape as ``predicted``): each estimate's interval, drawn as a vertical bar and named
    by ``interval`` in the legend (e.g. "90% interval"); ``log[j]``: output j on logarithmic axes (values in
    natural units that span orders of magnitude, such as sizes and times).
    """
    pyplot = _pyplot()
    true, predicted = numpy.asarray(true, dtype=float), numpy.asarray(predicted, dtype=float)
    with style.drawing(pyplot):
        figure, axes = pyplot.subplots(1, len(names), figsize=(4 * len(names), 4), squeeze=False)
        for index, (axis, name) in enumerate(zip(axes[0], names)):
            x, y = true[:, index], predicted[:, index]
            if low is not None and high is not None:
                below, above = numpy.asarray(low, dtype=float)[:, index], numpy.asarray(high, dtype=float)[:, index]
                axis.vlines(x, below, above, color="0.6", linewidth=0.6, alpha=0.5,
                            label=interval or "interval")
                y_low, y_high = min(y.min(), below.min()), max(y.max(), above.max())
            else:
                y_low, y_high = y.min(), y.max()
            axis.scatter(x, y, s=6, alpha=0.6, label="estimate", zorder=3)
            span_low, span_high = min(x.min(), y_low), max(x.max(), y_high)
            axis.plot([span_low, span_high], [span_low, span_high], color="grey", linestyle="--", label="y = x")
            if log is not None and log[index]:
                axis.set_xscale("log")
                axis.set_yscale("log")
            axis.set_xlabel(f"true {name}")
            axis.set_ylabel(f"estimated {name}")
            if low is not None and index == 0:
                axis.legend(loc="upper left", frameon=False)
        figure.tight_layout()
        return style.save(figure, path, pyplot)


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
                axis.hist(figures["values"], bins=40, color=style.colour(0))
                axis.set_title(f"{name} {kind}: std {figures['std']:.2g}, zeros {figures['zeros']:.0%}", fontsize=8)
            else:
                axis.axis("off")
            axis.tick_params(labelsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
