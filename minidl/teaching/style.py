"""One style for every picture minidl and genomics draw: a colour-blind-safe palette, print-sized fonts, and
PNG, SVG and PDF written side by side.

The palette is Okabe and Ito's (2008, "Color Universal Design"), the eight colours that people with each
common kind of colour blindness still tell apart; black is kept for marked points (an observed data set).
A figure is drawn inside ``drawing()`` (matplotlib's ``rc_context`` with the settings below) and written by
``save``: ``name.png`` (150 dpi, for screens and the HTML report) with ``name.svg`` and ``name.pdf`` beside it
(vector, for a paper or a talk).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
"""orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, black."""

CATEGORICAL = [OKABE_ITO[i] for i in (4, 0, 2, 5, 1, 6, 3)]
"""The order groups take colours in: the darker, most distinct colours first, yellow (hard on white) last."""

SEQUENTIAL = "cividis"
"""The colour map of heat maps: perceptually uniform and readable with every common colour blindness."""

RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9, "xtick.labelsize": 9,
      "ytick.labelsize": 9, "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none",
      "pdf.fonttype": 42, "savefig.bbox": "tight"}
"""Fonts readable at a paper's column width; text kept as text in SVG and PDF (searchable, editable)."""

VECTOR_FORMATS = (".svg", ".pdf")


def colour(index: int) -> str:
    """The colour of group ``index`` (cycling after seven groups)."""
    return CATEGORICAL[index % len(CATEGORICAL)]


@contextlib.contextmanager
def drawing(pyplot: Any) -> Iterator[None]:
    """matplotlib settings of this style, for the figures made inside the block."""
    with pyplot.rc_context({**RC, "axes.prop_cycle": pyplot.cycler(color=CATEGORICAL)}):
        yield


def save(figure: Any, path: str, pyplot: Any, dpi: int = 150) -> str:
    """Write ``figure`` to ``path``; a ``.png`` path gets its ``.svg`` and ``.pdf`` beside it. Returns ``path``."""
    figure.savefig(path, dpi=dpi)
    stem, extension = os.path.splitext(path)
    if extension.lower() == ".png":
        for vector in VECTOR_FORMATS:
            figure.savefig(stem + vector)
    pyplot.close(figure)
    return path
