"""Report writers: pure functions from a :class:`~tracetui.path.snapshot.PathView` to text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracetui.report.formats import FORMATS, ReportFormat, render

if TYPE_CHECKING:
    from tracetui.report.common import ReportOptions

__all__ = ["FORMATS", "ReportFormat", "ReportOptions", "render"]


def __getattr__(name: str) -> Any:
    """ReportOptions on first use: the command line imports this package for its table
    of formats, and --help should not pay for the reports' common code."""
    if name == "ReportOptions":
        from tracetui.report.common import ReportOptions

        return ReportOptions
    raise AttributeError(name)
