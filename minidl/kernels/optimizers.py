"""numba and CUDA kernels of the optimizer updates (Adam, SGD with momentum, RMSprop), in place on flat views.

References beside their operation: ``adam_update``, ``momentum_update`` and ``rmsprop_update`` in
``minidl.optimizers``; each has a CUDA counterpart here.
"""

from __future__ import annotations

import numpy

from numba import njit, prange

from minidl.kernels.compiling import COMPILE, Kernel, flat


@Kernel
def _adam_update(w, g, m, v, v_max, amsgrad, alpha, beta_1, beta_2, epsilon):  # pragma: no cover - compiled
    for k in prange(w.size):
        m[k] += (g[k] - m[k]) * (1 - beta_1)
        v[k] += (g[k] * g[k] - v[k]) * (1 - beta_2)
        second = v[k]
        if amsgrad:
            if v[k] > v_max[k]:
                v_max[k] = v[k]
            second = v_max[k]
        w[k] -= m[k] * alpha / (numpy.sqrt(second) + epsilon)


def adam_update(w, g, m, v, v_max, alpha, beta_1, beta_2, epsilon):
    """Adam's moment and weight updates in place, in one pass (``v_max`` None without amsgrad)."""
    amsgrad = v_max is not None
    _adam_update(w.size, *flat(w, g, m, v, v_max if amsgrad else v), amsgrad, alpha, beta_1, beta_2,
            epsilon)


@njit(**COMPILE)
def _momentum_update(w, g, velocity, lr, momentum, nesterov):  # pragma: no cover - compiled
    for k in range(w.size):
        velocity[k] = momentum * velocity[k] - lr * g[k]
        if nesterov:
            w[k] += momentum * velocity[k] - lr * g[k]
        else:
            w[k] += velocity[k]


def momentum_update(w, g, velocity, lr, momentum, nesterov):
    """SGD with (Nesterov) momentum, in place."""
    _momentum_update(*flat(w, g, velocity), lr, momentum, nesterov)


@njit(**COMPILE)
def _rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon, centered):  # pragma: no cover - compiled
    for k in range(w.size):
        a[k] = rho * a[k] + (1 - rho) * g[k] * g[k]
        denominator = a[k] + epsilon
        if centered:
            mg[k] = rho * mg[k] + (1 - rho) * g[k]
            denominator = a[k] - mg[k] * mg[k] + epsilon
        increment = lr * g[k] / numpy.sqrt(denominator)
        if momentum > 0:
            s[k] = momentum * s[k] + increment
            w[k] -= s[k]
        else:
            w[k] -= increment


def rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon):
    """RMSprop (centered when ``mg`` is given, with momentum when ``s`` is given), in place."""
    centered = mg is not None
    _rmsprop_update(*flat(w, g, a, mg if centered else a, s if s is not None else a), lr, rho, momentum, epsilon,
                    centered)


# CUDA counterparts, built on the first cupy array (``minidl.kernels.cuda_kernels``).


def cuda_kernels(cupy):  # pragma: no cover - needs a GPU, or tests/cuda_on_cpu.py's stand-in cupy
    """The CUDA optimizer updates, one thread per weight."""
    _adam = cupy.ElementwiseKernel(
        "T g, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon",
        "T w, T m, T v",
        """
        m += (g - m) * one_minus_beta_1;
        v += (g * g - v) * one_minus_beta_2;
        w -= m * alpha / (sqrt(v) + epsilon);
        """,
        "minidl_adam_update",
    )

    _adam_amsgrad = cupy.ElementwiseKernel(
        "T g, T alpha, T one_minus_beta_1, T one_minus_beta_2, T epsilon",
        "T w, T m, T v, T v_max",
        """
        m += (g - m) * one_minus_beta_1;
        v += (g * g - v) * one_minus_beta_2;
        v_max = max(v_max, v);
        w -= m * alpha / (sqrt(v_max) + epsilon);
        """,
        "minidl_adam_amsgrad_update",
    )


    def adam_update(w, g, m, v, v_max, alpha, beta_1, beta_2, epsilon):
        """Adam's moment and weight updates in place, one thread per weight."""
        t = w.dtype.type
        scalars = (t(alpha), t(1 - beta_1), t(1 - beta_2), t(epsilon))
        if v_max is None:
            _adam(g, *scalars, w, m, v)
        else:
            _adam_amsgrad(g, *scalars, w, m, v, v_max)


    _momentum = cupy.ElementwiseKernel(
        "T g, T lr, T momentum, bool nesterov",
        "T w, T velocity",
        """
        velocity = momentum * velocity - lr * g;
        w += nesterov ? momentum * velocity - lr * g : velocity;
        """,
        "minidl_momentum_update",
    )


    def momentum_update(w, g, velocity, lr, momentum, nesterov):
        """SGD with (Nesterov) momentum, in place."""
        t = w.dtype.type
        _momentum(g, t(lr), t(momentum), bool(nesterov), w, velocity)


    _rmsprop = cupy.ElementwiseKernel(
        "T g, T lr, T rho, T momentum, T epsilon, bool centered, bool with_momentum",
        "T w, T a, T mg, T s",
        """
        a = rho * a + ((T)1 - rho) * g * g;
        T denominator = a + epsilon;
        if (centered) {
            mg = rho * mg + ((T)1 - rho) * g;
            denominator = a - mg * mg + epsilon;
        }
        const T increment = lr * g / sqrt(denominator);
        if (with_momentum) {
            s = momentum * s + increment;
            w -= s;
        } else {
            w -= increment;
        }
        """,
        "minidl_rmsprop_update",
    )


    def rmsprop_update(w, g, a, mg, s, lr, rho, momentum, epsilon):
        """RMSprop (centered when ``mg`` is given, with momentum when ``s`` is given), in place."""
        t = w.dtype.type
        centered, with_momentum = mg is not None, s is not None
        mg = mg if centered else cupy.empty_like(w)  # placeholders the kernel never reads
        s = s if with_momentum else cupy.empty_like(w)
        _rmsprop(g, t(lr), t(rho), t(momentum), t(epsilon), centered, with_momentum, w, a, mg, s)

    return {"adam_update": adam_update, "momentum_update": momentum_update, "rmsprop_update": rmsprop_update}
