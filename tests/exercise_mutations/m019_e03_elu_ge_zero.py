"""Exercise 3: ELU's slope at exactly 0 is 1 (>= 0)."""

EXERCISE = 3
CHANGES = [
    ('        self.positive = x > 0\n        self.exp',
     '        self.positive = x >= 0\n        self.exp'),
]
APPEND = ''
EXPECT = 'backward where the input is exactly 0'
