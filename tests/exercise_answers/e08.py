import numpy as np


def rmsprop_step(w, g, mean_square, lr, rho, epsilon):
    mean_square = rho * mean_square + (1 - rho) * g * g
    return w - lr * g / np.sqrt(mean_square + epsilon), mean_square
