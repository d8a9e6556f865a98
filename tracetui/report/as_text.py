"""The mtr-style text table, for terminals, tickets and chat."""

from __future__ import annotations

from tracetui.columns import LATENCY_ORDER, cell_text, columns_of, hop_stats
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
    for hop, label in zip(view.hops, labels, strict=True):
        row = hop_stats(hop)
        cells = "".join(f" {cell_text(column, row, None):>{NUMBER_WIDTH}}" for column in columns)
        lines.append(f"{hop.ttl:3d}.|-- {label:<{width}}{cells}")
        for extra in hop.responders[1:]:
            lines.append(f"    |  `-- {host_label(extra, options.show_names)}")
    return "\n".join(lines) + "\n"
