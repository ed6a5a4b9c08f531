"""``minidl.random``, Keras's ``keras.random``: one seed for weights, masks and shuffles (its home is
``minidl.core.random``).
"""

from minidl.core.random import generator, generator_for, seed  # noqa: F401 - the public names
