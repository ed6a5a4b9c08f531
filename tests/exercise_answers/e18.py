import numpy as np


def glorot_uniform(fan_in, fan_out, generator):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return generator.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, generator):
    return generator.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))
