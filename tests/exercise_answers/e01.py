import numpy as np


def predict(w, b, x):
    return (x @ w + b > 0).astype(int)


def update(w, b, x, y, lr):
    error = y - int(x @ w + b > 0)
    return w + lr * error * x, b + lr * error
