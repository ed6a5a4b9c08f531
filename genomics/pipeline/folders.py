"""Output folders made (or refused) before any long work starts."""

from __future__ import annotations

import os


def prepare_output_folder(out_dir: str) -> None:
    """Create ``out_dir`` (and its parents) now, so that a bad path fails before any long work."""
    blocker = os.path.abspath(out_dir)
    while blocker != os.path.dirname(blocker) and not os.path.exists(blocker):
        blocker = os.path.dirname(blocker)
    if os.path.exists(blocker) and not os.path.isdir(blocker):
        raise ValueError(f"cannot create the output folder {out_dir!r}: {blocker!r} is a file, not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the output folder {out_dir!r}: {error.strerror or error}") from None
    if not os.access(out_dir, os.W_OK):
        raise ValueError(f"the output folder {out_dir!r} is not writable")
