"""Exercise 22: predict returns the classes instead of (n, 2) scores."""

EXERCISE = 22
CHANGES = [
    ('    return model\n',
     "    return type('Labels', (), {'predict': lambda self, x: model.predict(x).argmax(axis=1)})()\n"),
    ('epochs=30',
     'epochs=1'),
]
APPEND = ''
EXPECT = '(400, 2) scores'
