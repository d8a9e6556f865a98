"""Every report format in one list: name, title, file extension, and the function that writes it.

The command line, the headless report, the live screen's export dialog and
``--report-on-exit`` all read this list. Writers are named, not imported, so
reading the list costs the command line nothing; ``render`` imports the one
it needs. mtr's streaming formats (``-l`` raw, ``-p`` split) are not reports
of a finished run: :mod:`tracetui.report.mtr_streams` writes them as it goes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # annotations: the command line reads this table, --help among it
    from tracetui.path.snapshot import PathView
    from tracetui.report.common import ReportOptions


class ReportFormat(NamedTuple):
    name: str
    title: str
    extension: str
    writer: str
    """``module:function`` of a pure function (PathView, ReportOptions) -> str."""
    flags: tuple[str, ...]
    """The options that ask for it: mtr's letter and long name where mtr has them."""
    help: str
    """--help's line (mtr's words for mtr's formats)."""
    charts: bool = False
    """It draws the run over time: its snapshot needs a timeline (see ``timeline_points``)."""
    file_argument: bool = False
    """Its option names the file to write (``--html FILE``), as ``--output`` would."""

    @property
    def mtr(self) -> bool:
        """mtr has it too (under the same letter)."""
        return len(self.flags) > 1


FORMATS: dict[str, ReportFormat] = {
    fmt.name: fmt
    for fmt in (
        ReportFormat(
            "text",
            "Text (mtr -r)",
            "txt",
            "tracetui.report.as_text:render_text",
            ("-r", "--report"),
            "output using report mode",
        ),
        ReportFormat(
            "json",
            "JSON (mtr -j)",
            "json",
            "tracetui.report.as_json:render_json",
            ("-j", "--json"),
            "output json",
        ),
        ReportFormat(
            "csv",
            "CSV (mtr -C)",
            "csv",
            "tracetui.report.as_csv:render_csv",
            ("-C", "--csv"),
            "output comma separated values",
        ),
        ReportFormat(
            "xml",
            "XML (mtr -x)",
            "xml",
            "tracetui.report.as_xml:render_xml",
            ("-x", "--xml"),
            "output xml",
        ),
        ReportFormat(
            "markdown",
            "Markdown",
            "md",
            "tracetui.report.as_markdown:render_markdown",
            ("--markdown",),
            "output a Markdown table",
        ),
        ReportFormat(
            "dot",
            "Graphviz graph",
            "dot",
            "tracetui.report.as_dot:render_dot",
            ("--dot",),
            "output a Graphviz graph of the path (every branch with --multipath)",
        ),
        ReportFormat(
            "html",
            "HTML page",
            "html",
            "tracetui.report.as_html:render_html",
            ("--html",),
            "write one self-contained HTML page (summary, table, charts, events) to FILE "
            "(- for standard output)",
            charts=True,
            file_argument=True,
        ),
    )
}
"""Every report format, one row each; the command line's options come from it."""


CHART_POINTS = 720
"""Points a report's timeline has at most (two a pixel of its charts at most: a day in
2-minute buckets, 30 days in 1-hour ones)."""


def timeline_points(name: str | None) -> int:
    """How many timeline points a report in format ``name`` needs (0: none)."""
    return CHART_POINTS if name in FORMATS and FORMATS[name].charts else 0


def report_modules(name: str) -> tuple[str, ...]:
    """What writing a report in format ``name`` imports (files are written through
    tempfile; several targets' reports are joined by report.several): that writer only,
    since XML's escaping alone costs 20 ms of start-up a text report never uses."""
    return ("tempfile", "tracetui.report.several", FORMATS[name].writer.split(":")[0])


REPORT_MODULES = tuple(dict.fromkeys(m for name in FORMATS for m in report_modules(name)))
"""What writing a report in any format imports (the live screen's export offers them all)."""


def render(view: PathView, fmt: str, options: ReportOptions | None = None) -> str:
    from tracetui.path.privacy import redact
    from tracetui.report.common import ReportOptions

    options = options or ReportOptions()
    module, function = FORMATS[fmt].writer.split(":")
    writer = getattr(importlib.import_module(module), function)
    return writer(redact(view, options.privacy_max_ttl), options)
