"""Every exercise's checker, both ways: the reference solution passes, a typical mistake fails where it is."""

from types import SimpleNamespace

import numpy as np
import pytest

from minidl import exercises
from minidl import layers as minidl_layers
from minidl.exercises import __main__ as cli
from minidl.exercises import e03_elu_leaky_maxout, experiments
from minidl.functional import activation, norm
from minidl.functional.linear import Linear
from minidl.functional.dropout import Dropout


@pytest.mark.parametrize("number", sorted(exercises.EXERCISES))
def test_the_reference_solution_passes(number):
    report = exercises.check(number, exercises.exercise(number).reference())
    assert report.passed, str(report)


@pytest.mark.parametrize("number", sorted(exercises.EXERCISES))
def test_the_untouched_scaffold_fails_saying_what_is_not_written(number):
    report = exercises.check(number, exercises.scaffold_path(number))
    assert not report.passed
    assert "not written yet" in str(report), str(report)


class ForgotOneMinusY(activation.Sigmoid):
    def backward(self, gy):
        return gy * self.y


class GradientToEveryPiece(e03_elu_leaky_maxout.Maxout):
    def backward(self, gy):
        return np.repeat(gy, self.pieces, axis=-1) / self.pieces


def perceptron_wrong_sign(w, b, x, y, lr):
    error = (x @ w + b > 0) - y
    return w + lr * error * x, b + lr * error


def mlp_without_tanh_derivative(x, y, W1, b1, W2, b2):  # noqa: N803
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - y) / len(x)
    da = dz @ W2.T  # forgot * (1 - h^2)
    return {"W2": h.T @ dz, "b2": dz.sum(0), "W1": x.T @ da, "b1": da.sum(0)}


class BiasNotSummed(Linear):
    def backward(self, gy):
        gx, gw, _ = super().backward(gy)
        return gx, gw, gy[0]


def nesterov_as_classic(w, g, velocity, lr, momentum, nesterov):
    velocity = momentum * velocity - lr * g
    return w + velocity, velocity


def rmsprop_without_one_minus_rho(w, g, mean_square, lr, rho, epsilon):
    mean_square = rho * mean_square + g * g
    return w - lr * g / np.sqrt(mean_square + epsilon), mean_square


def adam_without_bias_correction(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    return w - lr * m / (np.sqrt(v) + epsilon), m, v


class DropoutWithoutScaling(Dropout):
    def forward(self, x):
        return super().forward(x) * (1 - self.rate)

    def backward(self, gy):
        return super().backward(gy) * (1 - self.rate)


class TrueConvolution:
    """Flips the kernel (a textbook convolution): Keras and minidl cross-correlate."""

    def __call__(self, x, w, b):
        from minidl import functional as F

        return F.conv1d(x, F.getitem(w, slice(None, None, -1)), b)


def norms_last_first(model, x, y):
    return experiments.gradient_norms(model, x, y)[::-1]


class DenseWithoutBias(minidl_layers.Dense):
    """Builds (in, units) and a bias, then forgets to add the bias."""

    def call(self, x, training):
        from minidl import functional as F

        return self.activation(F.linear(x, self.kernel))


def reference_with(number, **replacements):
    namespace = vars(exercises.exercise(number).reference()).copy()
    namespace.update(replacements)
    return SimpleNamespace(**namespace)


MISTAKES = {
    # exercise: (the mistaken solution, the check that must fail, text its detail must hold)
    1: (reference_with(1, update=perceptron_wrong_sign), "update, case 1 (y=1, lr=0.5): new w", "yours"),
    2: (reference_with(2, Sigmoid=ForgotOneMinusY), "Sigmoid backward (gradcheck)", "worst element"),
    3: (reference_with(3, Maxout=GradientToEveryPiece), "Maxout(3) backward (gradcheck)", "worst element"),
    5: (reference_with(5, gradients=mlp_without_tanh_derivative), "case 1 (4 samples): dL/dW1", "yours"),
    6: (reference_with(6, Linear=BiasNotSummed), "Linear backward: dL/dx, dL/dW, dL/db (gradcheck)", ""),
    7: (reference_with(7, sgd_step=nesterov_as_classic), "lr=0.05, momentum=0.9, nesterov=True: 30 steps as "
                                                         "minidl's SGD", "step 1 is the first to differ"),
    8: (reference_with(8, rmsprop_step=rmsprop_without_one_minus_rho), "lr=0.01, rho=0.9: 30 steps as minidl's "
                                                                       "RMSprop", "step 1 is the first to differ"),
    9: (reference_with(9, adam_step=adam_without_bias_correction), "lr=0.01, beta_1=0.9, beta_2=0.999: 30 steps as "
                                                                   "minidl's Adam", "step 1 is the first to differ"),
    10: (reference_with(10, Dropout=DropoutWithoutScaling), "Dropout(0.4): the same mask and scaling as minidl's "
                                                            "from the same generator", "yours"),
    11: (reference_with(11, Conv1D=TrueConvolution), "Conv1D forward values (2, 7, 3) * (3, 3, 4) -> (2, 5, 4)",
         "yours"),
    13: (reference_with(13, gradient_norms=norms_last_first), "gradient_norms on a 6-layer sigmoid network", "yours"),
    14: (reference_with(14, MyDense=DenseWithoutBias), "y = tanh(x kernel + bias)", "yours"),
}


@pytest.mark.parametrize("number", sorted(MISTAKES))
def test_a_typical_mistake_fails_where_it_is(number):
    solution, failing, detail = MISTAKES[number]
    report = exercises.check(number, solution)
    assert not report.passed
    failed = {finding.what: finding for finding in report.failures()}
    assert failing in failed, str(report)
    assert detail in failed[failing].detail, str(report)


def test_losses_and_batch_norm_mistakes_fail_in_gradcheck():
    class BCEWithoutMean:
        def __init__(self, y):
            self.y = y

        def __call__(self, p):
            from minidl import functional as F

            return F.binary_crossentropy(self.y, p) * np.prod(p.shape)  # a sum where the mean belongs

    report = exercises.check(4, reference_with(4, BinaryCrossentropy=BCEWithoutMean))
    assert [finding.what for finding in report.failures()] == ["BinaryCrossentropy value"]

    class BatchNormNaive(norm.BatchNormTraining):
        """Treats mean and variance as constants: dL/dx = gamma gy / sqrt(var + eps)."""

        def backward(self, gy):
            gx, g_gamma, g_beta = super().backward(gy)
            forward_gamma = self._gamma
            return gy * forward_gamma / self._std, g_gamma, g_beta

        def forward(self, x, gamma, beta):
            y = super().forward(x, gamma, beta)
            self._gamma = gamma
            self._std = np.sqrt(x.var(axis=tuple(range(x.ndim - 1))) + self.epsilon)
            return y

    report = exercises.check(12, reference_with(12, BatchNorm=BatchNormNaive))
    failed = [finding for finding in report.failures()]
    assert failed and all("gradcheck" in finding.what for finding in failed)
    assert "input #0" in failed[0].detail and "FAIL" in failed[0].detail  # dL/dx is the one off


def test_the_command_line_lists_starts_and_checks(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "Adam, with the bias corrections" in capsys.readouterr().out
    path = str(tmp_path / "mine.py")
    assert cli.main(["start", "7", path]) == 0
    assert cli.main(["start", "7", path]) == 2  # never over an existing file
    assert cli.main(["check", "7", path]) == 1
    assert "not written yet" in capsys.readouterr().out
    with open(path, "w") as handle:
        handle.write("def sgd_step(w, g, velocity, lr, momentum, nesterov):\n"
                     "    velocity = momentum * velocity - lr * g\n"
                     "    return (w + momentum * velocity - lr * g if nesterov else w + velocity), velocity\n")
    assert cli.main(["check", "7", path]) == 0
    assert "exercise 7: SGD with momentum and Nesterov momentum: passed" in capsys.readouterr().out
    with open(path, "w") as handle:
        handle.write("def sgd_step(w, g, velocity, lr, momentum, nesterov):\n    return w - lr * g[0, 99], velocity\n")
    assert cli.main(["check", "7", path]) == 1
    printed = capsys.readouterr().out
    assert "IndexError" in printed and "mine.py:2" in printed  # the student's error, at their line
    assert cli.main(["show", "9"]) == 0
    assert "bias corrections" in capsys.readouterr().out
    assert cli.main(["check", "99", path]) == 2


def test_the_experiments_show_what_the_lessons_say(capsys):
    table = experiments.vanishing()
    assert table["sigmoid"][0] / table["sigmoid"][-1] < 1e-6  # the first of 20 sigmoid layers gets almost nothing
    assert all(table[cure][0] / table[cure][-1] > 1e-2 for cure in ("relu", "batchnorm", "residual"))
    losses = experiments.optimizers_compared(steps=100)["losses"]
    assert losses["momentum"][-1] < 0.01 * losses["SGD"][-1]  # momentum runs down the valley, SGD crawls
    results = experiments.overfitting(epochs=60)
    plain = results["plain"]
    assert plain["train_accuracy"] > 0.99  # 300 digits are learnt by heart
    assert plain["held_out_crossentropy"] > 1.15 * plain["best_held_out_crossentropy"]  # and then overfitted
    for name in ("L2 (0.001)", "dropout (0.2 in, 0.5 hidden)"):
        assert results[name]["held_out_crossentropy"] < plain["held_out_crossentropy"]
        assert results[name]["held_out_accuracy"] >= plain["held_out_accuracy"]
    assert "held-out cross-entropy" in capsys.readouterr().out
