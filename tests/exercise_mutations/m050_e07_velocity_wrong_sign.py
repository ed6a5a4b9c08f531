"""Exercise 7: the velocity adds lr g."""

EXERCISE = 7
CHANGES = [
    ('velocity = momentum * velocity - lr * g',
     'velocity = momentum * velocity + lr * g'),
]
APPEND = ''
EXPECT = 'momentum='
