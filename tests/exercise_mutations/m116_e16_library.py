"""Exercise 16: calls minidl's conv2d."""

EXERCISE = 16
CHANGES = [
]
APPEND = '\nclass Conv2D:  # noqa: F811\n    def __call__(self, x, W, b):  # noqa: N803\n        from minidl import functional as F\n        return F.conv2d(x, W, b)\n'
EXPECT = 'computes the convolution itself'
