"""Every statistics column in one list, keyed by mtr's field letter.

The live table, the text and Markdown reports read their columns from here,
so a new column is added once. mtr's ``-o`` field order is a string of these
letters; a space in it is mtr's spacer and only widens the gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tracetui.snapshot import HopView, ResponderView
from tracetui.stats import RttSummary


class RowStats(NamedTuple):
    """What one table row knows: a whole hop, or one responder of it (no hop counts)."""

    sent: int | None
    received: int
    lost: int | None
    loss_pct: float | None
    rtt: RttSummary


def hop_stats(hop: HopView) -> RowStats:
    completed = hop.completed
    return RowStats(hop.sent, hop.received, hop.lost, hop.loss_pct if completed else None, hop.rtt)


def responder_stats(responder: ResponderView) -> RowStats:
    return RowStats(None, responder.received, None, None, responder.rtt)


class Column(NamedTuple):
    letter: str
    """mtr's field letter (``-o``)."""
    label: str
    width: int
    """Characters in the live table, gutter included."""
    value: Callable[[RowStats], float | int | None]
    """None where the row has no such value (a responder's Loss%, a hop with no replies)."""
    text: Callable[[float | int], str]
    description: str


def _rtt(field: str) -> Callable[[RowStats], float | None]:
    def value(row: RowStats) -> float | None:
        return getattr(row.rtt, field) if row.rtt.count else None

    return value


def _ms(value: float | int) -> str:
    return f"{value:.1f}"


def _count(value: float | int) -> str:
    return str(int(value))


def _percent(value: float | int) -> str:
    return f"{value:.1f}%"


COLUMNS: dict[str, Column] = {
    column.letter: column
    for column in (
        Column("L", "Loss%", 7, lambda r: r.loss_pct, _percent, "loss over completed probes"),
        Column("D", "Drop", 6, lambda r: r.lost, _count, "probes lost"),
        Column("R", "Rcv", 6, lambda r: r.received, _count, "replies received"),
        Column("S", "Snt", 6, lambda r: r.sent, _count, "probes sent"),
        Column("N", "Last", 7, _rtt("last"), _ms, "newest RTT (ms)"),
        Column("B", "Best", 7, _rtt("best"), _ms, "best RTT (ms)"),
        Column("A", "Avg", 7, _rtt("avg"), _ms, "average RTT (ms)"),
        Column("W", "Wrst", 7, _rtt("worst"), _ms, "worst RTT (ms)"),
        Column("V", "StDev", 7, _rtt("stdev"), _ms, "standard deviation of the RTT (ms)"),
        Column("G", "Gmean", 7, _rtt("gmean"), _ms, "geometric mean of the RTT (ms)"),
        Column("J", "Jttr", 7, _rtt("jitter"), _ms, "jitter: difference of the last two RTTs"),
        Column("M", "Javg", 7, _rtt("javg"), _ms, "mean jitter (ms)"),
        Column("X", "Jmax", 7, _rtt("jmax"), _ms, "worst jitter (ms)"),
        Column("I", "Jint", 7, _rtt("jint"), _ms, "interarrival jitter, RFC 3550 (ms)"),
    )
}

LATENCY_ORDER = "LS NABWV"
"""mtr's default fields."""
JITTER_ORDER = "LS NJMXI"
"""The jitter view: mtr's jitter fields after the newest RTT."""


def columns_of(order: str) -> list[Column]:
    """The columns a field order names, spacers dropped (KeyError on an unknown letter)."""
    return [COLUMNS[letter] for letter in order if letter != " "]


def cell_text(column: Column, row: RowStats, missing: str | None = "-") -> str:
    """The cell as text; ``missing`` where there is no value (None: show zero, as mtr does)."""
    value = column.value(row)
    if value is None:
        return column.text(0) if missing is None else missing
    return column.text(value)
