import numpy as np

from minidl import Tensor
from minidl import functional as F
from minidl.layers import Dense


def gradient_norms(model, x, y):
    for weight in model.weights:
        weight.grad = None
    loss = F.categorical_crossentropy(y, model(Tensor(x), training=True))
    loss.backward()
    return [float(np.linalg.norm(layer.kernel.grad)) for layer in model.layers if isinstance(layer, Dense)]
