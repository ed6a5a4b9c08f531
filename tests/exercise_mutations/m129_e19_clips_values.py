"""Exercise 19: clips each element instead of the norm."""

EXERCISE = 19
CHANGES = [
    ('return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)',
     'return np.clip(g, -max_norm, max_norm)'),
]
APPEND = ''
EXPECT = 'clip_by_norm of a gradient'
