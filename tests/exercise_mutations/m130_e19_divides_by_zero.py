"""Exercise 19: divides by the norm: a zero gradient becomes NaN."""

EXERCISE = 19
CHANGES = [
    ('return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)',
     'return g * np.asarray(min(1.0, max_norm / norm) if norm else np.nan, dtype=g.dtype)'),
]
APPEND = ''
EXPECT = 'zero gradient'
