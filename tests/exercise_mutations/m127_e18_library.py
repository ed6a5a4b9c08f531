"""Exercise 18: uses minidl's initialisers."""

EXERCISE = 18
CHANGES = [
]
APPEND = '\ndef he_normal(fan_in, fan_out, generator):  # noqa: F811\n    from minidl.initializers import VarianceScaling\n    return VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=int(generator.integers(2**31)))((fan_in, fan_out), "float64")\n'
EXPECT = 'initialisers itself'
