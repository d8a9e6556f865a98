"""Report writers: pure functions from a :class:`~tracetui.snapshot.PathView` to text."""

from __future__ import annotations

from collections.abc import Callable

from tracetui.report.as_csv import render_csv
from tracetui.report.as_json import render_json
from tracetui.report.as_markdown import render_markdown
from tracetui.report.as_text import render_text
from tracetui.report.common import ReportOptions
from tracetui.snapshot import PathView

Renderer = Callable[[PathView, ReportOptions], str]

FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}

EXTENSIONS = {"text": "txt", "json": "json", "csv": "csv", "markdown": "md"}


def render(view: PathView, fmt: str, options: ReportOptions | None = None) -> str:
    return FORMATS[fmt](view, options or ReportOptions())


__all__ = ["EXTENSIONS", "FORMATS", "ReportOptions", "render"]
