"""Exercise 7: plain SGD whatever the momentum."""

EXERCISE = 7
CHANGES = [
    ('velocity = momentum * velocity - lr * g',
     'velocity = -lr * g'),
]
APPEND = ''
EXPECT = 'momentum='
