"""Exercise 12: BatchNorm is minidl's own."""

EXERCISE = 12
CHANGES = [
]
APPEND = 'from minidl.functional.norm import BatchNormTraining as BatchNorm  # noqa: E402,F811\n'
EXPECT = 'BatchNorm is your own code'
