"""One self-contained HTML report per run folder: ``write_report(run_folder, out_path=None)``."""

from genomics.report.html import render, write_report  # noqa: F401 - the public names
from genomics.report.run_folder import ReportError, read_run_folder  # noqa: F401
