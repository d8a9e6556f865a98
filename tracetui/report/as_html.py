"""One self-contained HTML file to hand to a support engineer (``--html FILE``).

What PingPlotter users attach to a ticket, readable in a minute: the summary
and verdicts in plain words first, then mtr's table, a timeline of loss and
latency for the destination and for every hop, the events, and how the run
was made (method, interval, source, times in UTC and in the writer's local
time). It opens in any browser without a network: no script, no font, no
image is fetched (the Content-Security-Policy forbids it), the charts are SVG
drawn here from the snapshot's timeline, and the styles are inline. Every text
that came from the network (names, addresses, extension data) is escaped.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape

from tracetui import __version__
from tracetui.columns import LATENCY_ORDER, cell_text, columns_of, hop_stats
from tracetui.labels import host_label
from tracetui.path.diagnosis import Verdict
from tracetui.path.history import Bucket
from tracetui.path.snapshot import HopView, PathView, multipath_sentences
from tracetui.report.common import ReportOptions
from tracetui.textsafe import printable

VERDICT_CLASS: dict[Verdict, str] = {
    Verdict.OK: "ok",
    Verdict.RATE_LIMITED: "quiet",
    Verdict.LOSS_ORIGIN: "bad",
    Verdict.LOSS_CARRIED: "warn",
    Verdict.SILENT: "quiet",
    Verdict.UNREACHABLE: "bad",
    Verdict.NO_REPLY: "warn",
    Verdict.PENDING: "quiet",
}
"""How each verdict is coloured (every verdict has a row: tests/test_html.py checks)."""

CHART_WIDTH = 880
DESTINATION_HEIGHT = 150
HOP_HEIGHT = 44
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#1d2330;
background:#fff;padding:0 12px}
h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px;border-bottom:1px solid
#d5d9e0;padding-bottom:3px}.sub{color:#5a6270}ul.summary li{margin:3px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;width:100%}
th,td{padding:3px 7px;text-align:right;border-bottom:1px solid #eceef2;white-space:nowrap}
th{background:#f4f5f8;font-weight:600}td.host,th.host,td.text,th.text{text-align:left}
td.host{white-space:normal;word-break:break-all}.ok{color:#17794a}.warn{color:#a35f00}
.bad{color:#b3261e;font-weight:600}.quiet{color:#6b7280}dl{display:grid;
grid-template-columns:max-content auto;gap:2px 16px;margin:0}dt{color:#5a6270}dd{margin:0}
svg{display:block;background:#fafbfc;border:1px solid #e3e6eb;margin:4px 0 10px}
svg text{font:11px system-ui,sans-serif;fill:#5a6270}.rtt{fill:none;stroke:#2f6fd6;
stroke-width:1.4}.band{fill:#2f6fd6;opacity:.16}.loss{fill:#d93025;opacity:.75}
.grid{stroke:#e3e6eb}.hoplabel{font-weight:600;fill:#1d2330}.legend span{margin-right:14px}
.key{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
@media print{body{margin:0}}
"""
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(view: PathView, options: ReportOptions) -> str:
    info = view.info
    title = f"tracetui: {printable(info.target_name)} ({printable(info.target)})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(_when(view))}</p>',
        *_summary(view),
        *_table(view, options),
        *_charts(view, options),
        *_events(view),
        *_how(view),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _both(moment: datetime) -> str:
    """UTC, and the local time of the machine writing the report."""
    utc = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    local = moment.astimezone()
    if local.utcoffset() == timedelta(0):
        return utc
    return f"{utc} ({local:%Y-%m-%d %H:%M:%S %Z})"


def _when(view: PathView) -> str:
    lasted = view.taken - view.started
    return (
        f"{view.method.upper()} probes, {view.rounds} rounds over {_duration(lasted)}, "
        f"from {_both(view.started)} to {_both(view.taken)}"
    )


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _summary(view: PathView) -> list[str]:
    out = ["<h2>What was found</h2>"]
    diagnosis = view.diagnosis
    sentences = list(diagnosis.summary) if diagnosis is not None else []
    if view.multipath is not None:
        sentences += multipath_sentences(view.multipath)
    sentences += _episodes(view)
    if view.focus is not None:
        start, end = (view.wall(moment) for moment in view.focus)
        sentences.insert(0, f"These numbers cover {_both(start)} to {_both(end)} only.")
    if not sentences:
        sentences = ["No diagnosis was made for this run (too few rounds)."]
    items = "".join(f"<li>{escape(printable(s, 1000))}</li>" for s in sentences)
    out.append(f'<ul class="summary">{items}</ul>')
    return out


def _episodes(view: PathView) -> list[str]:
    """Each loss episode the events tell of, from its start to its end (or on still), with
    where it began and what the destination lost meanwhile: the sentence a ticket needs."""
    diagnosis = view.diagnosis
    if diagnosis is None:
        return []
    said = []
    began: dict[int, datetime] = {}
    spans: list[tuple[int, datetime, datetime | None]] = []
    for event in diagnosis.events:
        if event.ttl is None:
            continue
        if event.kind == "loss-start":
            began.setdefault(event.ttl, event.at)
        elif event.kind == "loss-end" and event.ttl in began:
            spans.append((event.ttl, began.pop(event.ttl), event.at))
    spans += [(ttl, start, None) for ttl, start in began.items()]
    hops = {hop.ttl: hop for hop in view.hops}
    for ttl, start, end in sorted(spans, key=lambda span: span[1]):
        hop = hops.get(ttl)
        where = f"hop {ttl}" + (f" ({_host(hop, ReportOptions())})" if hop is not None else "")
        until = f"to {end:%H:%M:%S} UTC ({_duration(end - start)})" if end else "on, not over"
        lost = _destination_loss(view, start, end)
        share = f"; the destination lost {lost:.1f} % of its probes meanwhile" if lost else ""
        said.append(
            f"Loss from {start:%Y-%m-%d %H:%M:%S} UTC {until}, beginning at {where}{share}."
        )
    return said


def _destination_loss(view: PathView, start: datetime, end: datetime | None) -> float | None:
    """Lost of settled at the destination between two wall times, from the timeline."""
    target = view.end_hop
    timeline = view.timeline
    if timeline is None or target is None or target.ttl not in timeline.hops:
        return None
    lost = settled = 0
    for bucket in timeline.hops[target.ttl]:
        moment = view.wall(bucket.start + bucket.seconds / 2)
        if start <= moment and (end is None or moment <= end):
            lost += bucket.lost
            settled += bucket.sent
    return 100.0 * lost / settled if settled else None


def _table(view: PathView, options: ReportOptions) -> list[str]:
    columns = columns_of(LATENCY_ORDER)
    diagnosis = view.diagnosis
    head = ['<th>Hop</th><th class="host">Host</th>']
    head += [f"<th>{escape(column.label)}</th>" for column in columns]
    if diagnosis is not None:
        head.append('<th class="text">Verdict</th>')
    rows = ["<h2>Hops (as mtr -r shows them)</h2>", "<table>", f"<tr>{''.join(head)}</tr>"]
    for hop in view.hops:
        names = [host_label(r, options.show_names) for r in hop.responders] or ["???"]
        hosts = "<br>".join(escape(printable(name)) for name in names)
        cells = [f"<td>{hop.ttl}</td>", f'<td class="host">{hosts}</td>']
        row = hop_stats(hop)
        cells += [f"<td>{escape(cell_text(column, row))}</td>" for column in columns]
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        if verdict is not None:
            look = VERDICT_CLASS[verdict.verdict]
            said = f"{verdict.verdict.value} {verdict.code}".strip()
            reason = escape(printable(verdict.reason, 1000))
            cells.append(f'<td class="text {look}" title="{reason}">{escape(said)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    rows.append("</table>")
    if diagnosis is not None:
        reasons = [
            f"<li><b>Hop {ttl}</b>, {escape(v.verdict.value)}: {escape(printable(v.reason, 1000))}"
            "</li>"
            for ttl, v in sorted(diagnosis.verdicts.items())
            if v.verdict is not Verdict.OK and v.reason
        ]
        if reasons:
            rows.append(f"<ul>{''.join(reasons)}</ul>")
    return rows


def _charts(view: PathView, options: ReportOptions) -> list[str]:
    timeline = view.timeline
    if timeline is None or not timeline.hops:
        return []
    first = view.wall(timeline.start)
    last = view.wall(timeline.end)
    out = [
        "<h2>Over time</h2>",
        f'<p class="sub">From {escape(_both(first))} to {escape(_both(last))}, in buckets of '
        f"{_duration(timedelta(seconds=timeline.seconds))}.</p>",
        '<p class="legend"><span><i class="key" style="background:#2f6fd6"></i>average round '
        'trip</span><span><i class="key" style="background:#2f6fd633"></i>best to worst</span>'
        '<span><i class="key" style="background:#d93025"></i>loss (bar height: 0 to 100 %)'
        "</span></p>",
    ]
    target = view.end_hop
    if target is not None and target.ttl in timeline.hops:
        out.append("<h3>Destination</h3>")
        label = f"hop {target.ttl} {_host(target, options)}"
        out.append(_chart(view, timeline.hops[target.ttl], DESTINATION_HEIGHT, label, "dest"))
    out.append("<h3>Every hop</h3>")
    for hop in view.hops:
        buckets = timeline.hops.get(hop.ttl)
        if buckets is None:
            continue
        label = f"{hop.ttl}. {_host(hop, options)}"
        out.append(_chart(view, buckets, HOP_HEIGHT, label, f"hop{hop.ttl}"))
        branches = sorted(
            (key, line) for key, line in timeline.branches.items() if key[0] == hop.ttl
        )
        for number, ((_ttl, address), line) in enumerate(branches, start=1):
            # --multipath: each branch of a balanced hop, from the probes sent its way
            label = f"{hop.ttl}. branch {printable(address)}"
            out.append(_chart(view, line, HOP_HEIGHT, label, f"hop{hop.ttl}-branch{number}"))
    return out


def _host(hop: HopView, options: ReportOptions) -> str:
    return printable(host_label(hop.primary, options.show_names))


def _chart(view: PathView, buckets: tuple[Bucket, ...], height: int, label: str, key: str) -> str:
    """Loss bars and the RTT (average line, best-to-worst band) over the same time axis."""
    timeline = view.timeline
    assert timeline is not None
    left, right, top, bottom = 46, 8, 14, 16 if height > 60 else 4
    width = CHART_WIDTH - left - right
    inner = height - top - bottom
    span = max(timeline.end - timeline.start, timeline.seconds)
    answered = [b for b in buckets if b.received]
    ceiling = _nice(max((b.avg for b in answered), default=1.0) * 1.25)

    def x(moment: float) -> float:
        return left + (moment - timeline.start) / span * width

    def y(ms: float) -> float:
        return top + inner - min(ms, ceiling) / ceiling * inner

    shapes = [
        f'<line class="grid" x1="{left}" x2="{left + width}" y1="{top + inner}" '
        f'y2="{top + inner}"/>',
        f'<text class="hoplabel" x="{left}" y="{top - 3}">{escape(label)}</text>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{_ms(ceiling)}</text>',
        f'<text x="{left - 4}" y="{top + inner}" text-anchor="end">0</text>',
    ]
    bar = max(1.0, timeline.seconds / span * width - 0.3)
    for bucket in buckets:
        loss = bucket.loss
        if loss == loss and loss > 0:
            tall = max(1.0, loss / 100.0 * inner)
            shapes.append(
                f'<rect class="loss" x="{x(bucket.start):.1f}" y="{top + inner - tall:.1f}" '
                f'width="{bar:.1f}" height="{tall:.1f}"><title>{loss:.0f} % lost</title></rect>'
            )
    for run in _runs(buckets):
        mid = [(x(b.start + b.seconds / 2), b) for b in run]
        line = " ".join(f"{px:.1f},{y(b.avg):.1f}" for px, b in mid)
        band = [f"{px:.1f},{y(b.worst):.1f}" for px, b in mid]
        band += [f"{px:.1f},{y(b.best):.1f}" for px, b in reversed(mid)]
        shapes.append(f'<polygon class="band" points="{" ".join(band)}"/>')
        shapes.append(f'<polyline class="rtt" points="{line}"/>')
    if height > 60:
        for tick in _ticks(timeline.start, timeline.end):
            wall = view.wall(tick)
            shapes.append(
                f'<text x="{x(tick):.1f}" y="{height - 3}" text-anchor="middle">{wall:%H:%M}</text>'
            )
    return (
        f'<svg id="chart-{key}" class="chart" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(label)}">'
        + "".join(shapes)
        + "</svg>"
    )


def _runs(buckets: tuple[Bucket, ...]) -> list[list[Bucket]]:
    """Consecutive buckets with replies: a line breaks where no reply came."""
    runs: list[list[Bucket]] = []
    current: list[Bucket] = []
    for bucket in buckets:
        if bucket.received:
            current.append(bucket)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _nice(value: float) -> float:
    """The next round number up (1, 1.5, 2, 3, 5 or 7.5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 1.5, 2, 3, 5, 7.5, 10) if step * power >= value)


def _ms(value: float) -> str:
    return f"{value:g} ms"


def _ticks(start: float, end: float) -> list[float]:
    """About six round times (UTC minutes, hours) across the span."""
    span = max(end - start, 1.0)
    step = next(
        (s for s in (60, 300, 600, 1800, 3600, 7200, 14400, 21600, 43200, 86400) if span / s <= 7),
        86400 * math.ceil(span / 86400 / 7),
    )
    first = math.ceil(start / step) * step
    return [first + index * step for index in range(int((end - first) // step) + 1)]


def _events(view: PathView) -> list[str]:
    diagnosis = view.diagnosis
    if diagnosis is None or not diagnosis.events:
        return ["<h2>Events</h2>", "<p>None: the path did not change while it was watched.</p>"]
    rows = [
        "<h2>Events</h2>",
        "<table>",
        '<tr><th class="text">Time</th><th class="text">Kind</th><th>Hop</th>'
        '<th class="text">What happened</th></tr>',
    ]
    for event in diagnosis.events:
        hop = str(event.ttl) if event.ttl is not None else ""
        rows.append(
            f'<tr><td class="text">{escape(_both(event.at))}</td>'
            f'<td class="text">{escape(event.kind)}</td><td>{hop}</td>'
            f'<td class="host">{escape(printable(event.message, 1000))}</td></tr>'
        )
    rows.append("</table>")
    return rows


def _how(view: PathView) -> list[str]:
    info = view.info
    facts = [
        ("Target", f"{info.target_name} ({info.target})"),
        ("Source", info.source or "hidden"),
        ("Probes", f"{view.method.upper()}, {info.size} bytes"),
        ("Interval", f"{info.interval:g} s, timeout {info.timeout:g} s"),
        ("TTLs", f"{info.first_ttl} to {info.max_ttl}"),
        ("Started", _both(view.started)),
        ("Written", _both(view.taken)),
        ("Rounds", str(view.rounds)),
        ("Run from", info.local_host),
        ("Written by", f"tracetui {__version__}"),
    ]
    facts = [(name, value) for name, value in facts if value]
    facts += [("Note", note) for note in view.notes]
    items = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(printable(value, 1000))}</dd>" for name, value in facts
    )
    return ["<h2>How the run was made</h2>", f"<dl>{items}</dl>"]
