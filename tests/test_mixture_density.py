"""The mixture density loss: its value against a direct sum of Gaussian densities, its gradient, its stability,
its sampler and its use in ``compile``."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minidl
from minidl import Tensor, gradcheck
from minidl import functional as F
from minidl.functional import coupling_flow, mixture
from tests.strategies import float64_arrays, leaf


def direct_negative_log_likelihood(z, y, components, dimensions):
    """-mean log sum_k pi_k prod_d Normal(y_d; m_kd, sigma_kd), written out term by term (the reference)."""
    total = 0.0
    for row, target in zip(z, y):
        logits = row[:components]
        weights = np.exp(logits) / np.exp(logits).sum()
        means = row[components:components * (1 + dimensions)].reshape(components, dimensions)
        scales = np.exp(row[components * (1 + dimensions):].reshape(components, dimensions))
        density = 0.0
        for k in range(components):
            normal = np.exp(-0.5 * ((target - means[k]) / scales[k]) ** 2) / (scales[k] * math.sqrt(2 * math.pi))
            density += weights[k] * np.prod(normal)
        total -= math.log(density)
    return total / len(z)


@st.composite
def mixture_case(draw):
    components, dimensions, batch = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    z = draw(float64_arrays((batch, mixture.mixture_output_size(components, dimensions)), -1.5, 1.5))
    y = draw(float64_arrays((batch, dimensions), -2.0, 2.0))
    return components, dimensions, z, y


@settings(max_examples=40, deadline=None)
@given(case=mixture_case())
def test_mixture_density_loss_equals_the_direct_sum_of_gaussian_densities(case):
    components, dimensions, z, y = case
    loss = F.mixture_density_nll(y, Tensor(z), components=components)
    assert float(loss.data) == pytest.approx(direct_negative_log_likelihood(z, y, components, dimensions), rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(case=mixture_case(), weighted=st.booleans())
def test_mixture_density_loss_passes_gradcheck(case, weighted):
    components, dimensions, z, y = case
    weights = np.linspace(0.5, 2.0, len(y)) if weighted else None
    gradcheck(lambda t: F.mixture_density_nll(y, t, components=components, sample_weight=weights), leaf(z),
              atol=1e-6, rtol=1e-4)


def test_mixture_density_loss_is_finite_for_a_target_far_from_every_component():
    components, dimensions = 2, 2
    z = np.zeros((1, mixture.mixture_output_size(components, dimensions)))
    z[0, components + components * dimensions:] = -3.0  # scales e^-3: the target is ~2000 sd away
    y = np.array([[100.0, -100.0]])
    outputs = leaf(z)
    loss = F.mixture_density_nll(y, outputs, components=components)
    loss.backward()
    # log N = -1/2 (100^2 + 100^2) e^6 + 6 - log(2 pi): the direct density underflows to 0, the log-sum-exp does not
    expected = 0.5 * 2 * 100.0**2 * math.exp(6) - 6 + math.log(2 * math.pi)
    assert float(loss.data) == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isfinite(outputs.grad))


def test_the_sampler_draws_each_mixture_with_its_weights_means_and_scales():
    z = np.array([[math.log(0.25), math.log(0.75), -4.0, 4.0, math.log(0.5), math.log(2.0)]])  # K = 2, D = 1
    draws = mixture.sample_mixture(z, 2, 1, 200_000, np.random.default_rng(0))[0, :, 0]
    assert draws.mean() == pytest.approx(0.25 * -4 + 0.75 * 4, abs=0.03)
    normal_cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    assert np.mean(draws < 0) == pytest.approx(0.25 * normal_cdf(8) + 0.75 * normal_cdf(-2), abs=0.003)
    variance = 0.25 * (0.5**2 + 16) + 0.75 * (2**2 + 16) - 2**2
    assert draws.var() == pytest.approx(variance, rel=0.02)


def test_outputs_of_the_wrong_width_are_refused_with_the_expected_width():
    with pytest.raises(ValueError, match=r"expected \(samples, 10\) for 2 components in 2 dimensions"):
        F.mixture_density_nll(np.zeros((3, 2)), Tensor(np.zeros((3, 9))), components=2)
    with pytest.raises(ValueError, match="components must be a whole number >= 1, got 0"):
        minidl.losses.MixtureDensity(components=0)


def test_a_network_trained_with_the_mixture_loss_learns_a_two_peaked_conditional_density():
    """y = +-x with equal odds: one Gaussian cannot fit it, a mixture of two can (loss near the noise's entropy)."""
    generator = np.random.default_rng(3)
    x = generator.uniform(1, 2, size=(2000, 1))
    y = x * generator.choice([-1.0, 1.0], size=(2000, 1)) + 0.05 * generator.standard_normal((2000, 1))
    minidl.random.seed(0)
    model = minidl.Sequential([minidl.Input((1,)), minidl.layers.Dense(32, activation="tanh"),
                               minidl.layers.Dense(mixture.mixture_output_size(2, 1))])
    assert isinstance(minidl.losses.get("mixture_density"), minidl.losses.MixtureDensity)
    model.compile(optimizer=minidl.optimizers.Adam(0.01), loss=minidl.losses.MixtureDensity(components=2))
    history = model.fit(x, y, epochs=60, batch_size=100, verbose=0)
    # the exact conditional density's NLL: log 2 (which sign) + the entropy of N(0, 0.05^2)
    best = math.log(2) + 0.5 * math.log(2 * math.pi * math.e * 0.05**2)
    assert history.history["loss"][-1] < best + 0.3
    weights, means, _ = mixture.mixture_parameters(model.predict(np.array([[1.5]])), 2, 1)
    assert sorted(means[0, :, 0]) == pytest.approx([-1.5, 1.5], abs=0.1)
    assert weights[0] == pytest.approx([0.5, 0.5], abs=0.1)


# ---------------------------------------------------------------- the affine-coupling flow
@st.composite
def flow_case(draw):
    dimensions, steps, hidden, batch = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                                        draw(st.integers(1, 3)))
    z = draw(float64_arrays((batch, coupling_flow.flow_output_size(dimensions, steps, hidden)), -1.0, 1.0))
    return dimensions, steps, hidden, z, draw(float64_arrays((batch, dimensions), -2.0, 2.0))


@settings(max_examples=20, deadline=None)
@given(case=flow_case(), weighted=st.booleans())
def test_coupling_flow_loss_passes_gradcheck(case, weighted):
    dimensions, steps, hidden, z, y = case
    weights = np.linspace(0.5, 2.0, len(y)) if weighted else None
    gradcheck(lambda t: F.coupling_flow_nll(y, t, steps=steps, hidden=hidden, sample_weight=weights), leaf(z),
              atol=1e-6, rtol=1e-4)


def test_coupling_flow_density_integrates_to_one_and_its_samples_follow_it():
    """The change of variables is right (the log-determinants included) when the density sums to 1 on a grid, and
    the inverse pass is its inverse when the samples' moments are the grid's."""
    dimensions, steps, hidden = 2, 3, 4
    generator = np.random.default_rng(0)
    z = 0.4 * generator.standard_normal((1, coupling_flow.flow_output_size(dimensions, steps, hidden)))
    grid = np.linspace(-10, 10, 401)
    points = np.column_stack([axis.ravel() for axis in np.meshgrid(grid, grid)])
    density = np.exp(coupling_flow.flow_log_density(np.repeat(z, len(points), 0), points, dimensions, steps, hidden))
    cell = (grid[1] - grid[0]) ** 2
    assert density.sum() * cell == pytest.approx(1.0, abs=1e-3)
    grid_mean = (density[:, None] * points).sum(axis=0) * cell
    samples = coupling_flow.sample_flow(z, dimensions, steps, hidden, 100_000, generator)[0]
    np.testing.assert_allclose(samples.mean(axis=0), grid_mean, atol=0.02)
    loss = F.coupling_flow_nll(points[:3], Tensor(np.repeat(z, 3, 0)), steps=steps, hidden=hidden)
    assert float(loss.data) == pytest.approx(-np.log(density[:3]).mean(), rel=1e-10)


def test_coupling_flow_sizes_are_checked_when_the_loss_is_made():
    with pytest.raises(ValueError, match="coupling flow: steps must be a whole number >= 1, got 0"):
        minidl.losses.CouplingFlow(steps=0)
    with pytest.raises(ValueError, match=r"expected \(samples, 50\) and \(samples, 2\) for 2 steps of 3 hidden"):
        F.coupling_flow_nll(np.zeros((4, 2)), Tensor(np.zeros((4, 49))), steps=2, hidden=3)
