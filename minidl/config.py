"""``minidl.config``, Keras's ``keras.config``: numerical settings (their home is ``minidl.core.config``).

``backend()`` is "numpy": minidl computes on numpy (cupy on a GPU), as Keras's numpy backend.
"""

from minidl.core.config import (  # noqa: F401 - the public names
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)


def backend() -> str:
    """The name Keras programs compare with ("tensorflow", "jax", ...): minidl's arrays are numpy's."""
    return "numpy"
