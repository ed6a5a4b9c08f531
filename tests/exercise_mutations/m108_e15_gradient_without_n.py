"""Exercise 15: the gradient is not divided by n."""

EXERCISE = 15
CHANGES = [
    ('return (gy * (self.softmax - self.y) / len(self.softmax))',
     'return (gy * (self.softmax - self.y))'),
]
APPEND = ''
EXPECT = 'SoftmaxCrossentropy'
