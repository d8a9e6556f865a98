"""The mtr-style text table, for terminals, tickets and chat.

After mtr's columns, each hop's verdict; after the table, the summary.
"""

from __future__ import annotations

from tracetui.columns import LATENCY_ORDER, cell_text, columns_of, hop_stats
from tracetui.diagnose import HopVerdict
from tracetui.labels import asn_label, host_label
from tracetui.report.common import ReportOptions, iso
from tracetui.snapshot import PathView
from tracetui.textsafe import printable

NUMBER_WIDTH = 6


def render_text(view: PathView, options: ReportOptions) -> str:
    columns = columns_of(LATENCY_ORDER)
    labels = []
    for hop in view.hops:
        label = host_label(hop.primary, options.show_names)
        if options.show_asn and hop.primary:
            label = f"{asn_label(hop.primary):<9} {label}"
        labels.append(label)
    width = max([len(label) for label in labels] + [30])
    local = printable(view.info.local_host)
    lines = [
        f"Start: {iso(view.started)}",
        f"HOST: {local:<{width + 2}}"
        + "".join(f" {column.label:>{NUMBER_WIDTH}}" for column in columns),
    ]
    diagnosis = view.diagnosis
    if diagnosis is not None:
        lines[1] += f"  {'Verdict'}"
    for hop, label in zip(view.hops, labels, strict=True):
        row = hop_stats(hop)
        cells = "".join(f" {cell_text(column, row, None):>{NUMBER_WIDTH}}" for column in columns)
        line = f"{hop.ttl:3d}.|-- {label:<{width}}{cells}"
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        if verdict is not None:
            line += f"  {verdict_label(verdict)}"
        lines.append(line)
        for extra in hop.responders[1:]:
            lines.append(f"    |  `-- {host_label(extra, options.show_names)}")
    if diagnosis is not None and diagnosis.summary:
        lines.append("")
        lines += [f"  {sentence}" for sentence in diagnosis.summary]
    return "\n".join(lines) + "\n"


def verdict_label(verdict: HopVerdict) -> str:
    """The verdict, with traceroute's mark for a refusal (``unreachable !H``)."""
    value = verdict.verdict.value
    return f"{value} {verdict.code}" if verdict.code else value
