"""Exercise 14: MyDense is minidl's Dense."""

EXERCISE = 14
CHANGES = [
]
APPEND = '\nfrom minidl.layers import Dense  # noqa: E402\n\n\nclass MyDense(Dense):  # noqa: F811\n    pass\n'
EXPECT = 'MyDense is your own code'
