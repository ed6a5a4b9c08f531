"""Exercise 19: rescales every gradient to max_norm, even a small one."""

EXERCISE = 19
CHANGES = [
    ('return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)',
     'return g * np.asarray(max_norm / (norm + 1e-12), dtype=g.dtype)'),
]
APPEND = ''
EXPECT = 'within max_norm'
