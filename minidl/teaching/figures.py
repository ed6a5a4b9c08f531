"""matplotlib, imported only when a picture is asked for (it is an optional extra: pip install minidl[plot])."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot with a file-only backend, or an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: PLC0415 - optional dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise ImportError("minidl's pictures need matplotlib: pip install matplotlib") from None
    return plt
