"""gradcheck itself: it must catch wrong backwards and say where."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from minidl import Function, GradcheckError, Tensor, gradcheck
from minidl import functional as F

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class SquareWithWrongBackward(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x  # should be 2 x gy


def test_gradcheck_passes_a_correct_backward_and_is_truthy():
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    report = gradcheck(F.tanh, x, raise_exception=False)  # the verdict is the report's, not an exception's
    assert report.passed and bool(report)
    assert "gradcheck passed" in str(report)


def test_gradcheck_raises_with_a_report_naming_the_input_and_worst_element():
    x = Tensor(np.array([1.0, -3.0, 2.0]), requires_grad=True, name="x")
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda t: SquareWithWrongBackward()(t), x)
    report = error.value.report
    assert not report.passed
    check = report.checks[0]
    assert check.position == 0 and check.name == "x"
    assert check.worst_index in {(0,), (1,), (2,)}  # every element is off by the same ratio; which one is pinned below
    np.testing.assert_allclose(check.numeric, 2 * check.analytic, rtol=1e-6)  # the missing factor 2
    assert check.failing_elements == 3
    text = str(error.value)
    assert "FAILED" in text and "input #0 ('x')" in text and f"worst element [{check.worst_index[0]}]" in text
    assert "analytic" in text and "numeric" in text and "rel error" in text


class SquareWrongAtOneElement(Function):
    """y = x^2 with a backward that is right everywhere but at element 2, where it adds 1."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        g = 2 * self.x * gy
        g[2] += 1.0
        return g


def test_gradcheck_points_at_the_one_wrong_element():
    x = Tensor(np.array([0.5, -3.0, 2.0, 1.5]), requires_grad=True, name="x")
    report = gradcheck(lambda t: SquareWrongAtOneElement()(t).sum(), x, raise_exception=False)
    check = report.checks[0]
    assert check.worst_index == (2,) and check.failing_elements == 1
    assert check.analytic - check.numeric == pytest.approx(1.0, rel=1e-6)  # the 1 the backward adds there
    assert "worst element [2]" in str(report)


def test_gradcheck_can_return_the_failed_report_instead_of_raising():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    report = gradcheck(lambda t: SquareWithWrongBackward()(t), x, raise_exception=False)
    assert not report
    np.testing.assert_allclose(report.checks[0].analytic * 2, report.checks[0].numeric, rtol=1e-6)


def test_gradcheck_checks_float32_inputs_in_float64_and_says_so():
    x = Tensor(np.array([0.3, -0.7], dtype=np.float32), requires_grad=True)
    report = gradcheck(F.sigmoid, x, raise_exception=False)
    assert report.passed
    assert any("float32" in note and "float64" in note for note in report.notes)
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensor is untouched


def test_gradcheck_skips_constants_and_checks_each_input_that_requires_grad():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]))
    report = gradcheck(lambda x, y, scale: x * y * scale, a, b, 2.0)
    assert [check.position for check in report.checks] == [0]


def test_gradcheck_without_any_input_requiring_grad_is_a_clear_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(F.exp, Tensor([1.0]))


def test_gradcheck_reports_an_input_the_gradient_never_reached():
    class ForgetsSecondInput(Function):
        def forward(self, x, y):
            return x * y

        def backward(self, gy):
            return gy, None

    a = Tensor(np.array([1.0]), requires_grad=True)
    b = Tensor(np.array([2.0]), requires_grad=True)
    report = gradcheck(lambda x, y: ForgetsSecondInput()(x, y), a, b, raise_exception=False)
    assert [check.passed for check in report.checks] == [False, False]
    assert any("no gradient reached input #1" in note for note in report.notes)


def test_the_readme_swish_exercise_runs_and_catches_the_bug(capsys):
    runpy.run_path(str(EXAMPLES / "swish_gradcheck.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "gradcheck passed" in printed and "gradcheck FAILED" in printed
