"""CSV: one row per hop, or per responder where a hop has several; stable column names.

Hop columns (loss_pct, snt, rcv, failed) describe the whole hop; ``responder_rcv`` and
the times describe the responder of that row. A hop nobody answered has one
row with empty address fields.
"""

from __future__ import annotations

import csv
import io

from tracetui.labels import display_name
from tracetui.report.common import ReportOptions, iso, ms
from tracetui.snapshot import PathView, ResponderView
from tracetui.stats import EMPTY_SUMMARY
from tracetui.textsafe import printable

COLUMNS = (
    "start",
    "end",
    "target",
    "target_ip",
    "method",
    "hop",
    "ip",
    "hostname",
    "asn",
    "as_name",
    "responder_rcv",
    "loss_pct",
    "snt",
    "rcv",
    "last_ms",
    "avg_ms",
    "best_ms",
    "wrst_ms",
    "stdev_ms",
    "jttr_ms",
    "javg_ms",
    "jmax_ms",
    "jint_ms",
    "failed",
    "verdict",
)


def _text(value: str | None) -> str:
    """Network text: printable, and never read as a formula by a spreadsheet."""
    if not value:
        return ""
    value = printable(value)
    return "'" + value if value[0] in "=+-@" else value


def _ms(value: float) -> str:
    return f"{ms(value):.3f}"


def render_csv(view: PathView, options: ReportOptions) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    head = (
        iso(view.started),
        iso(view.taken),
        view.info.target_name,
        view.info.target,
        view.method.value,
    )
    diagnosis = view.diagnosis
    for hop in view.hops:
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        rows: tuple[ResponderView | None, ...] = hop.responders or (None,)
        for responder in rows:
            rtt = responder.rtt if responder else EMPTY_SUMMARY
            names = responder.names if responder else None
            writer.writerow(
                (
                    *head,
                    hop.ttl,
                    responder.address if responder else "",
                    _text(display_name(responder, options.show_names)) if responder else "",
                    names.asn if names and options.show_asn and names.asn is not None else "",
                    _text(names.as_name) if names and options.show_asn else "",
                    responder.received if responder else 0,
                    _ms(hop.loss_pct),
                    hop.sent,
                    hop.received,
                    *(
                        _ms(value)
                        for value in (
                            rtt.last,
                            rtt.avg,
                            rtt.best,
                            rtt.worst,
                            rtt.stdev,
                            rtt.jitter,
                            rtt.javg,
                            rtt.jmax,
                            rtt.jint,
                        )
                    ),
                    hop.failed,
                    verdict.verdict.value if verdict else "",
                )
            )
    return out.getvalue()
