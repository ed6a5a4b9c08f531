"""Exercise 18: He's variance used as the standard deviation."""

EXERCISE = 18
CHANGES = [
    ('generator.normal(0.0, np.sqrt(2 / fan_in)',
     'generator.normal(0.0, 2 / fan_in'),
]
APPEND = ''
EXPECT = 'he_normal('
