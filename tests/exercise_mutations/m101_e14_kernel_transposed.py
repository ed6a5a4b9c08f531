"""Exercise 14: the kernel is (units, in)."""

EXERCISE = 14
CHANGES = [
    ('shape=(input_shape[-1], self.units)',
     'shape=(self.units, input_shape[-1])'),
    ('x @ self.kernel',
     'x @ self.kernel.T'),
]
APPEND = ''
EXPECT = "weights in Keras's layout"
