"""Exercise 14: call leaves out the activation."""

EXERCISE = 14
CHANGES = [
    ('return self.activation(x @ self.kernel + self.bias)',
     'return x @ self.kernel + self.bias'),
]
APPEND = ''
EXPECT = '(x kernel + bias)'
