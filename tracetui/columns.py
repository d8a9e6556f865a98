"""Every statistics column in one list, keyed by mtr's field letter.

The live table, the text and Markdown reports read their columns from here,
so a new column is added once. mtr's ``-o`` field order is a string of these
letters; a space in it is mtr's spacer and only widens the gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # annotations only: the command line's --order check imports this
    from tracetui.path.snapshot import HopView, ResponderView
    from tracetui.path.stats import RttSummary


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
    mtr_format: str
    """How mtr's reports print it: a leading space, then a printf-like width."""
    mtr_width: int
    """How far mtr moves on after it: a longer value is overwritten by the next field."""

    @property
    def integer(self) -> bool:
        return "d}" in self.mtr_format

    def mtr_text(self, row: RowStats) -> str:
        """The value as mtr prints it (0 where there is none)."""
        value = self.value(row)
        if value is None:
            value = 0
        return self.mtr_format.format(int(value) if self.integer else float(value))


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


_MS5 = " {:5.1f}"
_MS4 = " {:4.1f}"

COLUMNS: dict[str, Column] = {
    column.letter: column
    for column in (
        Column(
            "L",
            "Loss%",
            7,
            lambda r: r.loss_pct,
            _percent,
            "loss over completed probes",
            " {:4.1f}%",
            6,
        ),
        Column("D", "Drop", 6, lambda r: r.lost, _count, "probes lost", " {:4d}", 5),
        Column("R", "Rcv", 6, lambda r: r.received, _count, "replies received", " {:5d}", 6),
        Column("S", "Snt", 6, lambda r: r.sent, _count, "probes sent", " {:5d}", 6),
        Column("N", "Last", 7, _rtt("last"), _ms, "newest RTT (ms)", _MS5, 6),
        Column("B", "Best", 7, _rtt("best"), _ms, "best RTT (ms)", _MS5, 6),
        Column("A", "Avg", 7, _rtt("avg"), _ms, "average RTT (ms)", _MS5, 6),
        Column("W", "Wrst", 7, _rtt("worst"), _ms, "worst RTT (ms)", _MS5, 6),
        Column("V", "StDev", 7, _rtt("stdev"), _ms, "standard deviation of the RTT (ms)", _MS5, 6),
        Column("G", "Gmean", 7, _rtt("gmean"), _ms, "geometric mean of the RTT (ms)", _MS5, 6),
        Column(
            "J",
            "Jttr",
            7,
            _rtt("jitter"),
            _ms,
            "jitter: difference of the last two RTTs",
            _MS4,
            5,
        ),
        Column("M", "Javg", 7, _rtt("javg"), _ms, "mean jitter (ms)", _MS4, 5),
        Column("X", "Jmax", 7, _rtt("jmax"), _ms, "worst jitter (ms)", _MS4, 5),
        Column("I", "Jint", 7, _rtt("jint"), _ms, "interarrival jitter, RFC 3550 (ms)", _MS4, 5),
    )
}
SPACER = Column(" ", " ", 1, lambda r: r.lost, _count, "a space between fields", " ", 1)
"""mtr's spacer field: a blank in the text report, a column named " " in its CSV (whose
value mtr fills with the dropped count)."""

LATENCY_ORDER = "LS NABWV"
"""mtr's default fields."""
JITTER_ORDER = "LS NJMXI"
"""The jitter view: mtr's jitter fields after the newest RTT."""


def columns_of(order: str) -> list[Column]:
    """The columns a field order names, spacers dropped (KeyError on an unknown letter)."""
    return [COLUMNS[letter] for letter in order if letter != " "]


def fields_of(order: str) -> list[Column]:
    """The columns a field order names, mtr's spacers included (for its reports)."""
    return [SPACER if letter == " " else COLUMNS[letter] for letter in order]


def cell_text(column: Column, row: RowStats, missing: str | None = "-") -> str:
    """The cell as text; ``missing`` where there is no value (None: show zero, as mtr does)."""
    value = column.value(row)
    if value is None:
        return column.text(0) if missing is None else missing
    return column.text(value)
