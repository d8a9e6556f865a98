"""Report writers: pure functions from a :class:`~tracetui.path.snapshot.PathView` to text."""

from tracetui.report.common import ReportOptions
from tracetui.report.formats import FORMATS, ReportFormat, render

__all__ = ["FORMATS", "ReportFormat", "ReportOptions", "render"]
