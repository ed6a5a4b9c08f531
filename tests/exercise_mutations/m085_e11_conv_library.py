"""Exercise 11: Conv1D calls minidl's conv1d."""

EXERCISE = 11
CHANGES = [
]
APPEND = '\nclass Conv1D:  # noqa: F811\n    def __call__(self, x, W, b):  # noqa: N803\n        from minidl import functional as F\n        return F.conv1d(x, W, b)\n'
EXPECT = 'computes the convolution itself'
