"""Library errors name parameters, not command-line flags: ``SettingError`` and where it is raised."""

import ast
import pathlib
import pickle

import pytest

from genomics.errors import SettingError, braces_doubled
from genomics.pipeline import TrainingConfig

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


def raised_texts(folder: pathlib.Path):
    """(file:line, every string constant of the raise statement) of each raise under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                texts = [n.value for n in ast.walk(node.exc) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                yield f"{path.relative_to(GENOMICS.parent)}:{node.lineno}", " ".join(texts)


@pytest.mark.parametrize("folder", ["pipeline", "learning"])
def test_no_error_of_the_pipeline_or_learning_mentions_a_command_line_flag(folder):
    flagged = [where for where, text in raised_texts(GENOMICS / folder) if " --" in f" {text}" or "(--" in text]
    assert not flagged, f"errors that name flags instead of parameters: {flagged}"


def test_the_flag_check_sees_a_flag(tmp_path, monkeypatch):
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "x.py").write_text('def f():\n    raise ValueError("give --window")\n')
    monkeypatch.setitem(globals(), "GENOMICS", tmp_path)
    with pytest.raises(AssertionError, match=r"pipeline/x.py:2"):
        test_no_error_of_the_pipeline_or_learning_mentions_a_command_line_flag("pipeline")
