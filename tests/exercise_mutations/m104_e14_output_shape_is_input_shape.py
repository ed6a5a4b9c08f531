"""Exercise 14: compute_output_shape returns the input's shape."""

EXERCISE = 14
CHANGES = [
    ('return tuple(input_shape[:-1]) + (self.units,)',
     'return tuple(input_shape)'),
]
APPEND = ''
EXPECT = 'compute_output_shape'
