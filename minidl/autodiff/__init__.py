"""Automatic differentiation: ``Tensor`` (data, gradient, the graph of its making and the backward walk in
topological order) and ``Function`` (the forward/backward contract of every differentiable operation,
``no_grad``, ``unbroadcast``).
"""
