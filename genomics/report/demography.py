"""A picture of a scenario's demography: its demes as boxes in time, drawn with matplotlib from the demes graph.

The scenario's msprime ``Demography`` for one typical parameter draw (each prior's middle: the geometric mean
of a log-uniform range, the arithmetic mean of any other range) is turned into a demes graph
(``Demography.to_demes``) and drawn: time runs up from the present (0) with each deme a box from its end time
to its start time, its width growing with the logarithm of its size; a grey line joins a deme to each of its
ancestors at its start time; dashed arrows are continuous migrations (at the middle of their time span) and
solid arrows pulses. ``demesdraw`` is used instead when it is installed.
"""

from __future__ import annotations

import math
from typing import Any

from genomics.scenario.priors import LogUniform
from genomics.scenario.scenario import Scenario
from minidl.teaching import style
from minidl.teaching.figures import pyplot as _pyplot


def typical_parameters(scenario: Scenario) -> dict[str, float]:
    """Each prior's middle: sqrt(low * high) for a log-uniform prior, (low + high) / 2 otherwise."""
    middle = {}
    for name, prior in scenario.priors.items():
        low, high = prior.support
        middle[name] = math.sqrt(low * high) if isinstance(prior, LogUniform) and low > 0 else (low + high) / 2
    return middle


def deme_positions(graph: Any) -> dict[str, float]:
    """x of each deme: the demes without descendants side by side, each ancestor at the mean of its children's x."""
    children: dict[str, list] = {deme.name: [] for deme in graph.demes}
    for deme in graph.demes:
        for ancestor in deme.ancestors[:1]:  # the first ancestor places a deme; the others are drawn as lines
            children[ancestor].append(deme.name)
    position: dict[str, float] = {}
    leaves: list[str] = []

    def place(name: str) -> float:
        if name not in position:
            below = [place(child) for child in children[name]]
            if not below:
                leaves.append(name)
            position[name] = sum(below) / len(below) if below else float(len(leaves) - 1)
        return position[name]

    for deme in graph.demes:  # roots first, so that leaves come left to right in the tree's order
        if not deme.ancestors:
            place(deme.name)
    for deme in graph.demes:
        place(deme.name)
    return position


def draw_demography(scenario: Scenario, path: str) -> str:
    """Draw ``scenario``'s demography at ``typical_parameters`` to ``path`` (a .png gets .svg and .pdf beside)."""
    parameters = typical_parameters(scenario)
    graph = scenario.demography(parameters).to_demes()
    pyplot = _pyplot()
    try:
        import demesdraw  # noqa: PLC0415 - optional: its tubes picture where installed
    except ImportError:
        demesdraw = None
    with style.drawing(pyplot):
        figure, axis = pyplot.subplots(figsize=(5.2, 4.0))
        if demesdraw is not None:
            demesdraw.tubes(graph, ax=axis, colours={deme.name: style.colour(k) for k, deme in enumerate(graph.demes)})
        else:
            _draw_boxes(graph, axis)
        if len(axis.get_yticks()):  # one population through all time has no time scale to label
            axis.set_ylabel(f"time ago ({graph.time_units})")
        axis.set_title(f"{scenario.name}\n(each parameter at the middle of its prior)")
        figure.tight_layout()
        return style.save(figure, path, pyplot)


def _draw_boxes(graph: Any, axis: Any) -> None:
    """The demes of ``graph`` as boxes (see the module's docstring) on ``axis``."""
    x = deme_positions(graph)
    finite = [t for deme in graph.demes for t in (deme.start_time, deme.end_time) if math.isfinite(t)]
    top = 1.25 * max(finite) if max(finite, default=0) > 0 else 1.0
    sizes = [epoch.start_size for deme in graph.demes for epoch in deme.epochs] + \
            [epoch.end_size for deme in graph.demes for epoch in deme.epochs]
    low, high = math.log(min(sizes)), math.log(max(sizes))

    def half_width(size: float) -> float:
        return 0.12 + 0.18 * ((math.log(size) - low) / (high - low) if high > low else 1.0)

    for k, deme in enumerate(graph.demes):
        colour = style.colour(k)
        for epoch in deme.epochs:
            start = min(epoch.start_time, top)
            bottom_w, top_w = half_width(epoch.end_size), half_width(epoch.start_size)
            axis.fill([x[deme.name] - bottom_w, x[deme.name] + bottom_w, x[deme.name] + top_w, x[deme.name] - top_w],
                      [epoch.end_time, epoch.end_time, start, start], color=colour, alpha=0.75, linewidth=0)
        size = deme.epochs[-1].end_size
        axis.text(x[deme.name], deme.end_time + 0.02 * top, f"{deme.name}\nN = {size:,.0f}", ha="center",
                  va="bottom", fontsize=8)
        for ancestor in deme.ancestors:
            axis.plot([x[deme.name], x[ancestor]], [deme.start_time, deme.start_time], color="grey", linewidth=1.5)
    sizes_of = {deme.name: deme.epochs[-1].end_size for deme in graph.demes}
    pairs: dict = {}  # one double-headed arrow per pair of demes exchanging migrants both ways
    for migration in graph.migrations:
        pairs.setdefault(tuple(sorted((migration.source, migration.dest), key=x.get)), []).append(migration)
    for index, ((left, right), migrations) in enumerate(sorted(pairs.items(), key=lambda item: x[item[0][1]]
                                                               - x[item[0][0]])):
        span = (max(m.end_time for m in migrations), min(min(m.start_time for m in migrations), top))
        time = span[0] + (0.5 + 0.35 * index / max(len(pairs), 1)) * (span[1] - span[0])
        both_ways = len({m.source for m in migrations}) > 1
        source = migrations[0].source
        edge = {name: half_width(sizes_of[name]) for name in (left, right)}
        ends = (x[left] + edge[left], x[right] - edge[right])
        ends = ends if source == left or both_ways else ends[::-1]
        axis.annotate("", xy=(ends[1], time), xytext=(ends[0], time),
                      arrowprops={"arrowstyle": "<->" if both_ways else "->", "linestyle": "--", "color": "black",
                                  "connectionstyle": f"arc3,rad={0 if x[right] - x[left] <= 1 else -0.15}"})
    for pulse in graph.pulses:
        for source in pulse.sources:
            axis.annotate("", xy=(x[pulse.dest], pulse.time), xytext=(x[source], pulse.time),
                          arrowprops={"arrowstyle": "->", "color": "black"})
    if graph.migrations:
        rates = sorted({float(m.rate) for m in graph.migrations})
        axis.set_xlabel("dashed arrows: migration, rate " + ", ".join(f"{r:.3g}" for r in rates)
                        + " per generation", labelpad=10)  # below the demes: over them it hid a deme's box
    axis.set_ylim(0, top)
    if not finite or max(finite) == 0:  # one population through all time: no time scale to show
        axis.set_yticks([])
        axis.spines["left"].set_visible(False)
    axis.set_xlim(min(x.values()) - 0.6, max(x.values()) + 0.6)
    axis.set_xticks([])
    axis.spines["bottom"].set_visible(False)
