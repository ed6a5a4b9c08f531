"""ms command lines become scenarios that simulate what ms's theory expects; ms output files are read back."""

import math

import numpy as np
import pytest

from genomics.scenario import ms
from genomics.observed import ms_output
from genomics.cli.main import main
from genomics.scenario.scenario import Scenario, ScenarioError, load_toml
from genomics.simulation.run import simulate_replicate
from tests.genomics.test_theory import assert_mean_within_sampling_error, hudson_fst, mean_pairwise_differences


def simulate(command, priors="", count=300):
    scenario = Scenario(ms.scenario_from_ms(command, ms.parse_priors(priors)))
    return [simulate_replicate(scenario, seed)["genotypes"] for seed in range(1, count + 1)]


def test_one_population_pi_and_s_follow_theta():
    genotypes = simulate("ms 20 1 -t {theta}", "theta=6")
    a_n = sum(1 / i for i in range(1, 20))
    assert_mean_within_sampling_error([mean_pairwise_differences(g) for g in genotypes], 6.0)
    assert_mean_within_sampling_error([g.shape[1] for g in genotypes], 6.0 * a_n)


def test_segregating_sites_are_exactly_s():
    for g in simulate("ms 12 1 -s 7 -t 3", count=20):
        assert g.shape == (12, 7)
        assert ((g.sum(axis=0) > 0) & (g.sum(axis=0) < 12)).all()  # every site segregates


def test_a_join_gives_fst_2t_over_1_plus_2t():
    """-ej T 2 1 with equal sizes: E[pi_w] = theta, E[pi_b] = theta (1 + 2T) (T in 4 N0 generations)."""
    genotypes = simulate("ms 20 1 -t 5 -I 2 10 10 -ej {T} 2 1", "T=0.5", count=300)
    fst, within, between = hudson_fst(genotypes, n_a=10)
    assert within == pytest.approx(5.0, rel=0.15)
    assert between == pytest.approx(5.0 * 2.0, rel=0.15)
    assert fst == pytest.approx(0.5, abs=0.06)


def test_the_island_model_gives_fst_1_over_1_plus_2m():
    """-I 2 n n M: E[pi_w] = 2 theta (d = 2 demes), E[pi_b] = 2 theta + theta / M, so F_ST = 1 / (1 + 2M)."""
    genotypes = simulate("ms 20 1 -t 4 -I 2 10 10 1.0", count=300)
    fst, within, between = hudson_fst(genotypes, n_a=10)
    assert within == pytest.approx(8.0, rel=0.15)
    assert between == pytest.approx(12.0, rel=0.15)
    assert fst == pytest.approx(1 / 3, abs=0.06)


def test_an_asymmetric_migration_matrix_is_kept_per_direction():
    spec = ms.scenario_from_ms("ms 4 1 -t 1 -I 2 2 2 -m 1 2 {M} -em 0.5 2 1 3.0", ms.parse_priors("M=uniform(0,5)"))
    migrations = [e for e in spec["events"] if e["type"].startswith("migration")]
    assert migrations == [{"type": "migration", "source": "pop1", "dest": "pop2", "rate": "M"},
                          {"type": "migration_change", "time": 0.5, "source": "pop2", "dest": "pop1", "rate": 3.0}]
    scenario = Scenario(spec)
    demography = scenario.demography({"M": 2.0})
    assert demography.migration_matrix[0, 1] == pytest.approx(2.0 / (4 * scenario.reference_size))
    assert demography.migration_matrix[1, 0] == 0.0


def test_ms_es_sends_lineages_to_a_new_population_with_probability_1_minus_p():
    spec = ms.scenario_from_ms("ms 4 1 -t 1 -es 0.1 1 0.7 -ej 0.3 2 1", {})
    assert [d["name"] for d in spec["demes"]] == ["pop1", "pop2"]
    pulse = spec["events"][0]
    assert pulse["type"] == "pulse" and pulse["proportion"] == pytest.approx(0.3)
    Scenario(spec)


@pytest.mark.parametrize("command, message", [
    ("ms 10 1 -t 2 -I 2 4 4", "add up to 8, not nsam = 10"),
    ("ms 10 1 -t 2 -ej 0.1 3 1", "-ej 3 is not a population"),
    ("ms 10 1 -t two", "-t's theta must be a number"),
    ("ms 10 1 -t 2 -q 1", "unknown option '-q'"),
    ("ms 10 1", "give -s"),
])
def test_bad_ms_commands_are_one_clear_error(command, message):
    with pytest.raises(ScenarioError, match=message):
        ms.scenario_from_ms(command, {})


def test_from_ms_writes_a_toml_that_loads_to_the_same_scenario(tmp_path, capsys):
    out = tmp_path / "model.toml"
    assert main(["scenario", "from-ms", "ms 64 1 -s 26 -t {theta} -I 5 8 12 20 16 8 -ej 0 2 4 -ej 0 5 4 -ej 0 3 4 "
                 "-ej {T} 1 4",
                 "--priors", "theta=uniform(1,15),T=uniform(0.5,5)", "--name", "m1", "--loci", "26,3,12",
                 "--populations", "JFE,ITAPMN,BOVEDBODA,INAMEN,COC", "--out", str(out)]) == 0
    (scenario,) = load_toml(str(out))
    assert scenario.name == "m1" and scenario.units == "coalescent"
    assert scenario.design.segregating_sites == [26, 3, 12]
    assert scenario.design.populations == ["JFE", "ITAPMN", "BOVEDBODA", "INAMEN", "COC"]
    assert scenario.spec["events"][0] == {"type": "join", "time": 0.0, "source": "ITAPMN", "dest": "INAMEN"}
    assert scenario.spec["events"][-1] == {"type": "join", "time": "T", "source": "JFE", "dest": "INAMEN"}
    genotypes = simulate_replicate(scenario, 1)["genotypes"]
    assert genotypes.shape == (64, 41)
    assert main(["scenario", "from-ms", "ms 10 1 -t {theta}", "--priors", "theta=gauss(1,2)"]) == 2
    assert "cannot read" not in capsys.readouterr().out


def test_ms_output_is_read_back_with_positions_and_checked(tmp_path):
    path = tmp_path / "out.ms"
    path.write_text("ms 3 2 -s 2\n1 2 3\n\n//\nsegsites: 2\npositions: 0.1 0.7\n01\n11\n00\n\n"
                    "//\nsegsites: 0\n\n")
    (g1, p1), (g2, p2) = ms_output.read_ms_output(str(path), haplotypes=3)
    np.testing.assert_array_equal(g1, [[0, 1], [1, 1], [0, 0]])
    np.testing.assert_allclose(p1, [0.1, 0.7])
    assert g2.shape == (3, 0)
    bad = tmp_path / "bad.ms"
    bad.write_text("//\nsegsites: 2\npositions: 0.1 0.7\n01\n1x\n")
    with pytest.raises(ValueError, match=r"bad.ms, line 5: expected 2 characters 0 or 1"):
        ms_output.read_ms_output(str(bad))
    with pytest.raises(ValueError, match="a replicate has 3 haplotypes, the design 4"):
        ms_output.read_ms_output(str(path), haplotypes=4)


def test_the_reference_size_does_not_change_coalescent_unit_results():
    """Times and rates scale with N0 together: the same seed gives the same genealogy shape in ms units."""
    pis = {}
    for reference in (1e3, 1e5):
        spec = ms.scenario_from_ms("ms 10 1 -t 3", {})
        spec["reference_size"] = reference
        scenario = Scenario(spec)
        pis[reference] = np.mean([mean_pairwise_differences(simulate_replicate(scenario, s)["genotypes"])
                                  for s in range(1, 200)])
    assert pis[1e3] == pytest.approx(pis[1e5], rel=0.2)
    assert math.isfinite(pis[1e3])


def test_full_migration_matrices_are_read_row_by_row_skipping_the_diagonal():
    spec = ms.scenario_from_ms("ms 4 1 -t 1 -I 2 2 2 -ma x 1.5 {M} x -ema 0.5 2 x 0 2.0 x -ej 1 2 1",
                               ms.parse_priors("M=uniform(0,1)"))
    assert [(e["type"], e["source"], e["dest"], e["rate"]) for e in spec["events"] if "migration" in e["type"]] == [
        ("migration", "pop1", "pop2", 1.5), ("migration", "pop2", "pop1", "M"),
        ("migration_change", "pop1", "pop2", 0.0), ("migration_change", "pop2", "pop1", 2.0)]
