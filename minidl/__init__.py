"""minidl: a small deep-learning engine on numpy, written to be read.

>>> import minidl
>>> from minidl import functional as F
>>> w = minidl.Tensor([[0.5], [-1.0]], requires_grad=True)
>>> loss = F.mean_squared_error([[1.0]], minidl.Tensor([[2.0, 1.0]]) @ w)
>>> loss.backward()
>>> w.grad            # dL/dw = x^T 2 (x w - y)
array([[-4.],
       [-2.]], dtype=float32)
"""

from minidl.core import cores  # first: it configures numpy's BLAS threads before numpy is imported
from minidl.core.version import __version__
from minidl import backend, random
from minidl.backend import device
from minidl.autodiff.tensor import Tensor
from minidl.autodiff.function import Function, is_grad_enabled, no_grad, unbroadcast
from minidl import functional
from minidl.gradcheck import GradcheckError, GradcheckReport, gradcheck
from minidl import (
    activations,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    plot,
    regularizers,
    schedules,
    utils,
)
from minidl.training import data
from minidl.layers import Input, Layer
from minidl.models import Model, Sequential, load_model
from minidl import models
# Keras's top-level base classes, for custom layers, initializers, losses, metrics, optimizers, regularizers
from minidl.initializers import Initializer
from minidl.losses import Loss
from minidl.metrics import Metric
from minidl.optimizers import Optimizer
from minidl.regularizers import Regularizer
from minidl.saving import ModelFileError

__all__ = [
    "__version__",
    "Function",
    "Initializer",
    "Input",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Regularizer",
    "ModelFileError",
    "Sequential",
    "activations",
    "callbacks",
    "config",
    "data",
    "constraints",
    "cores",
    "datasets",
    "device",
    "initializers",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "plot",
    "regularizers",
    "schedules",
    "GradcheckError",
    "GradcheckReport",
    "Tensor",
    "backend",
    "functional",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "random",
    "unbroadcast",
    "utils",
]
