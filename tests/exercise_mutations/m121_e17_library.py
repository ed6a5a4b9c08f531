"""Exercise 17: calls minidl's max_pool2d."""

EXERCISE = 17
CHANGES = [
]
APPEND = '\nclass MaxPool2D:  # noqa: F811\n    def __call__(self, x):\n        from minidl import functional as F\n        return F.max_pool2d(x, 2)\n'
EXPECT = 'computes max pooling itself'
