"""Scenario files, simulation folders, bundles and data files from strangers: nothing is read or written outside
what was asked, nothing expands beyond a stated bound, and odd but real data is never a silent wrong answer."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.scenario.scenario import Scenario, ScenarioError, load_toml
from genomics.simulation.run import load_simulations, simulate
from genomics.textfile import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_VALUES, path_within

TINY = {"name": "tiny", "priors": {"N": {"log_uniform": [500, 2000]}},
        "design": {"populations": ["P"], "samples": [4], "sequence_length": 2e4},
        "demes": [{"name": "P", "initial_size": "N"}]}

SPLIT_YAML = """time_units: generations
demes:
  - name: ANC
    epochs: [{start_size: N, end_time: 1000}]
  - name: A
    ancestors: [ANC]
    epochs: [{start_size: N}]
"""
YAML_TOML = ('name = "yaml_split"\ndemes_yaml = "{file}"\n[priors]\nN = {{ log_uniform = [500, 2000] }}\n'
             '[design]\npopulations = ["A"]\nsamples = [2]\nsequence_length = 1e3\n')


# ---------------------------------------------------------------- scenario names become file names
@pytest.mark.parametrize("name", ["../x", "/tmp/evil", "a/b", "..", ".hidden", "", "x" * 65, "a b", "a\0b", 5])
def test_a_scenario_name_that_is_not_an_identifier_is_refused_when_read(name):
    with pytest.raises(ScenarioError, match=r"a scenario's name must be 1 to 64 letters, digits"):
        Scenario(dict(TINY, name=name))


@pytest.mark.parametrize("name", ["tiny", "model_1", "Model-2.b", "1", "_x"])
def test_ordinary_scenario_names_are_accepted(name):
    assert Scenario(dict(TINY, name=name)).name == name


def test_a_scenario_file_naming_its_scenario_out_of_the_folder_writes_nothing_outside(tmp_path):
    (tmp_path / "s.toml").write_text(
        'name = "../../outside"\n[priors]\nN = 1000.0\n[design]\npopulations = ["P"]\nsamples = [2]\n'
        'sequence_length = 1e3\n[[demes]]\nname = "P"\ninitial_size = "N"\n')
    with pytest.raises(ScenarioError, match=r"s.toml: a scenario's name must be .* got '../../outside'"):
        load_toml(str(tmp_path / "s.toml"))


def test_the_shard_writer_refuses_a_file_outside_its_folder(tmp_path):
    scenario = Scenario(TINY)
    scenario.name = "../escaped"  # as if a name had slipped past the checks
    with pytest.raises(ValueError, match=r"the shard '../escaped-00000.npz' leads outside that folder"):
        simulate([scenario], 1, str(tmp_path / "out"), workers=1, progress=False)
    assert not (tmp_path / "escaped-00000.npz").exists()


# ---------------------------------------------------------------- manifests naming files outside their folder
@pytest.mark.parametrize("shard", ["/etc/passwd", "../elsewhere.npz", "sub/../../elsewhere.npz", ""])
def test_a_manifest_naming_a_shard_outside_its_folder_is_refused(tmp_path, shard):
    out = tmp_path / "sims"
    simulate([Scenario(TINY)], 1, str(out), workers=1, progress=False)
    (tmp_path / "elsewhere.npz").write_bytes((out / "tiny-00000.npz").read_bytes())
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["scenarios"][0]["shards"] = [shard]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"manifest's shard .* (leads outside that folder|is not a relative file)"):
        load_simulations(str(out))


def test_a_shard_linked_out_of_its_folder_is_refused(tmp_path):
    out = tmp_path / "sims"
    simulate([Scenario(TINY)], 1, str(out), workers=1, progress=False)
    os.replace(out / "tiny-00000.npz", tmp_path / "moved.npz")
    os.symlink(tmp_path / "moved.npz", out / "tiny-00000.npz")
    with pytest.raises(ValueError, match="leads outside that folder"):
        load_simulations(str(out))


def test_paths_inside_the_folder_are_kept(tmp_path):
    assert path_within(str(tmp_path), "a/b.npz", "shard") == os.path.join(str(tmp_path), "a/b.npz")
    assert path_within(str(tmp_path), "a/../b.npz", "shard") == os.path.join(str(tmp_path), "a/../b.npz")


# ---------------------------------------------------------------- YAML and TOML that expand beyond a bound
def alias_bomb(levels):
    """A YAML document of nested aliases: level k lists level k - 1 nine times (9**levels values, a few hundred
    bytes)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, levels + 1)]
    return "time_units: generations\n" + "\n".join(lines) + "\ndemes:\n  - name: A\n    epochs: [{start_size: 1000}]\n"


def test_a_yaml_alias_bomb_is_refused_in_one_sentence(tmp_path):
    bomb = alias_bomb(9)  # 9**10 = 3.5 billion values once expanded
    assert len(bomb) < 1000
    (tmp_path / "bomb.yaml").write_text(bomb)
    (tmp_path / "s.toml").write_text(YAML_TOML.format(file="bomb.yaml"))
    with pytest.raises(ScenarioError, match=rf"bomb.yaml: the demes YAML file expands to more than "
                                            rf"{MAX_DOCUMENT_VALUES} values \(YAML aliases count at each use\)"):
        load_toml(str(tmp_path / "s.toml"))


def test_a_yaml_alias_of_itself_is_refused(tmp_path):
    (tmp_path / "loop.yaml").write_text("time_units: generations\nx: &x [*x, *x]\ndemes: []\n")
    (tmp_path / "s.toml").write_text(YAML_TOML.format(file="loop.yaml"))
    with pytest.raises(ScenarioError, match=r"loop.yaml: the demes YAML file (expands to more|nests tables)"):
        load_toml(str(tmp_path / "s.toml"))


def test_a_few_aliases_are_still_read(tmp_path):
    (tmp_path / "split.yaml").write_text(SPLIT_YAML.replace("epochs: [{start_size: N, end_time: 1000}]",
                                                            "epochs: [&e {start_size: N, end_time: 1000}]"))
    (tmp_path / "s.toml").write_text(YAML_TOML.format(file="split.yaml"))
    assert load_toml(str(tmp_path / "s.toml"))[0].name == "yaml_split"


@pytest.mark.parametrize("content, message", [
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nests tables or "),
    ("a = [" + "1, " * 400_000 + "]\n", f"larger than {MAX_DOCUMENT_BYTES} bytes"),
    ("a = [" + "1," * 120_000 + "]\n", f"expands to more than {MAX_DOCUMENT_VALUES} values"),
])
def test_toml_files_beyond_the_bounds_are_refused_in_one_sentence(tmp_path, content, message):
    (tmp_path / "s.toml").write_text(content)
    with pytest.raises(ScenarioError, match=message):
        load_toml(str(tmp_path / "s.toml"))


def test_deeply_nested_yaml_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "deep.yaml").write_text("demes: " + "[" * 20_000 + "]" * 20_000 + "\n")
    (tmp_path / "s.toml").write_text(YAML_TOML.format(file="deep.yaml"))
    with pytest.raises(ScenarioError, match=r"deep.yaml: the demes YAML file nests"):
        load_toml(str(tmp_path / "s.toml"))


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.yaml"])
def test_a_demes_yaml_outside_the_scenario_files_folder_is_refused(tmp_path, name):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (tmp_path / "outside.yaml").write_text(SPLIT_YAML)
    (folder / "s.toml").write_text(YAML_TOML.format(file=name))
    with pytest.raises(ScenarioError, match=r"the demes_yaml file .* (leads outside|is not a relative file name)"):
        load_toml(str(folder / "s.toml"))


# ---------------------------------------------------------------- VCF records that are not what they seem
VCF_HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=1,length=100000>\n"
              '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
              '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\ts3\ts4\n")
GOOD = [("100", "A", "G", "GT", ["0|1", "1|1", "0|0", "0|1"]), ("500", "T", "C", "GT", ["1|1", "0|0", "0|1", "1|0"])]


def read_rows(tmp_path, rows, prefix="", max_missing=0.0):
    from genomics.observed import vcf
    from genomics.scenario.design import SamplingDesign

    path = tmp_path / "v.vcf"
    text = VCF_HEADER + "".join("\t".join(["1", pos, ".", ref, alt, ".", "PASS", ".", form, *calls]) + "\n"
                                for pos, ref, alt, form, calls in rows)
    path.write_bytes(prefix.encode() + text.encode())
    (tmp_path / "pops.txt").write_text("s1 A\ns2 A\ns3 B\ns4 B\n")
    return vcf.read_vcf(str(path), vcf.read_population_map(str(tmp_path / "pops.txt")),
                        SamplingDesign(["A", "B"], [4, 4], ploidy=1), max_missing=max_missing)


@pytest.mark.parametrize("alt, key", [("*", "dropped_spanning_deletion"), ("A", "dropped_alt_same_as_ref"),
                                      ("a", "dropped_alt_same_as_ref"), (".", "dropped_no_alt_allele")])
def test_spanning_deletions_and_records_without_variation_are_not_snps(tmp_path, alt, key):
    odd = ("300", "A", alt, "GT", ["0|1", "1|1", "0|0", "0|1"] if alt != "." else ["0|0"] * 4)
    data = read_rows(tmp_path, [GOOD[0], odd, GOOD[1]], max_missing=1.0)
    assert data.positions.tolist() == [100, 500]
    assert data.report[key] == 1 and data.report["dropped_not_biallelic_snp"] == 1
    assert any(warning.startswith("dropped 1 records") for warning in data.report["warnings"])


def test_records_at_position_zero_or_below_are_dropped_and_counted(tmp_path):
    rows = [("0", "A", "G", "GT", ["0|1", "1|1", "0|0", "0|1"]), ("-3", "C", "T", "GT", ["0|1", "1|1", "0|0", "0|1"]),
            *GOOD]
    data = read_rows(tmp_path, rows)
    assert data.positions.tolist() == [100, 500] and data.report["sites_kept"] == 2
    assert data.report["dropped_position_not_positive"] == 2
    assert "dropped 2 records at POS <= 0, outside every window" in data.report["warnings"]


@pytest.mark.parametrize("position", ["3000000000", "-3000000000", "1" * 5000])
def test_a_position_beyond_32_bits_is_refused_naming_the_line(tmp_path, position):
    rows = [GOOD[0], (position, "C", "T", "GT", ["0|1", "1|1", "0|0", "0|1"])]
    with pytest.raises(ValueError, match=rf"v.vcf, line 7: POS {position[:20]} is beyond 2147483647"):
        read_rows(tmp_path, rows)


def test_a_position_that_is_not_a_number_is_refused_naming_the_line(tmp_path):
    rows = [GOOD[0], ("12a", "C", "T", "GT", ["0|1", "1|1", "0|0", "0|1"])]
    with pytest.raises(ValueError, match=r"v.vcf, line 7: POS must be a whole number, got '12a'"):
        read_rows(tmp_path, rows)


def test_gt_is_read_where_format_puts_it(tmp_path):
    rows = [("100", "A", "G", "DP:GT", ["12:0|1", "7:1|1", "3:0|0", "9:0|1"]), GOOD[1]]
    data = read_rows(tmp_path, rows)
    assert data.report["call_ploidy"] == [2]
    assert data.haplotypes[:, 0].tolist() == [0, 1, 1, 1, 0, 0, 0, 1]


def test_a_record_without_gt_is_refused_naming_the_line(tmp_path):
    rows = [GOOD[0], ("300", "A", "G", "DP", ["12", "7", "3", "9"])]
    with pytest.raises(ValueError, match=r"v.vcf, line 7: FORMAT is 'DP', without GT: the record holds no genotype"):
        read_rows(tmp_path, rows)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    data = read_rows(tmp_path, GOOD, prefix="\ufeff")
    assert data.positions.tolist() == [100, 500] and data.report["byte_order_mark"]
    assert data.haplotypes[:, 0].tolist() == [0, 1, 1, 1, 0, 0, 0, 1]


# ---------------------------------------------------------------- ms output out of range
@pytest.mark.parametrize("positions, message", [
    ("0.1 1.5", r"out.ms, line 3: replicate 1 has the position 1.5, outside \[0, 1\] where ms writes positions"),
    ("-0.2 0.5", r"replicate 1 has the position -0.2, outside \[0, 1\]"),
    ("0.7 0.1", r"replicate 1 has the position 0.1 after 0.7; ms writes positions in increasing order"),
])
def test_ms_positions_outside_the_unit_interval_or_out_of_order_are_refused(tmp_path, positions, message):
    from genomics.scenario import ms
    from genomics.observed import ms_output

    (tmp_path / "out.ms").write_text(f"//\nsegsites: 2\npositions: {positions}\n01\n11\n00\n")
    with pytest.raises(ValueError, match=message):
        ms_output.read_ms_output(str(tmp_path / "out.ms"))


def test_ms_positions_as_ms_prints_them_are_read(tmp_path):
    from genomics.scenario import ms
    from genomics.observed import ms_output

    """ms prints positions to 4 decimals: ties, and 1.0000 for a position above 0.99995, are ms's own output."""
    (tmp_path / "out.ms").write_text("//\nsegsites: 4\npositions: 0.0000 0.5000 0.5000 1.0000\n0110\n1100\n0001\n")
    (genotypes, positions), = ms_output.read_ms_output(str(tmp_path / "out.ms"))
    assert positions.tolist() == [0.0, 0.5, 0.5, 1.0] and genotypes.shape == (3, 4)


# ---------------------------------------------------------------- bundles and the folders they are scored on
SMALL = {"name": "small", "priors": {"N": {"log_uniform": [300, 1000]}},
         "design": {"populations": ["P"], "samples": [4], "sequence_length": 2e4, "mutation_rate": 1e-7},
         "demes": [{"name": "P", "initial_size": "N"}]}
LARGE = dict(SMALL, name="large", priors={"N": {"log_uniform": [3000, 10000]}})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from genomics import pipeline

    folder = tmp_path_factory.mktemp("bundle")
    simulate([Scenario(SMALL), Scenario(LARGE)], 16, str(folder / "sims"), master_seed=1, workers=1, progress=False)
    simulate([Scenario(SMALL), Scenario(LARGE)], 4, str(folder / "fresh"), master_seed=2, workers=1, progress=False)
    swapped = [Scenario(dict(LARGE, name="small")), Scenario(dict(SMALL, name="large"))]  # names kept, models swapped
    simulate(swapped, 4, str(folder / "swapped"), master_seed=2, workers=1, progress=False)
    config = pipeline.TrainingConfig(epochs=1, test_fraction=0.25, validation_fraction=0.25, calibration_fraction=0.25)
    result = pipeline.train(str(folder / "sims"), str(folder / "run"), config, encoder={"n_snps": 16}, verbose=0)
    return folder, result["bundle"]


def test_evaluate_calibrate_and_check_refuse_scenarios_with_the_bundles_names_but_other_definitions(bundle):
    from genomics.baselines import adequacy
    from genomics import pipeline

    folder, path = bundle
    assert pipeline.evaluate(path, str(folder / "fresh")).samples == 8
    message = (r"swapped': scenario 'small' has the model's name but another definition: priors.N.log_uniform\[0\] "
               r"is 3000 there and 300 in the model's training scenarios")
    with pytest.raises(ValueError, match=message):
        pipeline.evaluate(path, str(folder / "swapped"))
    with pytest.raises(ValueError, match=message):
        pipeline.calibrate_bundle(path, str(folder / "swapped"), str(folder / "recalibrated.npz"))
    assert not (folder / "recalibrated.npz").exists()
    with pytest.raises(ValueError, match=message):  # predict --check and check --bundle
        adequacy.reference(str(folder / "swapped"), path, per_scenario=4)


def test_a_description_alone_may_differ():
    from genomics.simulation.store import check_same_scenarios

    spec = Scenario(SMALL).spec
    metadata = {"scenario_names": ["small"], "scenario_specs": [spec]}
    check_same_scenarios(metadata, {"scenarios": [{"name": "small", "spec": dict(spec, description="x")}]}, "f")
    with pytest.raises(ValueError, match=r"design.samples\[0\] is 5 there and 4"):
        changed = json.loads(json.dumps(spec))
        changed["design"]["samples"] = [5]
        check_same_scenarios(metadata, {"scenarios": [{"name": "small", "spec": changed}]}, "f")


@pytest.mark.parametrize("temperature", [0.0, -1.097, float("nan"), float("inf"), "1.0", True])
def test_a_bundle_whose_temperature_is_not_a_positive_number_is_refused_at_load(bundle, temperature):
    import minidl
    from genomics.bundle import Bundle

    folder, path = bundle
    loaded = Bundle.load(path)
    model, metadata = loaded.model, loaded.metadata
    assert loaded.temperature > 0
    bad = str(folder / "bad_temperature.npz")
    model.save(bad, metadata={**metadata, "calibration": {**metadata["calibration"], "temperature": temperature}})
    assert minidl.load_model(bad) is not None
    with pytest.raises(ValueError, match=rf"bad_temperature.npz': the bundle's temperature is .*; a temperature "
                                         "must be a finite number > 0"):
        Bundle.load(bad)


def test_data_without_a_segregating_site_are_refused_before_any_prediction(bundle, tmp_path):
    from genomics.observed import readers
    from genomics import pipeline

    _, path = bundle
    design = pipeline.bundle_design(path)
    (tmp_path / "none.ms").write_text("//\nsegsites: 0\n\n")
    no_sites, = readers.read_ms(str(tmp_path / "none.ms"), design)
    (tmp_path / "same.ms").write_text("//\nsegsites: 2\npositions: 0.1 0.2\n" + "01\n" * 8)
    identical, = readers.read_ms(str(tmp_path / "same.ms"), design)
    for data in (no_sites, identical):
        with pytest.raises(ValueError, match=r"data set 1 \(.*\.ms\) has no segregating site \(\d sites, each with "
                                             r"one allele\): there is nothing to predict from"):
            pipeline.predict_genotypes(path, [data])


@pytest.mark.parametrize("prior, message", [
    ({"uniform": [0, float("inf")]}, r"prior 'N': uniform expects 2 numbers, each finite, got \[0, inf\]"),
    ({"log_uniform": [float("nan"), 10]}, "log_uniform expects 2 numbers, each finite"),
    ({"uniform": [True, 3]}, "uniform expects 2 numbers, each finite"),
    (float("inf"), "a fixed value must be a finite number, got inf"),
])
def test_priors_with_infinite_or_missing_bounds_are_refused(prior, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario(dict(TINY, priors={"N": prior}))


@pytest.mark.parametrize("entry, message", [
    ({"members": 10**9, "member_temperatures": [1.0, 2.0]},
     "says its ensemble has 1000000000 members, but it holds the weights of 2 networks"),
    ({"members": "2", "member_temperatures": [1.0, 2.0]}, "says its ensemble has '2' members"),
    ({"members": 2, "member_temperatures": [1.0]}, r"lists the temperatures \[1.0\], not one per member"),
    ({"members": 2, "member_temperatures": [1.0, -2.0]}, "the bundle's ensemble member 1's temperature is -2.0"),
])
def test_an_ensemble_bundle_that_miscounts_its_members_or_temperatures_is_refused(bundle, entry, message):
    from genomics.bundle import Bundle
    from genomics.learning.ensemble import Ensemble

    folder, path = bundle
    loaded = Bundle.load(path)
    model, metadata = loaded.model, loaded.metadata
    out = str(folder / "ensemble.npz")
    model.save(out, metadata={**metadata, "ensemble": {"members": 2, "member_temperatures": [1.0, 2.0]}},
               extra_weights={"member_1": model.get_weights()})
    assert isinstance(Bundle.load(out).model, Ensemble)
    model.save(out, metadata={**metadata, "ensemble": entry}, extra_weights={"member_1": model.get_weights()})
    with pytest.raises(ValueError, match=message):
        Bundle.load(out)


# ---------------------------------------------------------------- expressions fuzzed: a value or one sentence
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=list("0123456789.eE+-*/() ,abNlogexpsqrtminax_'[]:\\\"\n"), max_size=40))
def test_any_text_is_a_finite_value_or_one_scenario_error(text):
    import math

    from genomics.scenario.expressions import evaluate, names_in, value_range

    try:
        names = names_in(text, "value")
        value = evaluate(text, {name: 1.5 for name in names})
        assert math.isfinite(value)
        low, high = value_range(text, {name: (1.0, 2.0) for name in names})
        assert low <= value <= high
    except ScenarioError as error:
        assert "\n" not in str(error).replace(repr(text), "")
