"""One line per target (#15): is it reached, what is the worst verdict, loss and RTT at the end.

What someone watching many paths needs first is which of them to look at: the
live screen's target tabs and target list read this, built from each target's
latest snapshot.
"""

from __future__ import annotations

from typing import NamedTuple

from tracetui.path.diagnosis import HopVerdict, Verdict
from tracetui.path.snapshot import PathView

SEVERITY: tuple[Verdict, ...] = (
    Verdict.UNREACHABLE,
    Verdict.NO_REPLY,
    Verdict.LOSS_ORIGIN,
    Verdict.LOSS_CARRIED,
    Verdict.RATE_LIMITED,
    Verdict.SILENT,
    Verdict.PENDING,
    Verdict.OK,
)
"""Worst first: a path that ends in a refusal or silence is worse than one that loses some."""


class TargetLine(NamedTuple):
    target: str
    """As given on the command line or in the -F file."""
    address: str
    rounds: int
    hops: int
    discovered: bool
    """The first picture of the path is complete (before that, not reached means little)."""
    reached: bool
    worst: HopVerdict | None
    """The most serious verdict on the path (None before the first diagnosis)."""
    worst_ttl: int | None
    loss_pct: float | None
    """At the destination; None when it has not answered."""
    last_ms: float | None
    avg_ms: float | None
    best_ms: float | None


def target_line(target: str, view: PathView | None, address: str = "") -> TargetLine:
    """``view`` None: the target has no snapshot yet (the first frames of a run)."""
    if view is None:
        return TargetLine(target, address, 0, 0, False, False, None, None, None, None, None, None)
    worst: HopVerdict | None = None
    worst_ttl = None
    verdicts = view.diagnosis.verdicts if view.diagnosis is not None else {}
    for ttl, verdict in sorted(verdicts.items()):
        rank = SEVERITY.index(verdict.verdict)
        if worst is None or rank < SEVERITY.index(worst.verdict):
            worst, worst_ttl = verdict, ttl
    end = next((hop for hop in view.hops if hop.is_destination), None)
    loss = last = avg = best = None
    if end is not None and end.received:
        loss = end.loss_pct
        last, avg, best = end.rtt.last, end.rtt.avg, end.rtt.best
    return TargetLine(
        target,
        view.info.target,
        view.rounds,
        len(view.hops),
        view.discovered,
        end is not None,
        worst,
        worst_ttl,
        loss,
        last,
        avg,
        best,
    )
