"""Exercise 14: compute_output_shape drops the batch axis."""

EXERCISE = 14
CHANGES = [
    ('return tuple(input_shape[:-1]) + (self.units,)',
     'return (self.units,)'),
]
APPEND = ''
EXPECT = 'compute_output_shape'
