"""Exercise 7: calls minidl's momentum_update on copies."""

EXERCISE = 7
CHANGES = [
]
APPEND = '\ndef sgd_step(w, g, velocity, lr, momentum, nesterov):  # noqa: F811\n    from minidl.optimizers import momentum_update\n    w, velocity = w.copy(), velocity.copy()\n    momentum_update(w, g, velocity, lr, momentum, nesterov)\n    return w, velocity\n'
EXPECT = 'computes the momentum update itself'
