"""Exercise 5: dL/db2 takes the first row instead of summing over the batch."""

EXERCISE = 5
CHANGES = [
    ('"b2": dz.sum(axis=0)',
     '"b2": dz[0]'),
]
APPEND = ''
EXPECT = 'dL/db2'
