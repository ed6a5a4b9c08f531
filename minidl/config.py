"""``minidl.config``, Keras's ``keras.config``: numerical settings (their home is ``minidl.core.config``).
"""

from minidl.core.config import epsilon, set_epsilon  # noqa: F401 - the public names
