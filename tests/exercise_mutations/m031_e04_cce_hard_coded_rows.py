"""Exercise 4: categorical cross-entropy divides by 5 rows whatever the batch."""

EXERCISE = 4
CHANGES = [
    ('rows = self.p.size // self.p.shape[-1]',
     'rows = 5'),
    ('return np.mean(-np.sum(self.y * np.log(p), axis=-1)).astype(p.dtype)',
     'return (np.sum(-np.sum(self.y * np.log(p), axis=-1)) / 5).astype(p.dtype)'),
]
APPEND = ''
EXPECT = 'CategoricalCrossentropy'
