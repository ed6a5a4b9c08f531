"""Exercise 21: predict returns the digits instead of (n, 10) scores."""

EXERCISE = 21
CHANGES = [
    ('    return model\n',
     "    return type('Labels', (), {'predict': lambda self, x: model.predict(x).argmax(axis=1)})()\n"),
    ('epochs=6',
     'epochs=1'),
]
APPEND = ''
EXPECT = '(2000, 10) scores'
