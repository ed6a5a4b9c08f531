"""``minidl.backend``: the backend's user-facing functions (its home is ``minidl.core.backend``), and Keras's
``keras.backend`` helpers (``floatx``, ``epsilon``, ``clear_session``, ...).
"""

from minidl.core.backend import device, gpu_unavailable_reason, set_default_device  # noqa: F401 - the public names
from minidl.config import (  # noqa: F401 - keras.backend's names
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
def clear_session(free_memory: bool = True) -> None:
    """Start model names afresh ("functional", "sequential", ...), as Keras's ``clear_session`` resets its names.

    minidl keeps no other global graph or session state; ``free_memory`` is accepted for Keras programs.
    """
    from minidl.models import graph  # noqa: PLC0415 - minidl.backend is imported before the models

    graph._MODEL_NAME_COUNTS.clear()
