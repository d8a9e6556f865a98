"""What each state looks like on screen, with colour and without.

With NO_COLOR set, Textual turns every colour into a grey of the same
luminance, and red on a dark background becomes a grey nearly as dark as the
background: loss, lost probes and the loss origin would all but vanish. So
without colour nothing here leans on a colour: loss is bold, heavy loss and the
origin reversed, a lost probe is its own glyph, and everything else keeps the
terminal's own foreground.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.app import App


class Palette(NamedTuple):
    loss_slight: str
    """0 < Loss% < 5."""
    loss: str
    loss_heavy: str
    """Loss% of 50 and more."""
    quiet: str
    """Loss a verdict explains (rate limit, silent router): no alarm."""
    lost_mark: str
    """A lost probe in the history strip."""
    levels: tuple[str, ...]
    """History blocks by height, lowest first (8 levels)."""
    flat: str
    """History blocks on one scale (the chart view)."""
    chart_bar: str
    chart_lost: str
    """A lost probe's column in the detail pane's chart."""
    chart_lost_glyph: str
    chart_legend: tuple[str, str]
    """How the chart's lost probes are described: as loss, and as loss a verdict explains."""
    ok: str
    origin: str
    carried: str
    unreachable: str
    no_reply: str
    aside: str
    """Verdicts that are no alarm: silent, rate-limited, pending."""
    running: str
    paused: str
    info: str
    """IP information before a host (AS number, prefix...)."""


COLOUR = Palette(
    loss_slight="yellow",
    loss="red",
    loss_heavy="bold red",
    quiet="dim",
    lost_mark="bold red",
    levels=("green", "green", "green", "yellow", "yellow", "red", "red", "red"),
    flat="cyan",
    chart_bar="green",
    chart_lost="red",
    chart_lost_glyph="█",
    chart_legend=("red: lost", "grey: lost replies; see the verdict"),
    ok="green",
    origin="bold red",
    carried="red",
    unreachable="bold yellow",
    no_reply="yellow",
    aside="dim",
    running="green",
    paused="reverse yellow",
    info="cyan",
)

NO_COLOUR = Palette(
    loss_slight="",
    loss="bold",
    loss_heavy="bold reverse",
    quiet="dim",
    lost_mark="bold reverse",
    levels=("",) * 8,
    flat="",
    chart_bar="",
    chart_lost="bold",
    chart_lost_glyph="░",
    chart_legend=("░: lost", "dim ░: lost replies; see the verdict"),
    ok="",
    origin="bold reverse",
    carried="bold",
    unreachable="bold",
    no_reply="",
    aside="dim",
    running="",
    paused="reverse",
    info="italic",
)


def palette_of(app: App) -> Palette:
    """NO_COLOR (https://no-color.org) takes every colour away: use the palette without."""
    return NO_COLOUR if app.no_color else COLOUR
