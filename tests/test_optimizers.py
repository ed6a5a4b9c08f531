"""Optimizer updates against closed forms worked out by hand, schedules, clipping and weight decay."""

import math

import numpy as np
import pytest

from minidl import Tensor, optimizers, schedules
from minidl.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop


def run_constant_gradient(optimizer, steps, w0=1.0, g=0.5):
    """Apply the same gradient ``g`` ``steps`` times to a one-element weight; return its values."""
    w = Tensor(np.array([w0], dtype=np.float64), requires_grad=True)
    values = []
    for _ in range(steps):
        optimizer.apply_gradients([(np.array([g]), w)])
        values.append(float(w.data[0]))
    return values


def test_sgd_moves_by_minus_lr_times_gradient():
    values = run_constant_gradient(SGD(learning_rate=0.1), 3)
    np.testing.assert_allclose(values, [1 - 0.05, 1 - 0.10, 1 - 0.15])


def test_sgd_momentum_accumulates_a_geometric_velocity():
    lr, m, g = 0.1, 0.9, 0.5
    values = run_constant_gradient(SGD(lr, momentum=m), 4, g=g)
    # v_k = -lr g (1 + m + ... + m^(k-1)); w_k = 1 + v_1 + ... + v_k
    velocities = [-lr * g * (1 - m**k) / (1 - m) for k in range(1, 5)]
    np.testing.assert_allclose(values, 1 + np.cumsum(velocities))


def test_sgd_nesterov_looks_ahead_by_one_velocity():
    lr, m, g = 0.1, 0.9, 0.5
    values = run_constant_gradient(SGD(lr, momentum=m, nesterov=True), 3, g=g)
    velocities = [-lr * g * (1 - m**k) / (1 - m) for k in range(1, 4)]
    steps = [m * v - lr * g for v in velocities]
    np.testing.assert_allclose(values, 1 + np.cumsum(steps))


def test_adam_with_a_constant_gradient_steps_by_about_the_learning_rate():
    lr, b1, b2, eps, g = 0.01, 0.9, 0.999, 1e-7, 0.5
    values = run_constant_gradient(Adam(lr), 5, g=g)
    # m_t = g (1 - b1^t), v_t = g^2 (1 - b2^t), so the bias-corrected step is
    # lr sqrt(1 - b2^t)/(1 - b1^t) * m_t / (sqrt(v_t) + eps) = lr g sqrt(1-b2^t) / (|g| sqrt(1-b2^t) + eps)
    steps = [lr * g * math.sqrt(1 - b2**t) / (abs(g) * math.sqrt(1 - b2**t) + eps) for t in range(1, 6)]
    np.testing.assert_allclose(values, 1 - np.cumsum(steps), rtol=1e-12)


def test_adam_amsgrad_uses_the_largest_second_moment():
    w = Tensor(np.array([0.0]), requires_grad=True)
    adam = Adam(0.1, amsgrad=True)
    adam.apply_gradients([(np.array([10.0]), w)])
    adam.apply_gradients([(np.array([0.1]), w)])
    v1 = 0.001 * 100
    v2 = 0.999 * v1 + 0.001 * 0.01  # smaller than v1: amsgrad keeps v1
    m2 = 0.9 * 1.0 + 0.1 * 0.1
    alpha2 = 0.1 * math.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    assert v2 < v1
    first_step = 0.1 * math.sqrt(0.001) / 0.1 * 1.0 / (math.sqrt(v1) + 1e-7)
    np.testing.assert_allclose(w.data, [-first_step - alpha2 * m2 / (math.sqrt(v1) + 1e-7)], rtol=1e-10)


def test_rmsprop_with_a_constant_gradient():
    lr, rho, eps, g = 0.01, 0.9, 1e-7, 0.5
    values = run_constant_gradient(RMSprop(lr), 3, g=g)
    steps = [lr * g / math.sqrt(g * g * (1 - rho**t) + eps) for t in range(1, 4)]
    np.testing.assert_allclose(values, 1 - np.cumsum(steps), rtol=1e-12)


def test_rmsprop_centered_with_momentum_by_hand():
    lr, rho, momentum, eps, g = 0.01, 0.9, 0.5, 1e-7, 2.0
    values = run_constant_gradient(RMSprop(lr, rho=rho, momentum=momentum, centered=True), 2, g=g)
    a1, mg1 = (1 - rho) * g * g, (1 - rho) * g
    s1 = lr * g / math.sqrt(a1 - mg1**2 + eps)
    a2, mg2 = rho * a1 + (1 - rho) * g * g, rho * mg1 + (1 - rho) * g
    s2 = momentum * s1 + lr * g / math.sqrt(a2 - mg2**2 + eps)
    np.testing.assert_allclose(values, [1 - s1, 1 - s1 - s2], rtol=1e-12)


def test_adagrad_divides_by_the_root_of_the_accumulated_squares():
    lr, g, a0, eps = 0.1, 0.5, 0.1, 1e-7
    values = run_constant_gradient(Adagrad(lr), 3, g=g)
    steps = [lr * g / math.sqrt(a0 + t * g * g + eps) for t in range(1, 4)]
    np.testing.assert_allclose(values, 1 - np.cumsum(steps), rtol=1e-12)


def test_adadelta_two_steps_by_hand():
    lr, rho, eps, g = 1.0, 0.95, 1e-7, 0.5
    values = run_constant_gradient(Adadelta(lr, rho=rho), 2, g=g)
    a1 = (1 - rho) * g * g
    delta1 = -math.sqrt(0 + eps) / math.sqrt(a1 + eps) * g
    d1 = (1 - rho) * delta1**2
    a2 = rho * a1 + (1 - rho) * g * g
    delta2 = -math.sqrt(d1 + eps) / math.sqrt(a2 + eps) * g
    np.testing.assert_allclose(values, [1 + lr * delta1, 1 + lr * delta1 + lr * delta2], rtol=1e-12)


def test_clipnorm_scales_each_gradient_to_the_norm():
    w = Tensor(np.zeros(2), requires_grad=True)
    SGD(1.0, clipnorm=1.0).apply_gradients([(np.array([3.0, 4.0]), w)])
    np.testing.assert_allclose(w.data, [-0.6, -0.8])
    SGD(1.0, clipnorm=10.0).apply_gradients([(np.array([3.0, 4.0]), w)])
    np.testing.assert_allclose(w.data, [-3.6, -4.8])


def test_global_clipnorm_scales_all_gradients_together():
    a, b = Tensor(np.zeros(1), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    SGD(1.0, global_clipnorm=1.0).apply_gradients([(np.array([3.0]), a), (np.array([4.0]), b)])
    np.testing.assert_allclose([a.data[0], b.data[0]], [-0.6, -0.8])


def test_clipvalue_clips_each_element():
    w = Tensor(np.zeros(3), requires_grad=True)
    SGD(1.0, clipvalue=0.5).apply_gradients([(np.array([3.0, -0.2, -4.0]), w)])
    np.testing.assert_allclose(w.data, [-0.5, 0.2, 0.5])


def test_weight_decay_shrinks_weights_before_the_update():
    w = Tensor(np.array([2.0]), requires_grad=True)
    SGD(0.1, weight_decay=0.5).apply_gradients([(np.array([1.0]), w)])
    np.testing.assert_allclose(w.data, [2.0 - 2.0 * 0.5 * 0.1 - 0.1 * 1.0])


def test_step_uses_the_grads_of_the_built_weights_like_apply_gradients():
    w1 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w2 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    first, second = Adam(0.1), Adam(0.1)
    second.build([w2])
    for _ in range(3):
        first.apply_gradients([(np.array([0.3, -0.1]), w1)])
        w2.grad = np.array([0.3, -0.1])
        second.step()
    np.testing.assert_array_equal(w1.data, w2.data)
    assert first.iterations == second.iterations == 3


def test_a_schedule_sets_the_learning_rate_of_each_update():
    schedule = schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    values = run_constant_gradient(SGD(schedule), 3, g=1.0)
    rates = [0.1 / (1 + 0.5 * k) for k in range(3)]  # the first update sees step 0
    np.testing.assert_allclose(values, 1 - np.cumsum(rates))


def test_schedules_follow_their_formulas():
    assert schedules.ExponentialDecay(1.0, 10, 0.5)(20) == pytest.approx(0.25)
    assert schedules.ExponentialDecay(1.0, 10, 0.5, staircase=True)(15) == pytest.approx(0.5)
    assert schedules.InverseTimeDecay(1.0, 2, 1.0)(4) == pytest.approx(1 / 3)
    piecewise = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    linear = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0)
    assert [linear(s) for s in (0, 5, 10, 50)] == pytest.approx([1.0, 0.5, 0.0, 0.0])


def test_unknown_optimizer_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="adadelta, adagrad, adam, rmsprop, sgd"):
        optimizers.get("adamw_typo")


def test_optimizer_config_round_trips():
    adam = Adam(learning_rate=schedules.ExponentialDecay(0.01, 100, 0.9), beta_1=0.8, clipnorm=1.0)
    copy = optimizers.get(optimizers.serialize_optimizer(adam))
    assert isinstance(copy, Adam) and copy.beta_1 == 0.8 and copy.clipnorm == 1.0
    assert copy.learning_rate == pytest.approx(adam.learning_rate)


def test_gradient_of_the_wrong_shape_is_a_clear_error():
    w = Tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        SGD().apply_gradients([(np.zeros(3), w)])
