"""``write_report``: one self-contained HTML page of a run folder (proposed command: ``genomics report
RUN_FOLDER [--out FILE]``).

The page holds every picture as a base64 data URI and its style sheet inline; it has no script and no
address outside itself, so it opens offline, can be mailed as one file and archived beside the run.
Sections, in order: settings, scenarios (with a picture of each demography), encoding, training curves,
scores and calibration, confusion matrix, ABC beside the CNN, adequacy, predictions, versions and seeds
(``genomics.report.sections``). A section whose files the run lacks says so in one line.
"""

from __future__ import annotations

import datetime
import html
import os
import platform

from genomics.report.run_folder import ReportError, read_run_folder
from genomics.report.sections import SECTIONS

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 72rem;
       padding: 1rem 2rem; color: #1a1a1a; line-height: 1.45; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: .4rem 0; }
nav a { margin-right: 1rem; color: #0072B2; text-decoration: none; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } caption { text-align: left; font-style: italic; padding: .2rem 0; }
figure { margin: .6rem 0; } img { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; }
.grid { display: flex; flex-wrap: wrap; gap: 1.5rem; } .scenario { flex: 1 1 22rem; }
.absent { color: #666; font-style: italic; } .warning { color: #D55E00; font-weight: bold; }
code { background: #f4f4f4; padding: 0 .2rem; }
"""


def render(run_folder: str) -> str:
    """The report page of ``run_folder`` as one HTML string (see the module's docstring)."""
    run = read_run_folder(run_folder)
    title = f"genomics run report: {os.path.basename(os.path.abspath(run.path))}"
    parts = []
    for anchor, heading, build in SECTIONS:
        parts.append(f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{build(run)}</section>')
    navigation = "".join(f'<a href="#{anchor}">{html.escape(heading)}</a>' for anchor, heading, _ in SECTIONS)
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>Written {made} from <code>{html.escape(os.path.abspath(run.path))}"
            f"</code> by genomics.report (Python {platform.python_version()}).</p>"
            f"<nav>{navigation}</nav>{''.join(parts)}</body></html>\n")


def write_report(run_folder: str, out_path: str | None = None) -> str:
    """Write the report of ``run_folder`` to ``out_path`` (default ``RUN_FOLDER/report.html``); returns the path.

    A folder that is not a run (no bundle, no known output) or an output
    path that cannot be written is one ``ReportError`` sentence, raised before
    anything is written; the page is written to a temporary file beside
    ``out_path`` and renamed, so no partial page is left behind.
    """
    if out_path is None:
        out_path = os.path.join(run_folder, "report.html")
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise ReportError(f"cannot write the report to {out_path!r}: the folder {folder!r} does not exist")
    if os.path.isdir(out_path):
        raise ReportError(f"cannot write the report to {out_path!r}: it is a folder; give a file name ending .html")
    page = render(run_folder)
    partial = out_path + ".partial"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(partial, out_path)
    except OSError as error:
        if os.path.exists(partial):
            os.remove(partial)
        raise ReportError(f"cannot write the report to {out_path!r}: {error.strerror or error}") from None
    return out_path
