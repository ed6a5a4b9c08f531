"""Exercise 10: L1's sign at 0 is 1 (np.where(w >= 0, 1, -1))."""

EXERCISE = 10
CHANGES = [
    ('return (gy * self.l1 * np.sign(self.w)).astype(self.w.dtype)',
     'return (gy * self.l1 * np.where(self.w >= 0, 1, -1)).astype(self.w.dtype)'),
]
APPEND = ''
EXPECT = 'backward where the input is exactly 0'
