"""Exercise 17: every element of a window gets the gradient."""

EXERCISE = 17
CHANGES = [
    ('np.put_along_axis(g, self.winner[..., None], gy[..., None], axis=-1)',
     'g[...] = gy[..., None]'),
]
APPEND = ''
EXPECT = 'MaxPool2D on'
