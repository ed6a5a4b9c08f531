"""Exercise 19: the global clip rescales each gradient by its own norm."""

EXERCISE = 19
CHANGES = [
    ('    return [g * np.asarray(scale, dtype=g.dtype) for g in gradients]',
     '    return [clip_by_norm(g, max_norm) for g in gradients]'),
]
APPEND = ''
EXPECT = 'clip_by_global_norm (joint norm'
