"""Exercise 6: Linear is minidl's own."""

EXERCISE = 6
CHANGES = [
]
APPEND = 'from minidl.functional.linear import Linear  # noqa: E402,F811\n'
EXPECT = 'Linear is your own code'
