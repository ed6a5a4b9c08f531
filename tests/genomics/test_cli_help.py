"""The command line explains itself: every option of every subcommand has a help text, defaults are said once,
seeds have one name per meaning, library errors are told in flags, and printed tables are labelled in full."""

import argparse
import re

import numpy
import pytest

from genomics.cli import report
from genomics.cli.main import in_flags, main
from genomics.cli.parser import option_names, parser
from genomics.errors import SettingError


def subcommands(command_parser: argparse.ArgumentParser, prefix: tuple = ()) -> list:
    """(names, parser) of every subcommand, nested ones (``scenario from-ms``) included."""
    found = []
    for action in command_parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append((prefix + (name,), child))
                found.extend(subcommands(child, prefix + (name,)))
    return found


ALL = subcommands(parser())


@pytest.mark.parametrize("names, command_parser", ALL, ids=[" ".join(names) for names, _ in ALL])
def test_every_option_says_what_it_does_and_its_default_once(names, command_parser):
    text = command_parser.format_help()
    flat = " ".join(text.split())
    assert not re.search(r"\(default[^()]*\)\s*\(default", flat), f"a doubled default in: {flat}"
    assert "leave out theta_H" not in flat
    for action in command_parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            assert action.help, f"genomics {' '.join(names)} {action.option_strings[0]} has no help"


def test_the_help_of_every_subcommand_renders_through_main(capsys):
    for names, _ in ALL:
        with pytest.raises(SystemExit) as stopped:
            main([*names, "--help"])
        assert stopped.value.code == 0
        assert capsys.readouterr().out.startswith("usage: genomics " + " ".join(names))


def test_no_seed_option_means_several_things():
    """--seed survives only as a deprecated name of one seed; the demo's four seeds have a name each."""
    for names, command_parser in ALL:
        for action in command_parser._actions:
            if "--seed" in action.option_strings:
                assert "deprecated" in action.help, f"genomics {' '.join(names)}: {action.help}"
    demo = dict((names, p) for names, p in ALL)[("demo",)].format_help()
    for option in ("--simulation-seed", "--split-seed", "--init-seed", "--abc-seed"):
        assert option in demo


def test_the_old_seed_name_still_works_with_a_note(capsys):
    arguments = parser().parse_args(["simulate", "panmixia", "--replicates", "2", "--out", "x", "--seed", "7"])
    assert arguments.simulation_seed == 7
    assert "--seed is a deprecated name of --simulation-seed" in capsys.readouterr().err


def test_a_library_error_naming_parameters_is_told_in_the_commands_flags():
    flags = option_names(parser(), "train")
    error = SettingError("{stream} and {fresh_masks} cannot be combined yet: choose one")
    assert in_flags(error, flags) == "--stream and --fresh-masks cannot be combined yet: choose one"
    abc_flags = option_names(parser(), "abc")
    assert in_flags(SettingError("{seed} must be >= 0"), abc_flags) == "--abc-seed must be >= 0"
    assert in_flags(SettingError("{seed} differs from split_seed"), abc_flags) == \
        "--abc-seed differs from split_seed"


def test_table_columns_carry_whole_scenario_names(capsys):
    names = ["panmixia", "divergence_with_migration_and_growth"]
    rows = [{"data_set": "locus set 1", "adequacy": {"tail_share": [0.0, 0.896], "embedding_tail_share": [0.0, 0.5],
                                                      "adequate": True}}]
    report.adequacy_rows(rows, names, lambda row: row["data_set"])
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if "divergence_with_migration_and_growth" in line)
    assert header.index("panmixia") < header.index("divergence_with_migration_and_growth")
    statistics = next(line for line in printed.splitlines() if "summary statistics" in line)
    embedding = next(line for line in printed.splitlines() if "network embedding" in line)
    assert statistics.split()[-3:] == ["0.000", "0.896", "ok"]
    assert embedding.split()[-2:] == ["0.000", "0.500"]
    # each number sits under its scenario's name: the columns end where the names end
    assert statistics.index("0.896") + len("0.896") == header.index("growth") + len("growth")


def test_summary_rows_line_up_with_their_scenarios(capsys):
    names = ["a_very_long_scenario_name_beyond_24_characters", "b"]
    summary = {"rows": 2, "mean": numpy.array([0.25, 0.75]), "median": [0.2, 0.8], "low": [0.1, 0.6],
               "high": [0.3, 0.9], "wins": [0.0, 1.0]}
    report.summary(summary, names, "windows")
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "highest mean: b"
    assert lines[0].startswith("mean over 2 windows")


def test_each_command_is_a_short_function():
    """parse -> one library call -> print: no command function of genomics.cli.commands over 25 lines."""
    import ast
    import inspect

    from genomics.cli import commands

    tree = ast.parse(inspect.getsource(commands))
    lengths = {node.name: node.end_lineno - node.lineno + 1 for node in tree.body
               if isinstance(node, ast.FunctionDef) and node.name.startswith("command_")}
    assert len(lengths) >= 11
    assert max(lengths.values()) <= 25, lengths


def test_a_calibration_that_worsens_held_out_scores_is_warned_about(capsys):
    from genomics.learning.evaluation import network_evaluation

    labels = numpy.array([0, 1] * 50)
    logits = numpy.where(numpy.eye(2)[labels] > 0, 1.0, 0.0)  # always right, modestly confident
    report.evaluation(network_evaluation(["a", "b"], labels, logits, temperature=5.0))  # flattened: worse
    assert "WARNING: on these held-out replicates the calibration made the probabilities worse" in \
        capsys.readouterr().out
    report.evaluation(network_evaluation(["a", "b"], labels, logits, temperature=0.5))  # sharpened: better
    assert "WARNING" not in capsys.readouterr().out


def test_main_prints_a_setting_error_in_one_line_of_flags(tmp_path, capsys, monkeypatch):
    from genomics.cli import commands

    def refuse(arguments):
        raise SettingError("{on_the_fly} does not combine with {stream}: choose one")

    monkeypatch.setattr(commands, "command_train", refuse)
    assert main(["train", str(tmp_path / "sims"), "--out", str(tmp_path / "run"), "--stream"]) == 2
    assert capsys.readouterr().err == "genomics train: error: --on-the-fly does not combine with --stream: choose one\n"
