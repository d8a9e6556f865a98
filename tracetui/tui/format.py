"""Turn snapshot values into the text the screen shows.

Everything from the network (names, AS names) goes through ``Text`` objects,
never markup strings, so ``[b]`` in a PTR record is shown as those three
characters and cannot restyle or break the screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text

from tracetui.labels import UNKNOWN_HOST, display_name, ipinfo_cell
from tracetui.path.snapshot import LOST, HopView, ResponderView, has_rtt
from tracetui.tui.palette import COLOUR, Palette

BLOCKS = "▁▂▃▄▅▆▇█"
LOSS_MARK = "?"


def ms(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "-"


def loss_text(hop: HopView, quiet: bool = False, palette: Palette = COLOUR) -> Text:
    """Loss%, marked by size; ``quiet`` where a verdict explains it (no alarm)."""
    if not hop.completed:
        return Text("-", style="dim")
    pct = hop.loss_pct
    if quiet:
        return Text(f"{pct:.1f}%", style=palette.quiet)
    style = (
        palette.loss_heavy
        if pct >= 50
        else palette.loss
        if pct >= 5
        else palette.loss_slight
        if pct > 0
        else ""
    )
    return Text(f"{pct:.1f}%", style=style)


class Labels(NamedTuple):
    """How hosts are named on screen: mtr's n (names), b (names and addresses), y/z (IP info)."""

    names: bool = True
    ips: bool = False
    info: int | None = None
    """The -y field shown before the host (0 the AS number); None for none."""

    @property
    def lookups(self) -> tuple[bool, bool]:
        """Which lookups this needs: reverse DNS, Team Cymru."""
        return self.names, self.info is not None


def host_text(
    responder: ResponderView | None, labels: Labels, width: int = 0, palette: Palette = COLOUR
) -> Text:
    """The host as ``labels`` name it; within ``width`` (if given) a name shown with its
    address gives up its end first, so the address stays whole as long as it fits."""
    if responder is None:
        return Text(UNKNOWN_HOST, style="dim")
    text = Text()
    if labels.info is not None:
        text.append(ipinfo_cell(responder, labels.info), style=palette.info)
        text.append(" ")
    name = display_name(responder, labels.names)
    if name and labels.ips:
        address = f" ({responder.address})"
        room = width - text.cell_len - len(address) if width else len(name)
        if room < len(name):
            name = name[: room - 1] + "…" if room >= 4 else ""
        if name:
            text.append(name)
            text.append(address, style="dim")
        else:
            text.append(responder.address)
    elif name:
        text.append(name)
    else:
        text.append(responder.address)
    return text


def history_strip(
    samples: Sequence[float],
    width: int,
    low: float,
    high: float,
    *,
    graded: bool = True,
    quiet: bool = False,
    palette: Palette = COLOUR,
) -> Text:
    """The last ``width`` rounds as one character each: a block whose height is the RTT
    between ``low`` and ``high``, a red ``?`` for a lost probe, a space for no result.

    ``graded`` colours blocks green to red by height (a hop's own range); otherwise
    they are all one colour, so red means loss only. ``quiet`` draws lost probes
    dim, where a verdict says the loss is not an alarm. Runs of one style become one
    span, which keeps rendering cheap."""
    window = samples[-width:] if width else ()
    pad = width - len(window)
    chars = [" "] * pad
    styles = [""] * pad
    lost_style = palette.quiet if quiet else palette.lost_mark
    levels = palette.levels if graded else (palette.flat,) * len(BLOCKS)
    top = len(BLOCKS) - 1
    span = high - low
    steps = len(BLOCKS)
    for sample in window:
        if sample == LOST:
            chars.append(LOSS_MARK)
            styles.append(lost_style)
        elif sample != sample:  # NaN: no result
            chars.append(" ")
            styles.append("")
        else:
            level = min(top, int((sample - low) / span * steps)) if span > 0 else 0
            chars.append(BLOCKS[level])
            styles.append(levels[level])
    return _runs(chars, styles)


def _runs(chars: list[str], styles: list[str]) -> Text:
    text = Text()
    start = 0
    count = len(chars)
    for index in range(1, count + 1):
        if index == count or styles[index] != styles[start]:
            text.append("".join(chars[start:index]), style=styles[start] or None)
            start = index
    return text


def own_range(samples: Sequence[float]) -> tuple[float, float]:
    values = [s for s in samples if has_rtt(s)]
    return (min(values), max(values)) if values else (0.0, 0.0)


def rtt_chart(
    samples: Sequence[float],
    width: int,
    height: int,
    *,
    quiet: bool = False,
    palette: Palette = COLOUR,
) -> list[Text]:
    """A bar chart of the last ``width`` rounds, ``height`` rows tall, 0 ms at the bottom.

    Lost probes are a full-height red column so loss stands out of the chart.
    """
    window = samples[-width:]
    values = [s for s in window if has_rtt(s)]
    top = max(values) if values else 1.0
    steps = height * 8
    # each column's height in eighths of a row: lost probes full, no result none
    heights = [
        steps if s == LOST else 0 if s != s else max(1, round(s / top * steps)) for s in window
    ]
    pad = " " * (width - len(window))
    lost_glyph = palette.chart_lost_glyph
    lost_style = palette.quiet if quiet else palette.chart_lost
    rows = []
    for index in range(height):
        floor = (height - 1 - index) * 8
        chars = [" "] * len(pad)
        styles = [""] * len(pad)
        for sample, eighths in zip(window, heights, strict=True):
            if sample == LOST:
                chars.append(lost_glyph)
                styles.append(lost_style)
            else:
                fill = eighths - floor
                chars.append(" " if fill <= 0 else BLOCKS[min(8, fill) - 1])
                styles.append(palette.chart_bar)
        rows.append(_runs(chars, styles))
    return rows
