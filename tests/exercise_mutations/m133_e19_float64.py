"""Exercise 19: returns float64."""

EXERCISE = 19
CHANGES = [
    ('return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)',
     'return g * (max_norm / max(norm, max_norm))'),
]
APPEND = ''
EXPECT = 'float32 in, float32 out'
