"""A mixture density network's loss: the negative log-likelihood of a Gaussian mixture (Bishop 1994).

A network's last Dense layer gives, per sample, P = K (1 + 2 D) raw numbers
z for a mixture of K Gaussian components over D dimensions with DIAGONAL
covariances (each component k has its own mean and its own scale per
dimension; correlations between dimensions are carried by the mixture, not
by a full covariance). Laid out as

    z = [ a_1 .. a_K | m_11 .. m_1D, .., m_K1 .. m_KD | s_11 .. s_1D, .., s_K1 .. s_KD ]
          logits (K)   means, component-major (K D)     log scales, same order (K D)

    log pi_k      = a_k - logsumexp(a)                     (mixture weights, softmax of the logits)
    sigma_kd      = exp(s_kd)
    log N_k(y)    = -1/2 sum_d ((y_d - m_kd) / sigma_kd)^2 - sum_d s_kd - D/2 log(2 pi)
    l_k           = log pi_k + log N_k(y)
    log p(y | z)  = logsumexp_k l_k                        (computed as max + log sum exp(l - max): stable)

The loss of a batch of n samples (y: (n, D), z: (n, P)) is the mean of
-log p(y | z), each sample's term times its weight w (1 if none), divided by
n as every minidl loss is (Keras's "sum over batch size"). With the
responsibilities r_k = exp(l_k - log p) (the posterior probability of
component k for that sample, which sum to 1) and u_kd = (y_d - m_kd) / sigma_kd:

    dL/da_k  = w (pi_k - r_k) / n
    dL/dm_kd = -w r_k u_kd / sigma_kd / n
    dL/ds_kd = -w r_k (u_kd^2 - 1) / n

No term ever exponentiates a sum of log-likelihoods outside the log-sum-exp,
so a sample far from every component (log N_k of -1e4) gives a finite loss
and finite gradients. ``mixture_parameters`` splits z into (log pi, means,
scales) as arrays, and ``sample_mixture`` draws from the mixtures, for the
predictions that follow training.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.function import Function, as_tensor
from minidl.autodiff.tensor import Tensor, data_of

LOG_2PI = math.log(2 * math.pi)


def mixture_output_size(components: int, dimensions: int) -> int:
    """P = K (1 + 2 D), the width of the Dense layer that feeds ``mixture_density_nll``."""
    return components * (1 + 2 * dimensions)


def check_mixture_sizes(components: Any, dimensions: Any) -> None:
    for name, value in (("components", components), ("dimensions", dimensions)):
        if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"mixture density: {name} must be a whole number >= 1, got {value!r}")


def split_outputs(z: Any, components: int, dimensions: int) -> tuple:
    """(logits (n, K), means (n, K, D), log scales (n, K, D)) views of raw outputs z of shape (n, K (1 + 2 D))."""
    check_mixture_sizes(components, dimensions)
    expected = mixture_output_size(components, dimensions)
    if z.ndim != 2 or z.shape[1] != expected:
        raise ValueError(f"mixture density: the outputs have shape {tuple(z.shape)}, expected (samples, {expected}) "
                         f"for {components} components in {dimensions} dimensions (K (1 + 2 D) per sample)")
    k, kd = components, components * dimensions
    logits = z[:, :k]
    means = z[:, k:k + kd].reshape(-1, components, dimensions)
    log_scales = z[:, k + kd:].reshape(-1, components, dimensions)
    return logits, means, log_scales


def _log_softmax(a: Any) -> Any:
    xp = backend.get_array_module(a)
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def component_log_likelihoods(z: Any, y: Any, components: int, dimensions: int) -> tuple:
    """(l (n, K) = log pi_k + log N_k(y), u (n, K, D) the standardised residuals, log pi (n, K)) as arrays."""
    xp = backend.get_array_module(z)
    logits, means, log_scales = split_outputs(z, components, dimensions)
    log_weights = _log_softmax(logits)
    u = (y[:, None, :] - means) * xp.exp(-log_scales)
    log_normal = -0.5 * (u * u).sum(axis=-1) - log_scales.sum(axis=-1) - 0.5 * dimensions * LOG_2PI
    return log_weights + log_normal, u, log_weights


def log_sum_exp(l: Any) -> Any:
    """log sum_k exp(l_k) over the last axis, as max + log sum exp(l - max)."""
    xp = backend.get_array_module(l)
    top = l.max(axis=-1, keepdims=True)
    return (top + xp.log(xp.exp(l - top).sum(axis=-1, keepdims=True)))[..., 0]


def mixture_log_density(z: Any, y: Any, components: int, dimensions: int) -> Any:
    """log p(y | z) per sample, shape (n,), from arrays z (n, P) and y (n, D)."""
    return log_sum_exp(component_log_likelihoods(z, y, components, dimensions)[0])


class MixtureDensityNLL(Function):
    """L = -(1/n) sum_i w_i logsumexp_k l_ik  (see the module docstring for l and the gradient)."""

    def __init__(self, y_true: Any, components: int, dimensions: int, weight: Any = 1.0) -> None:
        self.y_true, self.components, self.dimensions, self.weight = y_true, components, dimensions, weight

    def forward(self, z: Any) -> Any:
        xp = backend.get_array_module(z)
        l, self.u, log_weights = component_log_likelihoods(z, self.y_true, self.components, self.dimensions)
        log_p = log_sum_exp(l)
        self.responsibilities = xp.exp(l - log_p[:, None])
        self.weights_pi = xp.exp(log_weights)
        self.log_scales = split_outputs(z, self.components, self.dimensions)[2]
        self.rows = z.shape[0]
        return -(self.weight * log_p).sum() / self.rows

    def backward(self, gy: Any) -> Any:
        xp = backend.get_array_module(gy)
        w = xp.asarray(self.weight, dtype=self.u.dtype).reshape(-1, 1) * gy / self.rows  # (n or 1, 1)
        r = self.responsibilities
        grad_logits = w * (self.weights_pi - r)
        grad_means = -(w * r)[:, :, None] * self.u * xp.exp(-self.log_scales)
        grad_log_scales = -(w * r)[:, :, None] * (self.u * self.u - 1)
        n = r.shape[0]
        return xp.concatenate([grad_logits, grad_means.reshape(n, -1), grad_log_scales.reshape(n, -1)], axis=1)


def mixture_density_nll(y_true: Any, y_pred: Any, components: int = 1, dimensions: int | None = None,
                        sample_weight: Any = None) -> Tensor:
    """The mean negative log-likelihood of targets y_true (n, D) under the mixtures y_pred (n, K (1 + 2 D)).

    ``dimensions`` defaults to y_true's last axis. A 1-D y_true is read as (n, 1).
    """
    y_pred = as_tensor(y_pred)
    xp = backend.get_array_module(y_pred.data)
    target = xp.asarray(data_of(y_true), dtype=y_pred.dtype)
    if target.ndim == 1:
        target = target.reshape(-1, 1)
    dimensions = target.shape[-1] if dimensions is None else dimensions
    check_mixture_sizes(components, dimensions)
    if target.ndim != 2 or target.shape != (y_pred.shape[0] if y_pred.ndim else -1, dimensions):
        raise ValueError(f"mixture_density_nll: y_true has shape {tuple(target.shape)}, expected (samples, "
                         f"{dimensions}) with as many samples as y_pred of shape {tuple(y_pred.shape)}")
    split_outputs(y_pred.data, components, dimensions)  # the shape check, before any work
    weight = 1.0
    if sample_weight is not None:
        weight = xp.asarray(data_of(sample_weight), dtype=y_pred.dtype).reshape(-1)
        if weight.shape != (target.shape[0],):
            raise ValueError(f"mixture_density_nll: sample_weight has shape {weight.shape}, expected "
                             f"({target.shape[0]},), one weight per sample")
    return MixtureDensityNLL(target, components, dimensions, weight)(y_pred)


def mixture_parameters(z: Any, components: int, dimensions: int) -> tuple:
    """(mixture weights pi (n, K), means (n, K, D), scales sigma (n, K, D)) as numpy arrays."""
    z = backend.to_numpy(data_of(z)).astype(float)
    logits, means, log_scales = split_outputs(z, components, dimensions)
    return numpy.exp(_log_softmax(logits)), means, numpy.exp(log_scales)


def sample_mixture(z: Any, components: int, dimensions: int, draws: int,
                   generator: numpy.random.Generator) -> numpy.ndarray:
    """``draws`` samples of each sample's mixture: shape (n, draws, D), drawn with ``generator``.

    A component is chosen with probability pi_k, then y_d = m_kd + sigma_kd e_d with e standard normal.
    """
    weights, means, scales = mixture_parameters(z, components, dimensions)
    n = weights.shape[0]
    cumulative = numpy.cumsum(weights, axis=1)
    chosen = (generator.random((n, draws, 1)) > cumulative[:, None, :-1]).sum(axis=-1)  # (n, draws)
    rows = numpy.arange(n)[:, None]
    noise = generator.standard_normal((n, draws, dimensions))
    return means[rows, chosen] + scales[rows, chosen] * noise
