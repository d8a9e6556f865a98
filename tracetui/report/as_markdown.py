"""A Markdown table for issue trackers and wikis."""

from __future__ import annotations

import re

from tracetui.columns import LATENCY_ORDER, cell_text, columns_of, hop_stats
from tracetui.labels import asn_label, host_label
from tracetui.path.snapshot import PathView
from tracetui.report.as_text import verdict_label
from tracetui.report.common import ReportOptions, iso
from tracetui.textsafe import printable

_INLINE = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~&"})
"""What Markdown reads anywhere in a line: code, emphasis, links (a link needs its ``[``),
HTML and autolinks, a table's column bar, strikethrough, entities."""
_LEADING = re.compile(r"^(\s*)(?:(#{1,6}|[+=-])|(\d{1,9})([.)]))(?=\s|$)")
"""What it reads only at the start of a line, before a space: headings and list items."""


def _cell(text: str) -> str:
    """Escapes only what Markdown would misread, so the file also reads well raw
    (``gw.home.example``, not ``gw\\.home\\.example``)."""
    out = printable(text).translate(_INLINE)
    found = _LEADING.match(out)
    if found is None:
        return out
    space, mark, digits, dot = found.groups()
    head = f"{space}\\{mark}" if mark else f"{space}{digits}\\{dot}"
    return head + out[found.end() :]


def render_markdown(view: PathView, options: ReportOptions) -> str:
    info = view.info
    columns = columns_of(LATENCY_ORDER)
    lines = [
        f"### tracetui {_cell(info.target_name)} ({_cell(info.target)})",
        "",
        f"{view.method.upper()} probes, {view.rounds} rounds, "
        f"{_cell(iso(view.started))} to {_cell(iso(view.taken))}",
        "",
    ]
    header = ["Hop", "Host"] + (["ASN"] if options.show_asn else [])
    header += [column.label for column in columns]
    diagnosis = view.diagnosis
    if diagnosis is not None:
        header.append("Verdict")
    lines.append("| " + " | ".join(header) + " |")
    lines.append(
        "|" + "|".join("---" if h in ("Host", "ASN", "Verdict") else "---:" for h in header) + "|"
    )
    for hop in view.hops:
        hosts = [_cell(host_label(r, options.show_names)) for r in hop.responders]
        cells = [str(hop.ttl), "<br>".join(hosts) or _cell(host_label(None, False))]
        if options.show_asn:
            cells.append(asn_label(hop.primary))
        row = hop_stats(hop)
        cells += [cell_text(column, row).removesuffix("%") for column in columns]
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        if diagnosis is not None:
            cells.append(_cell(verdict_label(verdict)) if verdict else "")
        lines.append("| " + " | ".join(cells) + " |")
    if diagnosis is not None and diagnosis.summary:
        lines.append("")
        lines += [f"- {_cell(sentence)}" for sentence in diagnosis.summary]
    return "\n".join(lines) + "\n"
