"""The mtr-style text table, for terminals, tickets and chat."""

from __future__ import annotations

import math

from tracetui.report.common import ReportOptions, asn_label, hop_label, iso, responder_label
from tracetui.snapshot import PathView
from tracetui.textsafe import printable

COLUMNS = ("Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev")


def _number(value: float) -> str:
    return f"{value:6.1f}" if math.isfinite(value) else f"{'-':>6}"


def render_text(view: PathView, options: ReportOptions) -> str:
    labels = []
    for hop in view.hops:
        label = hop_label(hop, options)
        if options.show_asn and hop.primary:
            label = f"{asn_label(hop.primary):<9} {label}"
        labels.append(label)
    width = max([len(label) for label in labels] + [30])
    local = printable(view.info.local_host)
    lines = [
        f"Start: {iso(view.started)}",
        f"HOST: {local:<{width + 2}} {'Loss%':>6} {'Snt':>5} "
        + " ".join(f"{name:>6}" for name in COLUMNS[2:]),
    ]
    for hop, label in zip(view.hops, labels, strict=True):
        rtt = hop.rtt
        numbers = " ".join(
            _number(value) for value in (rtt.last, rtt.avg, rtt.best, rtt.worst, rtt.stdev)
        )
        lines.append(
            f"{hop.ttl:3d}.|-- {label:<{width}} {hop.loss_pct:5.1f}% {hop.sent:5d} {numbers}"
        )
        for extra in hop.responders[1:]:
            lines.append(f"    |  `-- {responder_label(extra, options)}")
    return "\n".join(lines) + "\n"
