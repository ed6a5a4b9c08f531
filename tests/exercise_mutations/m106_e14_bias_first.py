"""Exercise 14: the bias is made before the kernel."""

EXERCISE = 14
CHANGES = [
    ('        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),\n                                      initializer="glorot_uniform")\n        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")\n',
     '        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")\n        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),\n                                      initializer="glorot_uniform")\n'),
]
APPEND = ''
EXPECT = "weights in Keras's layout"
