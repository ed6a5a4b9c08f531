"""Exercise 2: Sigmoid's forward calls minidl's stable_sigmoid."""

EXERCISE = 2
CHANGES = [
    ('self.y = 1 / (1 + np.exp(-x))',
     'from minidl.functional.activation import stable_sigmoid\n        self.y = stable_sigmoid(x)'),
]
APPEND = ''
EXPECT = 'computes sigmoid itself'
