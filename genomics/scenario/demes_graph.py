"""Scenarios whose demography is a demes graph (``demes_yaml = "model.yaml"`` in a scenario file).

The graph is stored in the scenario's specification (``demes_graph``), not
its path. Its number fields (``DEMES_NUMBER_FIELDS``) may hold a prior's
name or an expression of priors, filled in for each draw before ``demes``
checks the graph and msprime builds its Demography.
"""

from __future__ import annotations

import os
from typing import Any

import msprime

from genomics.scenario.design import SamplingDesign
from genomics.scenario.expressions import ScenarioError, evaluate, is_number
from genomics.textfile import path_within, read_yaml

#: Fields of a demes graph that hold numbers: there a scenario may write a prior name or an expression.
DEMES_NUMBER_FIELDS = {"start_size", "end_size", "start_time", "end_time", "time", "rate", "proportion",
                       "proportions", "generation_time", "selfing_rate", "cloning_rate"}


def demography_from_demes(graph: dict, parameters: dict, size_scale: float, where: str) -> msprime.Demography:
    """The Demography of a scenario's demes ``graph`` with one draw's values filled in (sizes times ``size_scale``)."""
    import demes  # noqa: PLC0415 - msprime's own dependency, needed only for demes-based scenarios

    def fill(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: fill(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v, key) for v in node]
        if key in DEMES_NUMBER_FIELDS and isinstance(node, str) and node != "Infinity":
            node = evaluate(node, parameters)
        if key in ("start_size", "end_size") and is_number(node):
            node = node * size_scale
        return node

    try:
        graph = demes.Graph.fromdict(fill(graph))
    except Exception as error:  # demes explains what is inconsistent (times out of order, sizes <= 0, ...)
        raise ScenarioError(f"{where}: the demes graph is invalid for {parameters}: {error}") from None
    return msprime.Demography.from_demes(graph)


def validate_demes_graph(spec: dict, design: SamplingDesign, where: str, units: str, check_value: Any) -> dict:
    """Checks of a scenario whose demography is a demes graph (values may name priors)."""
    if units != "generations":
        raise ScenarioError(f"{where}: a demes graph carries its own time units; leave out units = {units!r}")
    if "events" in spec:
        raise ScenarioError(f"{where}: a demes graph holds the events itself; leave out [[events]]")
    graph = spec["demes_graph"]
    if not isinstance(graph, dict) or not isinstance(graph.get("demes"), list):
        raise ScenarioError(f"{where}: the demes YAML must be a graph with a 'demes' list")

    def walk(node: Any, path: str, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}", k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", key)
        elif key in DEMES_NUMBER_FIELDS and isinstance(node, str) and node != "Infinity":
            check_value(node, path)

    walk(graph, "demes_yaml")
    names = {deme.get("name") for deme in graph["demes"] if isinstance(deme, dict)}
    for population in design.populations:
        sampled = spec.get("sampling", {}).get(population, population)
        if sampled not in names:
            raise ScenarioError(f"{where}: sampled population {population!r} is not a deme of the demes YAML "
                                f"({sorted(names)})")
    return spec


def read_demes_yaml(name: Any, toml_path: str) -> dict:
    """The demes graph of a YAML file named relative to the scenario file (stored in the spec, not the path)."""
    try:
        path = path_within(os.path.dirname(os.path.abspath(toml_path)), name, "demes_yaml file")
        return read_yaml(path)
    except FileNotFoundError:
        raise ScenarioError(f"{toml_path}: cannot read demes_yaml {name!r} (No such file or directory)") from None
    except ValueError as error:
        raise ScenarioError(f"{toml_path}: {error}") from None

