"""A conditional affine-coupling normalising flow (Real NVP, Dinh et al. 2017) as a loss over a layer's outputs.

The flow maps a target y in R^D to u = f(y) in R^D through L coupling steps;
its density is the change of variables of a standard normal base:

    log q(y) = log N(f(y); 0, I) + sum_l sum_d m_ld s_ld        (the log |det| of each step)

Step l splits the coordinates with a binary mask a_l (d even for even l, odd
for odd l; all zero when D = 1) and b_l = 1 - a_l, and leaves the a-part as it is:

    h   = tanh((a_l * y) @ W1 + c1)                                   (H hidden units)
    s   = 2 tanh(r_s / 2),  [r_s, t] = h @ W2 + c2                      (scale bounded to (-2, 2))
    y  <- a_l * y + b_l * (y * exp(s) + t)                              log |det| = sum_d b_ld s_d

so each step is invertible whatever its conditioner: y_a is known, and
y_b = (y'_b - t) exp(-s). The conditioner's weights (W1: D x H, c1: H,
W2: H x 2D, c2: 2D per step) are not parameters of the flow: they are the
per-sample outputs z of the network that reads the data (a hypernetwork),
which is how the flow is conditioned on the data. Per sample,
P = L (D H + H + 2 D H + 2 D) outputs, laid out step by step in that order.

The loss is -(1/n) sum_i w_i log q(y_i | z_i). It is written with minidl's
differentiable functions (matmul, tanh, exp, sums), so its backward is
theirs, checked by gradcheck in the tests. With D = 1 the a-part is empty
and each step is an affine map whose shift and scale depend on the data
only: the flow is then a Gaussian with a learned mean and scale; its use
is for D >= 2, where it captures correlations and skew.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl.core import backend
from minidl.autodiff.function import as_tensor, no_grad
from minidl.autodiff.tensor import Tensor, data_of
from minidl.functional.activation import tanh
from minidl.functional.math import exp, matmul
from minidl.functional.reduce import sum as reduce_sum
from minidl.functional.shape import getitem, reshape

LOG_2PI = math.log(2 * math.pi)
SCALE_BOUND = 2.0


def flow_output_size(dimensions: int, steps: int, hidden: int) -> int:
    """P = L (D H + H + 2 D H + 2 D), the width of the Dense layer that feeds ``coupling_flow_nll``."""
    check_flow_sizes(dimensions, steps, hidden)
    return steps * (dimensions * hidden + hidden + 2 * dimensions * hidden + 2 * dimensions)


def check_flow_sizes(dimensions: Any, steps: Any, hidden: Any) -> None:
    for name, value in (("dimensions", dimensions), ("steps", steps), ("hidden", hidden)):
        if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"coupling flow: {name} must be a whole number >= 1, got {value!r}")


def _masks(dimensions: int, steps: int) -> list[numpy.ndarray]:
    """a_l per step: the coordinates the step keeps (alternating parities; none when D = 1)."""
    if dimensions == 1:
        return [numpy.zeros(1) for _ in range(steps)]
    return [(numpy.arange(dimensions) % 2 == step % 2).astype(float) for step in range(steps)]


def _conditioner(y_kept: Any, z: Any, offset: int, dimensions: int, hidden: int, n: int, ops: Any) -> tuple:
    """(s, t) of one step from the kept part and the step's slice of z, with ``ops`` Tensors or arrays."""
    d, h = dimensions, hidden
    parts, position = [], offset
    for size in (d * h, h, 2 * d * h, 2 * d):
        parts.append(ops.columns(z, position, position + size))
        position += size
    w1, c1, w2, c2 = ops.reshape(parts[0], (n, d, h)), parts[1], ops.reshape(parts[2], (n, h, 2 * d)), parts[3]
    hidden_units = ops.tanh(ops.reshape(ops.matmul(ops.reshape(y_kept, (n, 1, d)), w1), (n, h)) + c1)
    raw = ops.reshape(ops.matmul(ops.reshape(hidden_units, (n, 1, h)), w2), (n, 2 * d)) + c2
    s = ops.tanh(ops.columns(raw, 0, d) * (1 / SCALE_BOUND)) * SCALE_BOUND
    return s, ops.columns(raw, d, 2 * d), position


class _TensorOps:
    columns = staticmethod(lambda z, start, stop: getitem(z, (slice(None), slice(start, stop))))
    reshape, matmul, tanh, exp = staticmethod(reshape), staticmethod(matmul), staticmethod(tanh), staticmethod(exp)


class _ArrayOps:
    columns = staticmethod(lambda z, start, stop: z[:, start:stop])
    reshape, matmul, tanh, exp = staticmethod(numpy.reshape), staticmethod(numpy.matmul), staticmethod(numpy.tanh), \
        staticmethod(numpy.exp)


def coupling_flow_nll(y_true: Any, y_pred: Any, steps: int = 4, hidden: int = 8, dimensions: int | None = None,
                      sample_weight: Any = None) -> Tensor:
    """-(1/n) sum_i w_i log q(y_i | z_i) for targets y_true (n, D) and flow parameters y_pred (n, P)."""
    z = as_tensor(y_pred)
    xp = backend.get_array_module(z.data)
    y = xp.asarray(data_of(y_true), dtype=z.dtype)
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    dimensions = y.shape[-1] if dimensions is None else dimensions
    expected = flow_output_size(dimensions, steps, hidden)
    if z.ndim != 2 or z.shape[1] != expected or y.shape != (z.shape[0], dimensions):
        raise ValueError(f"coupling_flow_nll: y_pred has shape {tuple(z.shape)} and y_true {tuple(y.shape)}; expected "
                         f"(samples, {expected}) and (samples, {dimensions}) for {steps} steps of {hidden} hidden "
                         f"units in {dimensions} dimensions")
    n = z.shape[0]
    weight = 1.0 if sample_weight is None else xp.asarray(data_of(sample_weight), dtype=z.dtype).reshape(n)
    return reduce_sum(_log_q(y, z, dimensions, steps, hidden) * weight) * (-1.0 / n)


def _log_q(y: Any, z: Tensor, dimensions: int, steps: int, hidden: int) -> Tensor:
    """log q(y_i | z_i) per sample, shape (n,), as a Tensor of z."""
    xp = backend.get_array_module(z.data)
    n = z.shape[0]
    current: Any = Tensor(y)
    log_det: Any = None
    offset = 0
    for kept in _masks(dimensions, steps):
        a = xp.asarray(kept, dtype=z.dtype)
        s, t, offset = _conditioner(current * a, z, offset, dimensions, hidden, n, _TensorOps)
        current = current * a + (current * exp(s) + t) * (1 - a)
        step_log_det = reduce_sum(s * (1 - a), axis=1)
        log_det = step_log_det if log_det is None else log_det + step_log_det
    return reduce_sum(current * current, axis=1) * -0.5 - 0.5 * dimensions * LOG_2PI + log_det


def flow_log_density(z: Any, y: Any, dimensions: int, steps: int, hidden: int) -> numpy.ndarray:
    """log q(y_i | z_i) per sample as a numpy array (n,), for arrays z (n, P) and y (n, D)."""
    z = numpy.asarray(backend.to_numpy(data_of(z)), dtype=float)
    y = numpy.asarray(y, dtype=float).reshape(len(z), dimensions)
    with no_grad():
        return backend.to_numpy(_log_q(y, Tensor(z), dimensions, steps, hidden).data)


def sample_flow(z: Any, dimensions: int, steps: int, hidden: int, draws: int,
                generator: numpy.random.Generator) -> numpy.ndarray:
    """``draws`` samples of each sample's flow: (n, draws, D); u standard normal, then every step inverted."""
    z = backend.to_numpy(data_of(z)).astype(float)
    if z.ndim != 2 or z.shape[1] != flow_output_size(dimensions, steps, hidden):
        raise ValueError(f"sample_flow: z has shape {z.shape}, expected (samples, "
                         f"{flow_output_size(dimensions, steps, hidden)})")
    n = z.shape[0]
    repeated = numpy.repeat(z, draws, axis=0)                       # (n draws, P): each sample's weights per draw
    current = generator.standard_normal((n * draws, dimensions))
    step_size = flow_output_size(dimensions, 1, hidden)
    for step, kept in reversed(list(enumerate(_masks(dimensions, steps)))):
        s, t, _ = _conditioner(current * kept, repeated, step * step_size, dimensions, hidden, n * draws, _ArrayOps)
        current = current * kept + (current - t) * numpy.exp(-s) * (1 - kept)
    return current.reshape(n, draws, dimensions)
