"""Exercise 7: lr is 0.01 whatever is asked."""

EXERCISE = 7
CHANGES = [
    ('velocity = momentum * velocity - lr * g',
     'velocity = momentum * velocity - 0.01 * g'),
]
APPEND = ''
EXPECT = 'lr='
