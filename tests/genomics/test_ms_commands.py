"""`genomics scenario from-ms` reads ms commands as ms defines them, checked against msprime's own ms parser.

msprime ships an ms-compatible command (``mspms``): ``msprime.cli.create_simulation_runner`` turns an ms
argument list into an ``msprime.Demography`` in ms's units (time in 4 N0 generations, ploidy 1, sizes x / 2).
For random draws of the priors, the same ms command with the drawn numbers goes through that parser and the
scenario built by ``scenario_from_ms`` is compared with it epoch by epoch, in generations: event times, and at
the start, middle and end of every epoch each population's size and growth rate and the migration matrix.
The numbers put into the ms command are computed by plain Python (``eval`` of the study's arithmetic, or the
study's own format string), never by genomics' expression evaluator.
"""

import math
import pathlib
import re
import shlex
import subprocess
import sys

import msprime
import msprime.cli
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from genomics.scenario import ms
from genomics.cli.main import main
from genomics.scenario.expressions import ScenarioError
from genomics.scenario.scenario import EVENT_AT_ZERO, Scenario, load_toml
from genomics.simulation.run import simulate_replicate

ROOT = pathlib.Path(__file__).resolve().parents[2]
PEREZ = ROOT / "examples" / "perez2022_pilosocereus"
STEPPE = ROOT / "examples" / "kirschner_steppe"
# ms's -ej leaves migration out of the joined population, as msprime's parser does; msprime's debugger warns.
pytestmark = pytest.mark.filterwarnings("ignore:Non-zero migration rates exist after merging")
PYTHON_MATH = {"log": math.log, "exp": math.exp, "sqrt": math.sqrt, "min": min, "max": max}


def commands(path: pathlib.Path) -> list[tuple[str, str, str]]:
    """(name, ms command, priors) of each line of an example's ms_commands.txt."""
    return [tuple((line.split("\t") + [""])[:3]) for line in path.read_text().splitlines() if line.strip()]


def numeric_command(template: str, parameters: dict) -> str:
    """The ms command with each {expression} replaced by its value, computed by Python itself."""
    return re.sub(r"\{([^}]*)\}", lambda m: repr(float(eval(m.group(1), dict(PYTHON_MATH), dict(parameters)))),
                  template)


def mspms_demography(command: str) -> msprime.Demography:
    """msprime's own reading of an ms command (mspms has no -s: the demography does not depend on it)."""
    items = shlex.split(command)[1:]
    if "-s" in items:
        k = items.index("-s")
        del items[k:k + 2]
    if "-t" not in items:
        items += ["-t", "1"]
    runner = msprime.cli.create_simulation_runner(msprime.cli.get_mspms_parser(), items)
    return runner.simulator.demography


def state(debugger, t: float, scale: dict) -> tuple:
    """(sizes, growth rates, migration matrix) at time t, in generations, of a DemographyDebugger."""
    epoch = next(e for e in reversed(debugger.epochs) if e.start_time * scale["time"] <= t)
    start = epoch.start_time * scale["time"]
    growth = np.array([p.growth_rate for p in epoch.populations]) * scale["rate"]
    sizes = np.array([p.start_size for p in epoch.populations]) * scale["size"] * np.exp(-growth * (t - start))
    return sizes, growth, np.asarray(epoch.migration_matrix) * scale["rate"]


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    denominator = np.maximum(np.abs(a), np.abs(b))
    both_zero = denominator == 0
    return float(np.max(np.where(both_zero, 0.0, np.abs(a - b) / np.where(both_zero, 1.0, denominator)),
                        initial=0.0))


def compare_with_mspms(scenario: Scenario, template: str, draws: int, seed: int,
                       numeric=numeric_command) -> float:
    """Largest relative difference, over draws and epochs, between genomics' demography and mspms' one."""
    n0 = scenario.reference_size
    mspms_scale = {"time": 4 * n0, "size": 2 * n0, "rate": 1 / (4 * n0)}  # ms units, ploidy 1, sizes x / 2
    ours_scale = {"time": 1.0, "size": 1.0, "rate": 1.0}
    generator = np.random.default_rng(seed)
    largest = 0.0
    for _ in range(draws):
        parameters = scenario.draw_parameters(generator)
        theirs = mspms_demography(numeric(template, parameters)).debug()
        ours = scenario.demography(parameters).debug()
        assert len(ours.epochs[0].populations) == len(theirs.epochs[0].populations)
        # genomics moves an event at time 0 to EVENT_AT_ZERO generations (msprime applies none at the sampling
        # time itself): epochs shorter than that at time 0 are left out on both sides.
        their_times = np.array([t * mspms_scale["time"] for t in theirs.epoch_start_time
                                if t == 0 or t * mspms_scale["time"] > 10 * EVENT_AT_ZERO])
        our_times = np.array([t for t in ours.epoch_start_time if t == 0 or t > 10 * EVENT_AT_ZERO])
        assert our_times.shape == their_times.shape, (our_times, their_times)
        largest = max(largest, relative_difference(our_times, their_times))
        for k, start in enumerate(their_times):
            end = their_times[k + 1] if k + 1 < len(their_times) else start + 4 * n0
            probes = (start + 1e-6 * (end - start), (start + end) / 2, end - 1e-6 * (end - start))
            # an event at time 0 applies at EVENT_AT_ZERO on our side: probe a first epoch after that, where
            # there is room (ms -en 0 then -en 1e-8: mspms's first epoch is shorter than a generation)
            floor = 10 * EVENT_AT_ZERO if start == 0 and end > 10 * EVENT_AT_ZERO else start
            for t in (max(probe, floor) for probe in probes):
                for mine, reference in zip(state(ours, t, ours_scale), state(theirs, t, mspms_scale)):
                    largest = max(largest, relative_difference(mine, reference))
    return largest


# Every option, with prior-drawn numbers, on commands mspms accepts (it refuses -es with -eN/-eG/-eM/-ema).
OPTION_COMMANDS = [
    ("ms 6 3 -t 2 -I 3 2 2 2 {M} -n 1 {x} -g 2 {a} -n 3 0.5 -en {t1} 1 {y} -eg {t2} 3 {b} -ej {t3} 2 1",
     "M=uniform(0,4),x=uniform(0.1,5),a=uniform(-1,3),y=uniform(0.5,2),b=uniform(0,2),t1=uniform(0,0.1),"
     "t2=uniform(0.1,0.5),t3=uniform(0.5,2)"),
    ("ms 4 1 -s 5 -G {a} -I 2 2 2 -g 1 {b} -eG {t1} {c} -eN {t2} {x} -m 1 2 {M} -eM {t3} {M2} -eM 1.5 0 -ej 2 2 1",
     "a=uniform(0,2),b=uniform(-0.5,0.5),c=uniform(0,1),x=uniform(0.2,3),M=uniform(0,5),M2=uniform(0,5),"
     "t1=uniform(0,0.2),t2=uniform(0.2,0.6),t3=uniform(0.6,1)"),
    ("ms 6 1 -t 1 -I 3 2 2 2 -ma x {M} 0 1.5 x {M} 0 0 x -em {t1} 3 1 {M} -ema {t2} 3 x 0 {M} 1 x 0 2 0 x "
     "-ej {t3} 3 2 -ej {t3 + d} 2 1",
     "M=uniform(0,5),t1=uniform(0,0.5),t2=uniform(0.5,1),t3=uniform(1,2),d=uniform(0,1)"),
    ("ms 4 1 -t 1 -I 2 2 2 -n 2 {x} -es {t1} 1 {p} -ej {t2} 3 2 -ej {t2 + d} 2 1",
     "x=uniform(0.1,3),p=uniform(0,1),t1=uniform(0,0.5),t2=uniform(0.5,1),d=uniform(0,1)"),
    ("ms 4 1 -t 1 -n 1 {x} -I 2 2 2 1.0 -en 0 2 {y} -eg 0 1 {a} -ej {t} 2 1",
     "x=uniform(0.1,3),y=uniform(0.1,3),a=uniform(0,2),t=uniform(0.1,2)"),
]


@pytest.mark.parametrize("template, priors", OPTION_COMMANDS)
def test_every_option_gives_the_demography_of_msprimes_own_ms_parser(template, priors):
    scenario = Scenario(ms.scenario_from_ms(template, ms.parse_priors(priors)))
    assert compare_with_mspms(scenario, template, draws=20, seed=1) < 1e-9


@st.composite
def random_ms_commands(draw) -> str:
    """A valid ms command with 1 to 3 populations, initial sizes, growth and migration, and 0 to 5 events in time
    order, ending with growth and migration set to 0 and every population joined into population 1."""
    npop = draw(st.integers(1, 3))
    samples = [draw(st.integers(1, 3)) for _ in range(npop)]
    samples[0] += 1  # at least 2 haplotypes
    value = st.floats(0.1, 5.0).map(repr)
    structure = [f"-I {npop} " + " ".join(map(str, samples)) + (f" {draw(value)}" if draw(st.booleans()) else "")]
    population = st.integers(1, npop)
    initial = draw(st.lists(st.one_of(
        st.tuples(st.just("-n"), population, value), st.tuples(st.just("-g"), population, value),
        st.tuples(st.just("-G"), value)), max_size=4))
    initial = [" ".join(map(str, option)) for option in initial]
    if npop > 1:
        initial += [f"-m {i} {j} {draw(value)}" for i in range(1, npop + 1) for j in range(1, npop + 1)
                    if i != j and draw(st.booleans())]
    before = draw(st.booleans())  # ms reads -n, -g and -m before or after -I
    parts = [f"ms {sum(samples)} 1 -t 1"] + (initial + structure if before else structure + initial)
    kinds = ["-en", "-eg", "-eN", "-eG"] + (["-em", "-eM"] if npop > 1 else [])
    times = sorted(draw(st.lists(st.floats(0.0, 1.0), max_size=5)))
    for time in times:
        kind = draw(st.sampled_from(kinds))
        if kind in ("-en", "-eg"):
            parts.append(f"{kind} {time!r} {draw(population)} {draw(value)}")
        elif kind == "-em":
            i, j = draw(st.sampled_from([(i, j) for i in range(1, npop + 1) for j in range(1, npop + 1) if i != j]))
            parts.append(f"-em {time!r} {i} {j} {draw(value)}")
        else:
            parts.append(f"{kind} {time!r} {draw(value)}")
    parts.append("-eG 1.5 0" + (" -eM 1.5 0" if npop > 1 else ""))
    parts += [f"-ej {2 + k / 10!r} {k} 1" for k in range(2, npop + 1)]
    return " ".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_ms_commands())
@example("ms 4 1 -t 1 -I 3 2 1 1 -en 0.0 1 0.5 -en 1e-08 1 1.0 -eG 1.5 0 -eM 1.5 0 -ej 2.2 2 1 -ej 2.3 3 1")
def test_random_ms_commands_give_the_demography_of_msprimes_own_ms_parser(command):
    scenario = Scenario(ms.scenario_from_ms(command, {}))
    assert compare_with_mspms(scenario, command, draws=1, seed=0) < 1e-9


def test_n_and_g_read_the_population_then_its_value():
    spec = ms.scenario_from_ms("ms 4 1 -t 1 -I 2 2 2 -n 1 2.0 -g 2 1.5 -n 2 {x} -ej 1 2 1", {"x": 0.5})
    assert spec["demes"] == [{"name": "pop1", "initial_size": 2.0},
                             {"name": "pop2", "initial_size": "x", "growth_rate": 1.5}]
    sizes = Scenario(spec).demography({"x": 0.5}).debug().population_size_trajectory([0.0, 1000.0])
    # ms: N_2(t) = 0.5 N0 exp(-1.5 t / (4 N0)) going back; N0 = 10,000
    assert sizes[:, 1] == pytest.approx([5000.0, 5000.0 * math.exp(-1.5 * 1000 / 40000)])
    assert sizes[:, 0] == pytest.approx([20000.0, 20000.0])


def test_the_replicate_count_is_the_number_of_unlinked_loci():
    scenario = Scenario(ms.scenario_from_ms("ms 270 1000 -s 1 -I 2 160 110 -ej 1 1 2", {}))
    assert scenario.design.segregating_sites == [1] * 1000
    theta = Scenario(ms.scenario_from_ms("ms 20 7 -t 3.5", {}))
    assert [locus.count for locus in theta.design.loci] == [7] and theta.design.loci[0].theta == 3.5


def test_loci_entries_give_each_locus_its_length_and_rates():
    loci = ms.parse_loci("theta=2.5 rho={r} length=500, S=4, 7, theta=1 count=3")
    assert loci == [{"theta": 2.5, "rho": "r", "sequence_length": 500.0}, {"segregating_sites": 4},
                    {"segregating_sites": 7}, {"theta": 1.0, "count": 3}]
    spec = ms.scenario_from_ms("ms 10 1 -t {theta} -r 1 100", {"theta": {"uniform": [1, 2]}, "r": 2.0}, loci=loci)
    assert spec["design"]["loci"] == [
        {"count": 1, "name": "locus1", "theta": 2.5, "rho": "r", "sequence_length": 500.0},
        {"count": 1, "name": "locus2", "rho": 1.0, "sequence_length": 100.0, "segregating_sites": 4},
        {"count": 1, "name": "locus3", "rho": 1.0, "sequence_length": 100.0, "segregating_sites": 7},
        {"count": 3, "name": "locus4", "theta": 1.0, "rho": 1.0, "sequence_length": 100.0}]
    scenario = Scenario(spec)
    length, recombination, mutation = scenario.locus_genome(scenario.design.loci[0], {"r": 2.0, "theta": 1.5})
    # theta = 4 N0 mu L and rho = 4 N0 r (L - 1) for the whole locus, as ms's -t and -r
    assert (length, mutation, recombination) == pytest.approx((500.0, 2.5 / (4e4 * 500), 2.0 / (4e4 * 499)))
    assert scenario.design.segregating_sites is None and len(scenario.design.locus_names) == 6


@pytest.mark.parametrize("text, message", [
    ("26,x", "entry 2 .*expected S alone or key=value"),
    ("theta=", "entry 1 .*expected S alone"),
    ("S=0", "S must be a whole number >= 1"),
    ("theta=two", "theta must be a number or \\{expression\\}"),
    ("26,,3", "entry 2 .*empty"),
])
def test_bad_loci_entries_are_one_clear_sentence(text, message):
    with pytest.raises(ScenarioError, match=message):
        ms.parse_loci(text)


def test_loci_and_a_replicate_count_that_disagree_are_refused():
    with pytest.raises(ScenarioError, match="nreps = 5 replicates, but loci lists 2 loci") as refused:
        ms.scenario_from_ms("ms 10 5 -s 3", {}, loci=[3, 4])
    assert refused.value.parameters == ("loci",)
    assert len(ms.scenario_from_ms("ms 10 2 -s 3", {}, loci=[3, 4])["design"]["loci"]) == 2


def test_expressions_with_spaces_are_one_value():
    spec = ms.scenario_from_ms("ms 4 1 -t 1 -I 2 2 2 -eg {T2 / 2} 1 {-(1/(T1 - T2)) * log(a / b)} -ej {T1} 1 2", {})
    assert spec["events"][0]["growth_rate"] == "-(1/(T1 - T2)) * log(a / b)"


@pytest.mark.parametrize("name, template, priors", commands(PEREZ / "ms_commands.txt"))
def test_perez_commands_give_msprimes_demography_and_the_committed_files(tmp_path, name, template, priors):
    out = tmp_path / f"{name}.toml"
    assert main(["scenario", "from-ms", template, "--priors", priors, "--name", name,
                 "--loci", "26,3,12,9,21,8,13,22,18,7,7,24,14,11",
                 "--populations", "JFE,ITAPMN,BOVEDBODA,INAMEN,COC", "--out", str(out)]) == 0
    assert out.read_text() == (PEREZ / f"{name}.toml").read_text()
    (scenario,) = load_toml(str(out))
    assert compare_with_mspms(scenario, template, draws=10, seed=2) < 1e-9


# Kirschner et al.'s simulate_Esegueriana.py: its three ms format strings and argument lists, verbatim but for
# %f written %r (full precision) and the drawn values taken from the scenario's draw.
STUDY = {
    "model1_split_migration": (
        "ms %d 1000 -s 1 -t %r -I 2 %d %d -n 2 %r -em %r 1 2 %r -em %r 2 1 %r -em %r 1 2 %r -em %r 2 1 %r -ej %r 1 2",
        lambda v: (270, v["Theta"], 160, 110, v["NeZ"], v["coalT3"], v["m12_LGM"], v["coalT3"], v["m21_LGM"],
                   v["coalT2"], v["m12_Pl"], v["coalT2"], v["m21_Pl"], v["coalT1"])),
    "model2_expansion_both": (
        "ms %d 1000 -s 1 -t %r -I 2 %d %d -n 2 %r -en %r 1 %r -en %r 2 %r -em %r 1 2 %r -em %r 2 1 %r -eg %r 1 %r "
        "-eg %r 2 %r -em %r 1 2 %r -em %r 2 1 %r -eg %r 1 0 -eg %r 2 0 -ej %r 1 2",
        lambda v: (270, v["Theta"], 160, 110, v["NeZ"], v["coalT3"], v["NeExZLGM"], v["coalT3"], v["NeZLGM"],
                   v["coalT3"], v["m12_LGM"], v["coalT3"], v["m21_LGM"], v["coalT2"], v["GrowthExZ"], v["coalT2"],
                   v["GrowthZ"], v["coalT2"], v["m12_Pl"], v["coalT2"], v["m21_Pl"], v["coalT1Growth"],
                   v["coalT1Growth"], v["coalT1"])),
    "model3_expansion_zonal": (
        "ms %d 1000 -s 1 -t %r -I 2 %d %d -n 2 %r -en %r 2 %r -em %r 1 2 %r -em %r 2 1 %r -eg %r 2 %r -em %r 1 2 %r "
        "-em %r 2 1 %r -eg %r 2 0 -ej %r 1 2",
        lambda v: (270, v["Theta"], 160, 110, v["NeZ"], v["coalT3"], v["NeZLGM"], v["coalT3"], v["m12_LGM"],
                   v["coalT3"], v["m21_LGM"], v["coalT2"], v["GrowthZ"], v["coalT2"], v["m12_Pl"], v["coalT2"],
                   v["m21_Pl"], v["coalT1Growth"], v["coalT1"])),
}


def study_command(name: str, parameters: dict) -> str:
    """The study's ms command for drawn parameters, computed as simulate_Esegueriana.py computes it."""
    v = dict(parameters)
    coalescent = v["genlen"] * 4.0 * v["Ne"]
    v["Theta"] = 4 * v["Ne"] * 7.0e-9 * 85
    if "T1G" in v:  # T1 ~ U(T1Growth, 2.4e6), written T1G + fT1 (2.4e6 - T1G) with fT1 ~ U(0, 1)
        v["T1Growth"], v["T1"] = v["T1G"], v["T1G"] + v["fT1"] * (2400000 - v["T1G"])
        v["coalT1Growth"] = v["T1Growth"] / coalescent
    v["coalT3"], v["coalT2"], v["coalT1"] = v["T3"] / coalescent, v["T2"] / coalescent, v["T1"] / coalescent
    for lineage in ("ExZ", "Z"):
        if f"Ne{lineage}LGM" in v:
            v[f"Growth{lineage}"] = -(1 / (v["coalT1Growth"] - v["coalT2"])) * math.log(
                v[f"Ne{lineage}Pl"] / v[f"Ne{lineage}LGM"])
    text, arguments = STUDY[name]
    return text % arguments(v)


@pytest.mark.parametrize("name, template, priors", commands(STEPPE / "ms_commands.txt"))
def test_steppe_scenarios_are_from_ms_of_the_published_commands_and_match_msprime(tmp_path, name, template, priors):
    out = tmp_path / f"{name}.toml"
    assert main(["scenario", "from-ms", template, "--priors", priors, "--name", name,
                 "--populations", "extrazonal,zonal", "--out", str(out)]) == 0
    assert out.read_text() == (STEPPE / f"{name}.toml").read_text(), "the example's file is from-ms's, unedited"
    (scenario,) = load_toml(str(out))
    assert scenario.design.segregating_sites == [1] * 1000 and scenario.design.samples == [160, 110]
    assert compare_with_mspms(scenario, template, draws=10, seed=3,
                              numeric=lambda _, parameters: study_command(name, parameters)) < 1e-9


@pytest.mark.parametrize("name", sorted(STEPPE.glob("model*.toml")), ids=lambda p: p.stem)
def test_steppe_scenarios_simulate_a_replicate(name):
    (scenario,) = load_toml(str(name))
    spec = scenario.spec
    spec["design"]["loci"][0]["count"] = 20  # tiny: 20 of the 1,000 loci
    genotypes = simulate_replicate(Scenario(spec), 1)["genotypes"]
    assert genotypes.shape == (270, 20) and set(np.unique(genotypes)) <= {0, 1}
    assert (genotypes.sum(axis=0) > 0).all() and (genotypes.sum(axis=0) < 270).all()


def test_the_steppe_script_writes_the_committed_files(tmp_path):
    for path in ("make_scenarios.sh", "ms_commands.txt"):
        (tmp_path / path).write_bytes((STEPPE / path).read_bytes())
    subprocess.run(["bash", str(tmp_path / "make_scenarios.sh")], cwd=tmp_path, check=True, capture_output=True,
                   env={"PYTHON": sys.executable, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    for toml in STEPPE.glob("model*.toml"):
        assert (tmp_path / toml.name).read_text() == toml.read_text()


@pytest.mark.parametrize("command, message", [
    ("ms 4 1 -t 1 -I 2 2 2 -n 3 1.0", "-n 3 is not a population \\(1 to 2\\)"),
    ("ms 4 1 -t 1 -I 2 2 2 -g 1", "expected -g's growth rate at the end"),
    ("ms 4 1 -t 1 -I 2 2 2 -n 1.5 2", "-n's population must be an integer, got '1.5'"),
    ("ms 1 1 -t 1", "nsam >= 2 haplotypes and nreps >= 1"),
    ("ms 4 0 -t 1", "nsam >= 2 haplotypes and nreps >= 1"),
    ("ms 4 1 -t 1 -eN {T 1", "-eN's time must be a number or \\{expression\\}, got '\\{T 1'"),
])
def test_bad_ms_commands_name_the_option_and_the_value(command, message):
    with pytest.raises(ScenarioError, match=message):
        ms.scenario_from_ms(command, {})
