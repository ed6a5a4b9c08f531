"""Exercise 13: the norms are listed last layer first."""

EXERCISE = 13
CHANGES = [
    ('return [float(np.linalg.norm(layer.kernel.grad)) for layer in model.layers if isinstance(layer, Dense)]',
     'return [float(np.linalg.norm(layer.kernel.grad)) for layer in model.layers if isinstance(layer, Dense)][::-1]'),
]
APPEND = ''
EXPECT = 'gradient_norms on'
