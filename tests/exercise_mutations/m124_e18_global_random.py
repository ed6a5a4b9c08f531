"""Exercise 18: draws from numpy's global generator instead of the one given."""

EXERCISE = 18
CHANGES = [
    ('return generator.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))',
     'return np.random.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))'),
]
APPEND = ''
EXPECT = 'the same generator state'
