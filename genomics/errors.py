"""Errors of the library that name the parameters they are about, so that a front end can name its own.

A ``SettingError`` says its sentence in the library's terms (``stream``, ``fresh_masks``) and carries those
Python parameter names in ``.parameters``; the command line maps them to its flags (``--fresh-masks``).
"""

from __future__ import annotations


class SettingError(ValueError):
    """A setting (or a combination of settings) that cannot be used; ``parameters``: the names involved."""

    def __init__(self, message: str, parameters: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.parameters = tuple(parameters)
