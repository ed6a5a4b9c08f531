"""Library errors name parameters, not command-line flags: ``SettingError`` and where it is raised."""

import ast
import pathlib
import pickle

import pytest

from genomics.cli.main import in_flags
from genomics.cli.parser import option_names, parser
from genomics.errors import SettingError, braces_doubled
from genomics.genotypes import GenotypesError
from genomics.observed import readers
from genomics.observed.files import ObservedFiles
from genomics.pipeline import TrainingConfig
from genomics.scenario import ms
from genomics.scenario.design import SamplingDesign
from genomics.scenario.expressions import ScenarioError
from genomics.simulation import cluster

GENOMICS = pathlib.Path(__file__).resolve().parents[2] / "genomics"


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def test_a_setting_error_reads_with_the_parameter_names_and_lists_them_in_order():
    error = SettingError("{stream} and {fresh_masks} cannot be combined yet: choose one")
    assert str(error) == "stream and fresh_masks cannot be combined yet: choose one"
    assert error.parameters == ("stream", "fresh_masks") and isinstance(error, ValueError)


def test_a_front_end_spells_each_parameter_its_own_way():
    error = SettingError("{on_the_fly} does not combine with {stream} or {task} regression; {stream} again")
    assert error.parameters == ("on_the_fly", "stream", "task")
    assert error.sentence(flag) == "--on-the-fly does not combine with --stream or --task regression; --stream again"
    assert error.sentence({"stream": "--stream"}) == ("on_the_fly does not combine with --stream or task regression; "
                                                       "--stream again")


def test_values_put_into_a_template_with_doubled_braces_are_never_taken_for_parameters():
    path = "/data/{run}/model.npz"
    error = SettingError(f"{{resume}}: {braces_doubled(repr(path))} is not a training state")
    assert error.parameters == ("resume",)
    assert str(error) == "resume: '/data/{run}/model.npz' is not a training state"
    assert error.sentence(flag) == "--resume: '/data/{run}/model.npz' is not a training state"


def test_a_setting_error_without_a_parameter_is_a_programming_error():
    with pytest.raises(TypeError, match="names at least one parameter"):
        SettingError("something is wrong")


def test_a_setting_error_survives_a_process_boundary():
    error = pickle.loads(pickle.dumps(SettingError("{window} must be given")))
    assert error.parameters == ("window",) and str(error) == "window must be given"


@pytest.mark.parametrize("settings, parameters", [
    ({"on_the_fly": 8, "stream": True}, ("on_the_fly", "stream", "fresh_masks", "task")),
    ({"network": "exchangeable", "augment": "permute"}, ("network", "augment")),
])
def test_training_settings_that_do_not_combine_are_refused_naming_the_parameters(settings, parameters):
    with pytest.raises(SettingError) as refused:
        TrainingConfig(**settings)
    assert refused.value.parameters == parameters and "--" not in str(refused.value)


def raised_texts(files):
    """(file:line, every string constant of the raise statement) of each raise in ``files`` (paths)."""
    for path in sorted(files):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                texts = [n.value for n in ast.walk(node.exc) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                yield f"{path.relative_to(GENOMICS.parent)}:{node.lineno}", " ".join(texts)


def library_folders() -> list[str]:
    """Every folder of the library (and "." for its top-level modules), the command line's ``cli`` excepted."""
    return ["."] + sorted(path.name for path in GENOMICS.iterdir()
                          if path.is_dir() and path.name != "cli" and any(path.glob("*.py")))


def test_the_scan_covers_every_folder_of_the_library_but_the_command_line():
    assert {"pipeline", "learning", "observed", "encoding", "simulation", "scenario"} <= set(library_folders())
    assert "cli" not in library_folders()


@pytest.mark.parametrize("folder", library_folders())
def test_no_error_of_the_library_mentions_a_command_line_flag(folder):
    files = GENOMICS.glob("*.py") if folder == "." else (GENOMICS / folder).rglob("*.py")
    flagged = [where for where, text in raised_texts(files) if " --" in f" {text}" or "(--" in text]
    assert not flagged, f"errors that name flags instead of parameters: {flagged}"


def test_the_flag_check_sees_a_flag(tmp_path, monkeypatch):
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "x.py").write_text('def f():\n    raise ValueError("give --window")\n')
    monkeypatch.setitem(globals(), "GENOMICS", tmp_path)
    with pytest.raises(AssertionError, match=r"pipeline/x.py:2"):
        test_no_error_of_the_library_mentions_a_command_line_flag("pipeline")


def refusal(call) -> SettingError:
    with pytest.raises(SettingError) as refused:
        call()
    return refused.value


@pytest.mark.parametrize("call, command, parameters, at_the_command_line", [
    (lambda: ObservedFiles(matrix="m.txt", invariant_loci=2).check(), "predict", ("invariant_loci",),
     "--invariant-loci describes the loci of a VCF or of .trees files; give one"),
    (lambda: ObservedFiles(vcf="g.vcf", locus_sizes="3,2", popmap="p.txt").check(), "abc", ("locus_sizes", "matrix"),
     "--locus-sizes gives the loci of a --matrix (a VCF has contigs, alignments one file per locus)"),
    (lambda: ObservedFiles(alignments=["a.fasta"]).check(), "check", ("alignments", "popmap"),
     "--alignments needs --popmap (two columns: sequence population)"),
    (lambda: ObservedFiles().check(), "posterior", ("popmap", "matrix", "ms", "alignments", "trees"),
     "give the data as exactly one of: a VCF (with --popmap), --matrix FILE, --ms FILE, --alignments FILE... "
     "(with --popmap) or --trees FILE...; got none"),
    (lambda: cluster.check_options(None, 2, 4), "simulate", ("workers", "scheduler", "dask_local"),
     "choose one of --workers, --scheduler and --dask-local, got --dask-local and --workers"),
    (lambda: cluster.check_options("{nowhere}", None, None), "compare", ("scheduler",),
     "--scheduler must be a Dask scheduler address such as tcp://10.0.0.5:8786, got '{nowhere}'"),
    (lambda: ms.scenario_from_ms("ms 10 5 -s 3", {}, loci=[3, 4]), "from-ms", ("loci",),
     "ms command: nreps = 5 replicates, but --loci lists 2 loci; with --loci, nreps must be 1 (one ms run per "
     "locus) or the number of loci"),
])
def test_library_refusals_name_parameters_and_read_as_before_at_the_command_line(call, command, parameters,
                                                                                   at_the_command_line):
    error = refusal(call)
    assert error.parameters == parameters and "--" not in str(error)
    assert in_flags(error, option_names(parser(), command)) == at_the_command_line


def test_the_specific_error_classes_still_catch_the_setting_errors_and_cross_processes():
    error = refusal(lambda: ObservedFiles(matrix="m.txt", invariant_loci=2).check())
    assert isinstance(error, GenotypesError) and str(error).startswith("invariant_loci describes")
    assert isinstance(refusal(lambda: ms.scenario_from_ms("ms 10 5 -s 3", {}, loci=[3, 4])), ScenarioError)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)


def test_a_matrix_of_ambiguous_orientation_or_coding_names_the_setting_to_give(tmp_path):
    path = tmp_path / "m{1}.txt"
    path.write_text("0 0 N 0\n" * 4)
    design = SamplingDesign.from_dict({"populations": ["a"], "samples": [4], "ploidy": 1, "sequence_length": 100})
    coding = refusal(lambda: readers.read_matrix(str(path), design, "haplotypes-by-sites"))
    assert coding.parameters == ("coding",) and str(coding).startswith(f"{path}: every value is 0")
    assert coding.sentence(flag).endswith("give the coding (--coding zero-one or --coding plus-minus)")
    path.write_text("1 0 1 0\n" * 4)
    orientation = refusal(lambda: readers.read_matrix(str(path), design, "auto"))
    assert orientation.parameters == ("orientation",)
    assert orientation.sentence(flag).endswith("give --orientation haplotypes-by-sites or sites-by-haplotypes")
