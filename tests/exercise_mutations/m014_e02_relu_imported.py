"""Exercise 2: ReLU is minidl's own class."""

EXERCISE = 2
CHANGES = [
]
APPEND = 'from minidl.functional.activation import ReLU  # noqa: E402,F811\n'
EXPECT = 'ReLU is your own code'
