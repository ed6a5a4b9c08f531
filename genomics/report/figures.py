"""Pictures embedded in a report page: drawn into a temporary folder, read back as base64 data URIs.

A picture is an ``<img>`` whose ``src`` is ``data:image/svg+xml;base64,...`` (the SVG that
``minidl.teaching.style.save`` writes beside each PNG) or ``data:image/png;base64,...``, so that the page
needs no other file and loads nothing from the network; an SVG inside ``<img>`` runs no script.
"""

from __future__ import annotations

import base64
import html
import os
import tempfile
from typing import Callable

MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def data_uri(path: str) -> str:
    """``data:<media type>;base64,<the file's bytes>`` of an SVG or PNG file."""
    extension = os.path.splitext(path)[1].lower()
    with open(path, "rb") as handle:
        return f"data:{MEDIA_TYPES[extension]};base64,{base64.b64encode(handle.read()).decode('ascii')}"


def embedded_file(path: str, caption: str) -> str:
    """A ``<figure>`` holding the picture file ``path`` (SVG or PNG) with ``caption``."""
    return (f'<figure><img alt="{html.escape(caption)}" src="{data_uri(path)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def figure(draw: Callable[[str], str], caption: str) -> str:
    """``draw(path)`` (a function that writes ``path``.png with its .svg beside), embedded as SVG when written,
    else as PNG; matplotlib missing is one line saying so."""
    with tempfile.TemporaryDirectory(prefix="genomics-report-") as folder:
        path = os.path.join(folder, "picture.png")
        try:
            draw(path)
        except ImportError as error:
            return f'<p class="absent">Absent: the picture of {html.escape(caption)} ({html.escape(str(error))}).</p>'
        vector = os.path.splitext(path)[0] + ".svg"
        return embedded_file(vector if os.path.exists(vector) else path, caption)
