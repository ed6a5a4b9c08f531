"""Built-in scenarios, written in the same specification format as a TOML file.

One population (20 diploid individuals, 200 kb):
``constant``, ``bottleneck``, ``expansion``.
Three populations A, B, C (10 diploid individuals each, 200 kb):
``panmixia`` (one deme; A, B and C are labels on its samples),
``divergence`` (((A, B) at T1, C) at T1 + dT, no gene flow),
``divergence_with_migration`` (the same tree with symmetric migration m
between the present populations since their split).

Priors follow ranges common in the literature: effective sizes 1e3 to 1e5,
divergence times 1e3 to 1e5 generations, migration rates 1e-5 to 1e-3 per
generation, all log-uniform, so that each order of magnitude is equally likely.
"""

from __future__ import annotations

from genomics.scenario.scenario import Scenario

SIZE = {"log_uniform": [1e3, 1e5]}
TIME = {"log_uniform": [1e3, 1e5]}
MIGRATION = {"log_uniform": [1e-5, 1e-3]}

ONE_POPULATION_DESIGN = {"populations": ["POP"], "samples": [20], "ploidy": 2, "sequence_length": 2e5,
                         "recombination_rate": 1e-8, "mutation_rate": 1.25e-8}
THREE_POPULATION_DESIGN = {"populations": ["A", "B", "C"], "samples": [10, 10, 10], "ploidy": 2,
                           "sequence_length": 2e5, "recombination_rate": 1e-8, "mutation_rate": 1.25e-8}


def _three_population_tree(migration: bool) -> dict:
    priors = {"N_A": SIZE, "N_B": SIZE, "N_C": SIZE, "N_AB": SIZE, "N_ANC": SIZE, "T1": TIME, "dT": TIME}
    events = [
        {"type": "split", "time": "T1", "derived": ["A", "B"], "ancestral": "AB"},
        {"type": "split", "time": "T1 + dT", "derived": ["AB", "C"], "ancestral": "ANC"},
    ]
    if migration:
        priors["m"] = MIGRATION
        events.insert(0, {"type": "symmetric_migration", "populations": ["A", "B", "C"], "rate": "m"})
    demes = [{"name": name, "initial_size": f"N_{name}"} for name in ("A", "B", "C", "AB", "ANC")]
    return {
        "name": "divergence_with_migration" if migration else "divergence",
        "description": "A and B split at T1, their ancestor and C at T1 + dT"
        + (", symmetric migration m between A, B and C since" if migration else ", no gene flow"),
        "priors": priors, "design": THREE_POPULATION_DESIGN, "demes": demes, "events": events,
    }


SPECS = {
    "constant": {
        "name": "constant", "description": "one population of constant size N",
        "priors": {"N": SIZE}, "design": ONE_POPULATION_DESIGN,
        "demes": [{"name": "POP", "initial_size": "N"}],
    },
    "bottleneck": {
        "name": "bottleneck",
        "description": "size N today; between T and T + D generations ago a bottleneck of size N * f; N_anc before",
        "priors": {"N": SIZE, "N_anc": SIZE, "f": {"log_uniform": [1e-3, 1e-1]}, "T": {"log_uniform": [1e2, 1e4]},
                   "D": {"log_uniform": [10, 1e3]}},
        "design": ONE_POPULATION_DESIGN,
        "demes": [{"name": "POP", "initial_size": "N"}],
        "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N * f"},
                   {"type": "size_change", "time": "T + D", "population": "POP", "size": "N_anc"}],
    },
    "expansion": {
        "name": "expansion",
        "description": "size N today after an instantaneous expansion T generations ago from N / g",
        "priors": {"N": SIZE, "g": {"log_uniform": [10, 1000]}, "T": {"log_uniform": [1e2, 1e4]}},
        "design": ONE_POPULATION_DESIGN,
        "demes": [{"name": "POP", "initial_size": "N"}],
        "events": [{"type": "size_change", "time": "T", "population": "POP", "size": "N / g"}],
    },
    "panmixia": {
        "name": "panmixia", "description": "A, B and C are samples of one population of size N",
        "priors": {"N": SIZE}, "design": THREE_POPULATION_DESIGN,
        "demes": [{"name": "ALL", "initial_size": "N"}],
        "sampling": {"A": "ALL", "B": "ALL", "C": "ALL"},
    },
    "divergence": _three_population_tree(migration=False),
    "divergence_with_migration": _three_population_tree(migration=True),
}

GROUPS = {
    "one_population": ["constant", "bottleneck", "expansion"],
    "three_populations": ["panmixia", "divergence", "divergence_with_migration"],
}


def get(name: str) -> Scenario:
    """A built-in scenario by name."""
    if name not in SPECS:
        raise ValueError(f"no built-in scenario {name!r}; built-in: {', '.join(SPECS)}")
    return Scenario(SPECS[name])


def resolve(names: list[str]) -> list[Scenario]:
    """Scenarios from built-in names, group names (``three_populations``) or TOML files (``*.toml``)."""
    from genomics.scenario.scenario import load_toml  # noqa: PLC0415

    scenarios: list[Scenario] = []
    for name in names:
        if name.endswith(".toml"):
            scenarios.extend(load_toml(name))
        elif name in GROUPS:
            scenarios.extend(get(member) for member in GROUPS[name])
        else:
            if name not in SPECS:
                raise ValueError(f"no built-in scenario or group {name!r}; built-in: {', '.join(SPECS)}; "
                                 f"groups: {', '.join(GROUPS)}; or give a .toml file")
            scenarios.append(get(name))
    names_seen = [s.name for s in scenarios]
    duplicates = {n for n in names_seen if names_seen.count(n) > 1}
    if duplicates:
        raise ValueError(f"scenario names must be unique, repeated: {sorted(duplicates)}")
    return scenarios
