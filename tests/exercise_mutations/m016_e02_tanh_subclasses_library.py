"""Exercise 2: Tanh subclasses minidl's Tanh and keeps its methods."""

EXERCISE = 2
CHANGES = [
    ('class Tanh(Function):\n    def forward(self, x):\n        self.y = np.tanh(x)\n        return self.y\n\n    def backward(self, gy):\n        return gy * (1 - self.y * self.y)\n',
     'from minidl.functional import activation as _activation\n\n\nclass Tanh(_activation.Tanh):\n    pass\n'),
]
APPEND = ''
EXPECT = 'Tanh is your own code'
