"""Exercise 14: a Dense layer of your own. Then run:

    python -m minidl.exercises check 14 this_file.py
"""

from minidl import activations
from minidl import functional as F  # noqa: F401 - you will need it
from minidl.layers import Layer


class MyDense(Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)

    def build(self, input_shape):
        raise NotImplementedError("self.kernel = self.add_weight(name='kernel', shape=(in, units), initializer='glorot_uniform'); "
                                  "then the bias")

    def call(self, x, training):
        raise NotImplementedError("activation(x kernel + bias)")

    def compute_output_shape(self, input_shape):
        raise NotImplementedError
