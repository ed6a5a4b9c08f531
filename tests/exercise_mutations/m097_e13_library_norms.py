"""Exercise 13: calls the experiment's own gradient_norms."""

EXERCISE = 13
CHANGES = [
]
APPEND = '\ndef gradient_norms(model, x, y):  # noqa: F811\n    from minidl.exercises import experiments\n    return list(experiments.gradient_norms(model, x, y))\n'
EXPECT = 'computes the gradient norms itself'
