"""Exercise 14: call leaves out the bias."""

EXERCISE = 14
CHANGES = [
    ('return self.activation(x @ self.kernel + self.bias)',
     'return self.activation(x @ self.kernel)'),
]
APPEND = ''
EXPECT = '(x kernel + bias)'
