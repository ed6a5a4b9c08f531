"""Reading a user's text file whole, with every failure as one sentence naming the file.

A missing file stays a ``FileNotFoundError`` (the command line reports it as
one line); a folder, an unreadable file or bytes that are not UTF-8 become
a ``ValueError`` that names the path and what was expected.
"""

from __future__ import annotations


def read_text(path: str, what: str = "text file") -> str:
    """The whole content of ``path`` as text; ``what`` names the expected kind in the error."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no {what} at {path!r}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a UTF-8 {what} (byte {error.start} is {error.object[error.start]:#04x})") \
            from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read the {what} ({error.strerror})") from None
