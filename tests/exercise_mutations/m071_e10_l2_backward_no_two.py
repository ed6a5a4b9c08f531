"""Exercise 10: L2's backward leaves out the factor 2."""

EXERCISE = 10
CHANGES = [
    ('return (gy * 2 * self.l2 * self.w).astype(self.w.dtype)',
     'return (gy * self.l2 * self.w).astype(self.w.dtype)'),
]
APPEND = ''
EXPECT = 'L2Penalty('
