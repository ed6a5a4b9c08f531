"""Exercise 18: Glorot's limit from fan_in alone."""

EXERCISE = 18
CHANGES = [
    ('limit = np.sqrt(6 / (fan_in + fan_out))',
     'limit = np.sqrt(3 / fan_in)'),
]
APPEND = ''
EXPECT = 'glorot_uniform('
