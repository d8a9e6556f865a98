"""The timeline (``T``): loss and latency of the destination and of each hop over time.

One cell is one bucket of the history (path/history.py), from 10 s over the
last 10 minutes to 12 h over 30 days; ``[`` and ``]`` widen and narrow the
span, ``,`` and ``.`` move it back and forth, ``F`` makes the span shown the
focus period (the table, verdicts, summary and events then cover it alone, as
PingPlotter's focus does) and ``F`` again returns to the whole run. Readable
without colour: loss is a glyph by how much (``·`` none, ``░`` under 5 %,
``▒`` under 20 %, ``▓`` under 50 %, ``█`` more), latency a sparkline, a bucket
without a result a space.
"""

from __future__ import annotations

import math

from rich.text import Text

from tracetui.path.history import Bucket
from tracetui.path.snapshot import PathView, Timeline
from tracetui.tui.palette import Palette
from tracetui.tui.verdicts import QUIET_LOSS

SPANS = (600.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0)
"""What ``[`` and ``]`` step through: 10 min, 1 h, 6 h, 1 day, 7 days, 30 days."""
LABEL = 9
"""Columns of the row labels (``loss dst``, ``hop 12``)."""
SPARKS = "▁▂▃▄▅▆▇█"
SCALE = 16
"""Columns after the cells: the latency scale (`` 47.7–48.5 ms``)."""
LOSS_STEPS = ((0.0, "·"), (5.0, "░"), (20.0, "▒"), (50.0, "▓"), (math.inf, "█"))
"""Loss of a bucket, at most this much (percent), and its glyph."""


def span_label(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} d"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def _clock_text(view: PathView, clock: float, span: float) -> str:
    moment = view.wall(clock)
    return f"{moment:%m-%d %H:%M}" if span > 86400 else f"{moment:%H:%M}"


def loss_glyph(bucket: Bucket) -> str:
    loss = bucket.loss
    if loss != loss:
        return " "
    if loss == 0:
        return "·"
    return next(glyph for limit, glyph in LOSS_STEPS[1:] if loss < limit or limit == math.inf)


def _loss_style(bucket: Bucket, palette: Palette) -> str:
    loss = bucket.loss
    if loss != loss or loss == 0:
        return palette.quiet
    if loss < 5:
        return palette.loss_slight
    return palette.loss_heavy if loss >= 50 else palette.loss


def loss_row(buckets: tuple[Bucket, ...], palette: Palette, quiet: bool = False) -> Text:
    """``quiet``: loss its verdict explains (a rate limit, a silent router): no alarm."""
    row = Text()
    for bucket in buckets:
        glyph = loss_glyph(bucket)
        if glyph == " ":
            row.append(glyph)
            continue
        row.append(glyph, style=palette.aside if quiet else _loss_style(bucket, palette))
    return row


def latency_row(buckets: tuple[Bucket, ...], palette: Palette) -> tuple[Text, float, float]:
    """A sparkline of the average round trip from its lowest to its highest (a change of
    a few ms shows on a path of 50); and those two (ms)."""
    averages = [b.avg for b in buckets if b.received]
    low, top = (min(averages), max(averages)) if averages else (0.0, 0.0)
    spread = top - low
    row = Text()
    for bucket in buckets:
        if not bucket.received:
            row.append(" ")
            continue
        level = int((bucket.avg - low) / spread * (len(SPARKS) - 1) + 0.5) if spread else 0
        row.append(SPARKS[level], style=palette.flat)
    return row, low, top


def _label(text: str) -> Text:
    return Text(f"{text:<{LABEL}}"[:LABEL], style="bold")


def timeline_lines(
    view: PathView, timeline: Timeline, span: float, rows: int, palette: Palette, focused: bool
) -> list[Text]:
    """The pane's lines: a title, the destination's latency and loss, as many hops' loss as
    the rows allow, and the time axis."""
    width = max((len(b) for b in timeline.hops.values()), default=0)
    cell = span_label(timeline.seconds) if timeline.seconds >= 60 else f"{timeline.seconds:g} s"
    title = Text.assemble(
        ("Timeline", "bold"),
        f"   {span_label(span)}, {cell} a cell, "
        f"{_clock_text(view, timeline.start, span)} to {_clock_text(view, timeline.end, span)} UTC",
    )
    if focused and view.focus is not None:
        start, end = view.focus
        length = end - start
        title.append(
            f"  focus {_clock_text(view, start, length)}–{_clock_text(view, end, length)}",
            style=f"bold {palette.info}",
        )
    lines = [title]
    target = view.end_hop
    if target is not None and target.ttl in timeline.hops:
        buckets = timeline.hops[target.ttl]
        sparkline, low, top = latency_row(buckets, palette)
        scale = f" {low:.1f}–{top:.1f} ms" if top else ""
        lines.append(Text.assemble(_label("rtt dst"), sparkline, (scale, "dim")))
        lines.append(Text.assemble(_label("loss dst"), loss_row(buckets, palette)))
    room = rows - len(lines) - 1
    hops = [h for h in view.hops if h.ttl in timeline.hops and h.on_path]
    if target is not None:
        hops = [h for h in hops if h.ttl != target.ttl]
    if room < len(hops):  # the hops that lost something first, then the nearest
        lossy = [h for h in hops if any(b.lost for b in timeline.hops[h.ttl])]
        hops = sorted(
            (lossy + [h for h in hops if h not in lossy])[: max(0, room)], key=lambda h: h.ttl
        )
    diagnosis = view.diagnosis
    for hop in hops[: max(0, room)]:
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        quiet = verdict is not None and verdict.verdict in QUIET_LOSS
        row = loss_row(timeline.hops[hop.ttl], palette, quiet)
        lines.append(Text.assemble(_label(f"hop {hop.ttl}"), row))
    lines.append(_axis(view, timeline, width, span))
    return lines


def _axis(view: PathView, timeline: Timeline, width: int, span: float) -> Text:
    """Times under the cells: the start, then one every dozen cells or so."""
    axis = [" "] * width
    step = max(12, width // 5)
    for column in range(0, max(0, width - 5), step):
        text = _clock_text(view, timeline.start + column * timeline.seconds, span)
        if column + len(text) <= width:
            axis[column : column + len(text)] = text
    return Text(" " * LABEL + "".join(axis), style="dim")
