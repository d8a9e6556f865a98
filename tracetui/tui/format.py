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
from tracetui.snapshot import HopView, ResponderView, has_rtt, is_lost
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


def _level(value: float, low: float, high: float) -> int:
    if high <= low:
        return 0
    return min(len(BLOCKS) - 1, int((value - low) / (high - low) * len(BLOCKS)))


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
    chars = [" "] * (width - len(window))
    styles = [""] * len(chars)
    for sample in window:
        if is_lost(sample):
            chars.append(LOSS_MARK)
            styles.append(palette.quiet if quiet else palette.lost_mark)
        elif not has_rtt(sample):
            chars.append(" ")
            styles.append("")
        else:
            level = _level(sample, low, high)
            chars.append(BLOCKS[level])
            styles.append(palette.levels[level] if graded else palette.flat)
    return _runs(chars, styles)


def _runs(chars: list[str], styles: list[str]) -> Text:
    text = Text()
    start = 0
    for index in range(1, len(chars) + 1):
        if index == len(chars) or styles[index] != styles[start]:
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
    window = list(samples[-width:])
    values = [s for s in window if has_rtt(s)]
    top = max(values) if values else 1.0
    steps = height * 8
    pad = width - len(window)
    grid = [[" "] * pad for _ in range(height)]
    styles = [[""] * pad for _ in range(height)]
    for sample in window:
        lost = is_lost(sample)
        missing = not lost and not has_rtt(sample)
        eighths = 0 if missing else steps if lost else max(1, round(sample / top * steps))
        for index in range(height):
            floor = (height - 1 - index) * 8
            fill = min(8, max(0, eighths - floor))
            if lost:
                grid[index].append(palette.chart_lost_glyph)
                styles[index].append(palette.quiet if quiet else palette.chart_lost)
            else:
                grid[index].append(" " if fill == 0 else BLOCKS[fill - 1])
                styles[index].append(palette.chart_bar)
    return [_runs(chars, row_styles) for chars, row_styles in zip(grid, styles, strict=True)]
