"""Exercise 19: clips the caller's gradient in place."""

EXERCISE = 19
CHANGES = [
    ('    return g * np.asarray(max_norm / max(norm, max_norm), dtype=g.dtype)',
     '    g *= max_norm / max(norm, max_norm)\n    return g'),
]
APPEND = ''
EXPECT = "leaves the caller's gradient"
