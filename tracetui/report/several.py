"""Several targets' reports as one document, with a shape scripts can rely on (#15)."""

from __future__ import annotations

import json


def combined_reports(reports: list[str], report_format: str) -> str:
    """One report as it is; several targets' reports as one: JSON ``{"reports": [...]}``
    of mtr-shaped objects, CSV with mtr's header once (its rows name their target),
    XML ``<REPORTS>`` around each target's ``<MTR>``, HTML one page with each target's
    sections in turn, text one after the other."""
    if len(reports) == 1:
        return reports[0]
    if report_format == "json":
        return json.dumps({"reports": [json.loads(r) for r in reports]}, indent=4) + "\n"
    if report_format == "csv":
        header, *_ = reports[0].splitlines(keepends=True)
        rows = [line for r in reports for line in r.splitlines(keepends=True)[1:]]
        return header + "".join(rows)
    if report_format == "xml":
        return _xml_reports(reports)
    if report_format == "html":
        return _html_reports(reports)
    return "\n".join(reports)


def _html_reports(reports: list[str]) -> str:
    """One page: the first report's head, then each report's body, a rule between them."""
    head, _, _ = reports[0].partition("<body>")
    bodies = [report.partition("<body>")[2].rpartition("</body>")[0] for report in reports]
    return head + "<body>" + "\n<hr>\n".join(bodies) + "</body></html>\n"


def _xml_reports(reports: list[str]) -> str:
    """One document: mtr's ``<MTR>`` element of each target under ``<REPORTS>``."""
    lines = ['<?xml version="1.0"?>', "<REPORTS>"]
    for report in reports:
        body = report.splitlines()
        if body and body[0].startswith("<?xml"):
            body = body[1:]
        lines += ["    " + line if line else line for line in body]
    lines.append("</REPORTS>")
    return "\n".join(lines) + "\n"
