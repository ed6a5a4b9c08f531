"""Exercise 18: Glorot's normal instead of uniform."""

EXERCISE = 18
CHANGES = [
    ('return generator.uniform(-limit, limit, size=(fan_in, fan_out))',
     'return generator.normal(0.0, limit / np.sqrt(3), size=(fan_in, fan_out))'),
]
APPEND = ''
EXPECT = 'uniform on'
