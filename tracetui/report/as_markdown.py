"""A Markdown table for issue trackers and wikis."""

from __future__ import annotations

from tracetui.report.common import ReportOptions, asn_label, iso, responder_label
from tracetui.snapshot import PathView
from tracetui.textsafe import printable

_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>()#+-.!|~"})


def _cell(text: str) -> str:
    return printable(text).translate(_MARKDOWN_SPECIAL)


def render_markdown(view: PathView, options: ReportOptions) -> str:
    info = view.info
    lines = [
        f"### tracetui {_cell(info.target_name)} ({_cell(info.target)})",
        "",
        f"{view.method.upper()} probes, {view.rounds} rounds, "
        f"{_cell(iso(view.started))} to {_cell(iso(view.taken))}",
        "",
    ]
    header = ["Hop", "Host"] + (["ASN"] if options.show_asn else [])
    header += ["Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append(
        "|" + "|".join("---:" if h not in ("Host", "ASN") else "---" for h in header) + "|"
    )
    for hop in view.hops:
        hosts = [_cell(responder_label(r, options)) for r in hop.responders] or ["???"]
        cells = [str(hop.ttl), "<br>".join(hosts)]
        if options.show_asn:
            cells.append(asn_label(hop.primary))
        rtt = hop.rtt
        cells += [f"{hop.loss_pct:.1f}", str(hop.sent)]
        cells += [f"{v:.1f}" for v in (rtt.last, rtt.avg, rtt.best, rtt.worst, rtt.stdev)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
