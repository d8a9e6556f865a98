"""What the diagnosis says about a path: plain data, read by the screen and every report."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple


class Verdict(enum.StrEnum):
    """The closed set of hop verdicts; the values are what machine-readable output carries."""

    OK = "ok"
    RATE_LIMITED = "rate-limited"
    LOSS_ORIGIN = "loss-origin"
    LOSS_CARRIED = "loss-carried"
    SILENT = "silent"
    UNREACHABLE = "unreachable"
    NO_REPLY = "no-reply"
    PENDING = "pending"

    @property
    def is_loss(self) -> bool:
        return self in (Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED)


class HopVerdict(NamedTuple):
    verdict: Verdict
    reason: str
    """One plain sentence with the numbers behind the verdict."""
    code: str = ""
    """For ``unreachable``: traceroute's mark (``!N``, ``!H``, ``!X``, ``!F``...)."""


class AlertNotice(NamedTuple):
    """What an alert event says to a machine (a command's input, a webhook's body)."""

    rule: str
    """As written canonically: ``loss>5% for 60s``."""
    state: str
    """'firing' (raised) or 'resolved' (cleared)."""
    value: float
    """What the rule measured when it changed state (loss %, latency ms, origins)."""
    threshold: float
    unit: str
    """'%', 'ms' or '' (the rules without a threshold)."""


class PathEvent(NamedTuple):
    at: datetime
    kind: str
    """One of EVENT_KINDS."""
    ttl: int | None
    """The hop it concerns; None for the whole path (a reset, a method switch, settings)."""
    message: str
    alert: AlertNotice | None = None
    """For alert-raised and alert-cleared: the rule and its numbers."""


EVENT_KINDS = (
    "responder-new",
    "responder-gone",
    "responder-back",
    "route-flap",
    "path-longer",
    "path-shorter",
    "destination-lost",
    "destination-back",
    "loss-start",
    "loss-end",
    "latency-step",
    "reset",
    "method-switch",
    "settings",
    "branch-new",
    "branch-gone",
    "branch-loss-start",
    "branch-loss-end",
    "branch-latency-step",
    "alert-raised",
    "alert-cleared",
)


class BranchVerdict(NamedTuple):
    """One branch of a balanced hop (``--multipath``): ``loss`` when it alone loses."""

    ttl: int
    address: str
    verdict: str
    """'ok', 'loss' (it alone loses), 'shared' (it loses as its hop's other branches do:
    the hop's loss), 'carried' (an earlier branch of its flow loses) or 'unknown' (too
    few probes yet)."""
    loss_pct: float
    slower_ms: float = 0.0
    """How much slower its round trips are than its siblings', when that is beyond chance
    and beyond 10 ms and a quarter (a branch through a longer or loaded link); else 0."""

    @property
    def losing(self) -> bool:
        return self.verdict in ("loss", "carried")


class Diagnosis(NamedTuple):
    verdicts: dict[int, HopVerdict]
    """By TTL, for every hop of the snapshot."""
    summary: tuple[str, ...]
    events: tuple[PathEvent, ...]
    """The bounded log, oldest first."""
    branches: tuple[BranchVerdict, ...] = ()
    """With --multipath: every watched branch's verdict."""
    alerts: tuple[tuple[str, bool], ...] = ()
    """With --alert: each rule (as written canonically) and whether it is firing now."""

    def of(self, ttl: int) -> HopVerdict | None:
        return self.verdicts.get(ttl)
