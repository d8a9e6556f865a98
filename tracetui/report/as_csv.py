"""CSV: mtr 0.95's columns first, exactly as mtr writes them, then tracetui's.

mtr's header is ``Mtr_Version,Start_Time,Status,Host,Hop,Ip,`` (``Asn,`` with
-z), then one column per -o field (the spacer included, named " "), and a
trailing comma. tracetui keeps all of that, so ``csv.DictReader`` with mtr's
names and scripts that split on commas read the same values, and appends its
own columns after the empty one the trailing comma makes. One row per hop;
every responder of a hop is listed in ``responders`` (``address:replies``).
``mpls`` is the label stack of the hop's responder, ``label:tc:s:ttl`` per
entry, top first, separated by spaces; ``if_*`` its incoming interface (RFC 5837).
"""

from __future__ import annotations

import csv
import io

from tracetui import __version__
from tracetui.columns import COLUMNS, fields_of, hop_stats
from tracetui.icmp_extensions import NONE as NO_EXTENSIONS
from tracetui.labels import display_name, ipinfo_value, mtr_host
from tracetui.path.snapshot import HopView, PathView, ResponderView
from tracetui.report.common import ReportOptions, iso, ms
from tracetui.textsafe import printable

MTR_VERSION = f"MTR.0.95-tracetui.{__version__}"
"""mtr's format version, with who wrote it."""

EXTRA_COLUMNS = (
    "ip",
    "hostname",
    "as_name",
    "rcv",
    "failed",
    "loss_pct",
    "gmean_ms",
    "jttr_ms",
    "javg_ms",
    "jmax_ms",
    "jint_ms",
    "responders",
    "method",
    "target_ip",
    "start",
    "end",
    "verdict",
    "mpls",
    "if_index",
    "if_address",
    "if_name",
    "if_mtu",
    "country",
    "city",
)
"""tracetui's columns, after mtr's (and after the empty column of mtr's trailing comma)."""


def _text(value: str | None) -> str:
    """Network text: printable, and never read as a formula by a spreadsheet."""
    if not value:
        return ""
    value = printable(value)
    return "'" + value if value[0] in "=+-@" else value


def header(options: ReportOptions) -> list[str]:
    names = ["Mtr_Version", "Start_Time", "Status", "Host", "Hop", "Ip"]
    if options.info_field is not None:
        names.append("Asn")
    names += [field.label for field in fields_of(options.order)]
    return [*names, "", *EXTRA_COLUMNS]


def render_csv(view: PathView, options: ReportOptions) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(options))
    started = int(view.started.timestamp())
    diagnosis = view.diagnosis
    info = options.info_field
    for hop in view.hops:
        primary = hop.primary
        row = [
            MTR_VERSION,
            started,
            "OK",
            _text(view.info.target_name),
            hop.ttl,
            _text(mtr_host(primary, options.show_names, options.show_ips)),
        ]
        if info is not None:
            ipinfo = ipinfo_value(primary, info)
            row.append(f"AS{ipinfo}" if info == 0 else ipinfo)
        stats = hop_stats(hop)
        for field in fields_of(options.order):
            value = field.value(stats)
            if field.integer or field.letter == " ":
                row.append(str(int(value or 0)))
            else:
                row.append(f"{float(value or 0.0):.2f}")
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        row.append("")
        row += _extras(view, hop, options, verdict.verdict.value if verdict else "")
        writer.writerow(row)
    return out.getvalue()


def _extras(view: PathView, hop: HopView, options: ReportOptions, verdict: str) -> list[object]:
    primary = hop.primary
    names = primary.names if primary else None
    stats = hop_stats(hop)

    def time(letter: str) -> str:
        value = COLUMNS[letter].value(stats)
        return f"{ms(value or 0.0):.3f}"

    return [
        primary.address if primary else "",
        _text(display_name(primary, options.show_names)) if primary else "",
        _text(names.as_name) if names and options.info_field is not None else "",
        hop.received,
        hop.failed,
        f"{ms(hop.loss_pct):.3f}",
        time("G"),
        time("J"),
        time("M"),
        time("X"),
        time("I"),
        ";".join(f"{r.address}:{r.received}" for r in hop.responders),
        view.method.value,
        view.info.target,
        iso(view.started),
        iso(view.taken),
        verdict,
        *_extensions(primary),
        _text(names.country) if names and names.country else "",
        _text(names.city) if names and names.city else "",
    ]


def _extensions(responder: ResponderView | None) -> list[object]:
    extensions = responder.extensions if responder is not None else NO_EXTENSIONS
    labels = " ".join(f"{m.label}:{m.tc}:{int(m.bottom)}:{m.ttl}" for m in extensions.mpls)
    interface = extensions.incoming
    if interface is None:
        return [labels, "", "", "", ""]
    return [
        labels,
        "" if interface.index is None else interface.index,
        interface.address or "",
        _text(interface.name),
        "" if interface.mtu is None else interface.mtu,
    ]
