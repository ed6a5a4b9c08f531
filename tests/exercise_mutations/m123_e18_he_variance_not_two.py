"""Exercise 18: He's standard deviation sqrt(1 / fan_in)."""

EXERCISE = 18
CHANGES = [
    ('generator.normal(0.0, np.sqrt(2 / fan_in)',
     'generator.normal(0.0, np.sqrt(1 / fan_in)'),
]
APPEND = ''
EXPECT = 'he_normal('
