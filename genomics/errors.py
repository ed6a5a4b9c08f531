"""Errors of the library that name its settings by their Python parameter names, so that each front end can
spell them its own way (the command line as flags: ``fresh_masks`` -> ``--fresh-masks``).

A ``SettingError`` is written as a template in which every setting appears as ``{name}``::

    raise SettingError("{stream} and {fresh_masks} cannot be combined yet: choose one")

``str(error)`` is the sentence with the parameter names (``stream and fresh_masks cannot be combined yet:
choose one``), which is what a Python caller passed; ``error.parameters`` is ``("stream", "fresh_masks")``, in
order of first appearance; ``error.sentence(spell)`` writes each name as ``spell(name)`` (a function or a
mapping; a name the mapping lacks keeps its own spelling). Only ``{name}`` with a name of lower-case letters,
digits and underscores is a parameter; a value put into the template (a path, a number) that could hold such
braces is written with them doubled (``{{`` and ``}}``), as in ``str.format``.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

PARAMETER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)\}(?!\})")


class SettingError(ValueError):
    """A setting (or a combination of settings) refused in one sentence that names the parameters involved.

    Attributes: ``template`` (the sentence with ``{name}`` placeholders) and ``parameters`` (the names, in
    order of first appearance). A subclass of ValueError, so ``except ValueError`` still catches it.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.parameters: tuple[str, ...] = tuple(dict.fromkeys(PARAMETER.findall(template)))
        if not self.parameters:
            raise TypeError(f"a SettingError names at least one parameter as {{name}}; got {template!r}")
        super().__init__(self.sentence())

    def sentence(self, spell: Callable[[str], str] | Mapping[str, str] | None = None) -> str:
        """The sentence with each parameter written ``spell(name)`` (default: the name itself)."""
        if spell is None:
            spell = str
        elif isinstance(spell, Mapping):
            mapping = spell
            spell = lambda name: mapping.get(name, name)  # noqa: E731
        return PARAMETER.sub(lambda match: spell(match.group(1)), self.template).replace("{{", "{").replace("}}", "}")

    def __reduce__(self) -> tuple:  # picklable (errors cross process boundaries from worker pools)
        return (type(self), (self.template,))


def braces_doubled(value: object) -> str:
    """``str(value)`` with its braces doubled, to put a value (a path, a repr) into a ``SettingError`` template."""
    return str(value).replace("{", "{{").replace("}", "}}")
