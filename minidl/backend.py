"""``minidl.backend``: the backend's user-facing functions (its home is ``minidl.core.backend``).
"""

from minidl.core.backend import device, gpu_unavailable_reason, set_default_device  # noqa: F401 - the public names
