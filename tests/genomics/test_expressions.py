"""Scenario expressions: Python's arithmetic and precedence on numbers and prior names, a closed list of functions,
no recursion limit, and one sentence for anything out of range or outside the grammar."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomics.scenario.expressions import MAX_LENGTH, ScenarioError, evaluate, names_in, value_range
from genomics.scenario.scenario import Scenario

PARAMETERS = {"a": 2.5, "b": -0.5, "c": 7.0}
PYTHON_NAMESPACE = {"__builtins__": {}, "log": math.log, "exp": math.exp, "sqrt": math.sqrt, "min": min,
                    "max": max, **PARAMETERS}


def python_value(text):
    """Python's own value of the text (the reference), or None where Python fails or leaves the finite floats."""
    try:
        value = eval(text, PYTHON_NAMESPACE)  # noqa: S307 - the test's reference: texts drawn from the grammar below
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):  # TypeError: a complex compared or logged
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return float(value)


def check_against_python(text):
    expected = python_value(text)
    if expected is None:
        with pytest.raises(ScenarioError) as error:
            evaluate(text, PARAMETERS)
        assert repr(text) in str(error.value) and "\n" not in str(error.value)
    else:
        assert evaluate(text, PARAMETERS) == expected


# flat expressions: Python's precedence and associativity of + - * / ** and unary minus, without parentheses
# (float literals: Python's integers would be exact and unbounded, ours are floats)
flat_operand = st.tuples(st.sampled_from(["", "-", "- -", "+"]), st.sampled_from([*(f"{d}.0" for d in range(10)), "a", "b", "c", "1.5"]))
flat_expressions = st.tuples(flat_operand, st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]),
                                                              flat_operand), max_size=4))


@settings(max_examples=400, deadline=None)
@given(flat_expressions)
def test_precedence_and_associativity_are_pythons(drawn):
    (sign, first), rest = drawn
    text = sign + first + "".join(f" {operator} {sign}{operand}" for operator, (sign, operand) in rest)
    check_against_python(text)


# nested expressions with the functions: each subexpression's Python value decides whether the whole is refused
def combine(children):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]), children, children).map(
            lambda t: f"({t[1]}) {t[0]} ({t[2]})"),
        st.tuples(st.sampled_from(["log", "exp", "sqrt", "-"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"))


leaves = st.one_of(st.sampled_from(sorted(PARAMETERS)),
                   st.floats(-30, 30, allow_nan=False).map(lambda x: repr(abs(x)) if x >= 0 else f"({x!r})"))
nested_expressions = st.recursive(leaves, combine, max_leaves=8)


def every_subexpression_is_finite(text):
    """Whether Python gives a finite float for every parenthesised part of ``text`` (our evaluator refuses an
    expression as soon as any intermediate value leaves the finite floats; Python may come back from inf)."""
    starts = []
    for index, character in enumerate(text):
        if character == "(":
            starts.append(index)
        elif character == ")":
            start = starts.pop()
            inner = text[start + 1:index]
            if "," not in inner and python_value(inner) is None:
                return False
    return python_value(text) is not None


@settings(max_examples=400, deadline=None)
@given(nested_expressions)
def test_functions_and_arithmetic_agree_with_python_math(text):
    if every_subexpression_is_finite(text):
        assert evaluate(text, PARAMETERS) == pytest.approx(python_value(text), rel=1e-12, abs=0)
    else:
        with pytest.raises(ScenarioError, match="for the parameters"):
            evaluate(text, PARAMETERS)


def test_a_thousand_term_sum_evaluates():
    text = " + ".join(["a"] * 1000)
    assert evaluate(text, PARAMETERS) == 2500.0
    assert names_in(text, "x") == {"a"}
    assert value_range(text, {"a": (1.0, 2.0)}) == (1000.0, 2000.0)


def test_deep_nesting_has_no_recursion_limit():
    assert evaluate("-" * 15_001 + "a", PARAMETERS) == -2.5
    assert evaluate("(" * 5000 + "a" + ")" * 5000, PARAMETERS) == 2.5
    assert evaluate("1 ** " * 2000 + "a", PARAMETERS) == 1.0
    with pytest.raises(ScenarioError, match=r"^'2 \*\* 2 .*\.\.\. \(12501 characters\) gives a number beyond"):
        evaluate("2 ** " * 2500 + "1", PARAMETERS)


@pytest.mark.parametrize("text, message", [
    ("10**10**10", r"'10\*\*10\*\*10' gives a number beyond the floats' range .* at 10 \*\* 1e\+10"),
    ("a ** 10000", r"beyond the floats' range"),
    ("exp(a * 1000)", r"beyond the floats' range \(about 1.8e308\) at exp\(2500\)"),
    ("1e308 * 10", r"gives inf, beyond the floats' range"),
    ("1" + "0" * 400, r"holds the number 1000.*beyond the floats' range"),
    ("log(b)", r"'log\(b\)' takes the log of -0.5 \(log needs a number > 0\) for the parameters"),
    ("log(a - a)", r"takes the log of 0"),
    ("sqrt(b)", r"takes the square root of -0.5 \(sqrt needs a number >= 0\)"),
    ("b ** 0.5", r"raises the negative number -0.5 to the fractional power 0.5"),
    ("a / (c - 7)", r"divides by zero"),
    ("(c - 7) ** -1", r"divides by zero"),
    ("-" * 100_000 + "1", rf"is 100001 characters long; an expression may have at most {MAX_LENGTH}"),
])
def test_out_of_range_values_are_one_sentence_naming_the_expression(text, message):
    with pytest.raises(ScenarioError, match=message) as error:
        evaluate(text, PARAMETERS)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("text, message", [
    ("__import__('os')", "may only use numbers, prior names"),
    ("a.real", r"may only use .* \(found '.'\)"),
    ("a[0]", r"\(found '\['\)"),
    ("lambda: 1", r"\(found ':'\)"),
    ("open(a)", r"'open' is not one of the functions"),
    ("math.log(a)", r"\(found '.'\)"),
    ("log(a, 10)", r"calls log with 2 arguments; it takes 1"),
    ("min(a)", r"calls min with 1 arguments; it takes 2 or more"),
    ("log + 1", r"uses the function log without its argument: write log\(...\)"),
    ("a +", "not a valid expression"),
    ("(a, b)", "not a valid expression"),
    ("a b", "not a valid expression"),
    ("min(a,)", "not a valid expression"),
    ("'a'", r"\(found \"'\"\)"),
    ("a if b else c", "not a valid expression"),
])
def test_anything_outside_the_grammar_is_refused(text, message):
    with pytest.raises(ScenarioError, match=message):
        names_in(text, "events[0].time")


def test_ranges_of_functions_follow_their_monotony_and_refuse_their_domains():
    supports = {"N": (1e3, 1e4), "M": (10.0, 100.0), "T": (100.0, 1000.0)}
    assert value_range("log(N / M)", supports) == pytest.approx((math.log(10), math.log(1e3)))
    assert value_range("exp(-T / 100)", supports) == pytest.approx((math.exp(-10), math.exp(-1)))
    assert value_range("sqrt(M)", supports) == pytest.approx((math.sqrt(10), 10.0))
    assert value_range("min(N, T)", supports) == (100.0, 1000.0)
    assert value_range("max(M, T) - 1", supports) == (99.0, 999.0)
    with pytest.raises(ScenarioError, match=r"can take the log of numbers down to -900 \(log needs numbers > 0\)"):
        value_range("log(T - 1000)", supports)
    with pytest.raises(ScenarioError, match="can take the square root of numbers down to -990"):
        value_range("sqrt(M - T)", supports)
    with pytest.raises(ScenarioError, match="beyond the floats' range"):
        value_range("exp(N)", supports)
    with pytest.raises(ScenarioError, match="can divide by zero"):
        value_range("(T - 500) ** -1", supports)


def test_kirschners_growth_rate_is_a_scenario_value():
    """Kirschner et al.'s growth rate -(1/(T1G - T2)) * log(NePl/NeLGM), in coalescent units."""
    spec = {"name": "steppe", "units": "coalescent",
            "priors": {"T1G": {"uniform": [0.5, 1.0]}, "T2": {"uniform": [0.05, 0.2]},
                       "NePl": {"uniform": [0.1, 1.0]}, "NeLGM": {"uniform": [1.5, 3.0]}},
            "design": {"populations": ["A"], "samples": [4], "ploidy": 1,
                       "loci": [{"name": "l", "sequence_length": 100.0, "theta": 1.0}]},
            "demes": [{"name": "A", "initial_size": 1.0, "growth_rate": "-(1/(T1G - T2)) * log(NePl/NeLGM)"}],
            "events": [{"type": "size_change", "time": "T1G", "population": "A", "size": "NeLGM"}]}
    scenario = Scenario(spec)
    draw = {"T1G": 0.8, "T2": 0.1, "NePl": 0.5, "NeLGM": 2.0}
    expected = -(1 / (0.8 - 0.1)) * math.log(0.5 / 2.0) / (4 * scenario.reference_size)
    assert scenario.demography(draw).populations[0].growth_rate == pytest.approx(expected, rel=1e-12)


def test_a_value_whose_log_can_leave_its_domain_is_refused_when_the_scenario_is_read():
    spec = {"name": "s", "priors": {"T": {"uniform": [100, 1000]}},
            "design": {"populations": ["A"], "samples": [2], "sequence_length": 100.0},
            "demes": [{"name": "A", "initial_size": "1000 * log(T - 500)"}]}
    with pytest.raises(ScenarioError, match=r"demes\[0\].initial_size: '1000 \* log\(T - 500\)' can take the log"):
        Scenario(spec)
