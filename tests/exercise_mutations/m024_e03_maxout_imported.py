"""Exercise 3: Maxout is the exercise module's own."""

EXERCISE = 3
CHANGES = [
]
APPEND = 'from minidl.exercises.e03_elu_leaky_maxout import Maxout  # noqa: E402,F811\n'
EXPECT = 'Maxout is your own code'
