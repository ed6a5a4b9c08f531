"""Exercise 10: L2's value leaves out its strength."""

EXERCISE = 10
CHANGES = [
    ('return np.asarray(self.l2 * np.sum(w * w), dtype=w.dtype)',
     'return np.asarray(np.sum(w * w), dtype=w.dtype)'),
]
APPEND = ''
EXPECT = 'L2Penalty('
