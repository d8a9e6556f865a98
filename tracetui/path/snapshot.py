"""Immutable views of a path at one instant: what screens and reports read.

A snapshot shares nothing mutable with the model, so the screen can render it
while the model keeps folding results, and a report writer is a pure function
of it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from tracetui.icmp_extensions import NONE as NO_EXTENSIONS
from tracetui.icmp_extensions import IcmpExtensions
from tracetui.icmp_extensions import decode as decode_extensions
from tracetui.path.history import Bucket
from tracetui.path.stats import RttSummary
from tracetui.probe.mda import HopBranches
from tracetui.probe.types import Family, ProbeMethod, ReplyKind

if TYPE_CHECKING:
    from tracetui.path.diagnosis import Diagnosis

HISTORY_ROUNDS = 240
"""Rounds of per-round history a hop keeps (its strip, its chart, its verdict's evidence)."""
LOST = math.inf
"""History entry of a probe that timed out."""
NO_DATA = math.nan
"""History entry of a round without a result at this hop (in flight, or not probed)."""


def is_lost(sample: float) -> bool:
    return sample == LOST


def has_rtt(sample: float) -> bool:
    return sample == sample and sample != LOST


class NameInfo(NamedTuple):
    """What the resolver knows about an address; every field is display-safe text."""

    hostname: str | None = None
    asn: int | None = None
    as_name: str | None = None
    as_prefix: str | None = None
    country: str | None = None
    registry: str | None = None
    allocated: str | None = None
    city: str | None = None
    """From --geoip-mmdb-file (which also gives the country)."""

    @property
    def as_label(self) -> str | None:
        if self.asn is None:
            return None
        return f"AS{self.asn} {self.as_name}" if self.as_name else f"AS{self.asn}"


NO_NAME = NameInfo()


class ResponderView(NamedTuple):
    address: str
    names: NameInfo
    received: int
    rtt: RttSummary
    kind: ReplyKind
    """Of its latest reply."""
    code: int
    mtu: int = 0
    """Next-hop MTU it reported (packet too big); 0 otherwise."""
    last_round: int = 0
    current: bool = True
    """It answered within the last few rounds (else a route change took it away)."""
    extension_data: bytes = b""
    """The RFC 4884 extension structure of its latest reply, undecoded."""
    last_packet: bytes = b""
    """Its latest reply as read (see tracetui.inspector); empty without raw sockets."""

    @property
    def hostname(self) -> str | None:
        return self.names.hostname

    @property
    def extensions(self) -> IcmpExtensions:
        """The MPLS labels and interface its latest reply carried (decoded with scapy,
        which this may import: the live screen asks ``decode_if_ready`` instead)."""
        return decode_extensions(self.extension_data) if self.extension_data else NO_EXTENSIONS


class Timeline(NamedTuple):
    """Each hop's history over one span, in buckets of the same points for every hop."""

    start: float
    end: float
    """The span asked for, on the engine's clock (as PathView.clock)."""
    seconds: float
    """How long each bucket lasts (at least the finest tier that still holds ``start``)."""
    hops: dict[int, tuple[Bucket, ...]]
    """By TTL."""
    branches: dict[tuple[int, str], tuple[Bucket, ...]] = {}
    """By (TTL, interface), with --multipath."""


class HopView(NamedTuple):
    ttl: int
    sent: int
    received: int
    lost: int
    failed: int
    """Probes the kernel refused to send: not sent, so neither Snt nor Loss%."""
    rtt: RttSummary
    responders: tuple[ResponderView, ...]
    other_replies: int
    history: tuple[float, ...]
    is_destination: bool
    """The target itself answered here."""
    ends_path: bool = False
    """The path ends here: the target answered, or a router refused to forward."""
    on_path: bool = True
    """False for a hop the path no longer reaches (it got shorter); its data is kept."""
    span: int = 1
    """TTLs this row stands for: past the last hop that answers, one row covers them all."""
    rejected: bool = False
    """The path ends here because a router of the path answered for the target (a port
    unreachable or a reset from an address seen forwarding earlier): a firewall rejecting."""
    switches: int = 0
    """Rounds whose reply came from another router than the round before's (route changes,
    flaps, or load balancing when the flow varies)."""

    @property
    def completed(self) -> int:
        return self.received + self.lost

    @property
    def in_flight(self) -> int:
        return max(0, self.sent - self.completed)

    @property
    def loss_pct(self) -> float:
        """Loss over completed probes only: a probe in flight is not yet lost."""
        done = self.completed
        return 100.0 * self.lost / done if done else 0.0

    @property
    def primary(self) -> ResponderView | None:
        return self.responders[0] if self.responders else None


class TraceInfo(NamedTuple):
    """What was asked for: the settings the run started with, and those changed while it
    runs (mtr's i f m s Q b keys; the method is PathView's)."""

    target_name: str
    target: str
    source: str
    family: Family
    first_ttl: int
    max_ttl: int
    interval: float
    timeout: float
    size: int
    port: int | None
    count: int | None  # type: ignore[assignment]  # mypy: shadows tuple.count
    local_host: str = ""
    tos: int = 0
    pattern: int = 0
    raw_sockets: bool = True
    """False without privileges: UDP and TCP probes then go one socket each (see
    probe/probe_sockets.py), with what that cannot do (see :func:`probe_limits`)."""
    replay_speed: float | None = None
    """Set when the run is a recording played back (``--replay``) on the live screen."""
    max_unknown: int = 5


class EchoStats(NamedTuple):
    """Plain pings to one router (rate-limit triage); never part of a hop's counts."""

    sent: int
    received: int
    lost: int
    rtt: RttSummary
    recent: tuple[tuple[float, bool], ...] = ()
    """(engine clock, answered) of the latest pings, oldest first: a confirmation expires."""


class BranchView(NamedTuple):
    """One branch of a balanced hop, as the flow that keeps to it saw it round after round."""

    ttl: int
    address: str
    sent: int
    received: int
    lost: int
    moved: int
    """Replies from another interface: the flow no longer keeps to this branch."""
    rtt: RttSummary
    names: NameInfo = NO_NAME
    recent: tuple[float, ...] = ()
    """Its latest round trips, oldest first (at most 20)."""

    @property
    def loss_pct(self) -> float:
        settled = self.received + self.lost
        return 100.0 * self.lost / settled if settled else 0.0


class Multipath(NamedTuple):
    """What the multipath search found (probe/mda.py): every hop's interfaces and flows."""

    confidence: float
    hops: tuple[HopBranches, ...]
    """Settled hops so far, by TTL."""
    probes: int = 0
    seconds: float = 0.0
    done: bool = False
    complete: bool = False
    """Every hop that answered met the stopping rule."""
    reason: str = ""
    """Why it is not complete, when it is not."""
    branches: tuple[BranchView, ...] = ()
    """Every watched branch's own statistics, by hop and address."""

    def branches_at(self, ttl: int) -> tuple[BranchView, ...]:
        return tuple(branch for branch in self.branches if branch.ttl == ttl)

    def at(self, ttl: int) -> HopBranches | None:
        for hop in self.hops:
            if hop.ttl == ttl:
                return hop
        return None


def branches_said(hop: HopBranches, confidence: float) -> str:
    """What the search can say of one balanced hop ("3 next hops, 95 %: no more")."""
    count = len(hop.interfaces)
    if hop.per_packet:
        return f"{count} interfaces, balanced per packet (the rounds' one flow met several)"
    said = (
        f"{count} next hops, {confidence * 100:.0f} %: no more"
        if hop.confident
        else f"{count} next hops, maybe more"
    )
    return said + (", meshed" if hop.meshed else "")


def multipath_sentences(found: Multipath) -> list[str]:
    """What the multipath search found, in words a report or the screen can show."""
    percent = f"{found.confidence * 100:.0f} %"
    if not found.done:
        at = max((hop.ttl for hop in found.hops), default=0)
        return [f"Multipath search (MDA, {percent}): under way, {at} hops settled"]
    head = f"Multipath (MDA, {percent}): {found.probes} probes in {found.seconds:.1f} s"
    if not found.complete:
        head += f"; not complete: {found.reason}"
    lines = [head]
    balanced = [hop for hop in found.hops if len(hop.interfaces) > 1]
    for hop in balanced:
        said = branches_said(hop, found.confidence)
        lines.append(f"hop {hop.ttl}: {said} ({', '.join(hop.interfaces)})")
    if not balanced and found.complete:
        lines.append(f"no load balancing: one interface per hop, {percent}: no more")
    return lines


class PathView(NamedTuple):
    info: TraceInfo
    method: ProbeMethod
    started: datetime
    taken: datetime
    rounds: int
    hops: tuple[HopView, ...]
    dest_ttl: int | None
    discovered: bool
    restart_reason: str
    ignored: dict[str, int]
    """Packets and probes that did not become hop results, by reason."""
    paused: bool = False
    finished: bool = False
    """Every ``--count`` round is sent and settled."""
    last_failure: str = ""
    """Why the kernel last refused to send a probe."""
    echoes: dict[str, EchoStats] = {}
    window: float | None = None
    """Seconds the hop statistics cover; None for the whole run."""
    focus: tuple[float, float] | None = None
    """A focus period chosen in the history: the span (engine clock) the hop statistics
    cover; ``window`` is then its length."""
    clock: float = 0.0
    """The engine's clock (seconds) when the latest round started."""
    diagnosis: Diagnosis | None = None
    """Verdicts, summary and events, once :mod:`tracetui.diagnose` has looked at the path."""
    notes: tuple[str, ...] = ()
    """What the engine changed about the probes on its own (e.g. a split UDP flow)."""
    changes: tuple[tuple[int, str], ...] = ()
    """The latest settings changed while running, numbered from 1, as 'interval 1 s → 0.5 s'."""
    multipath: Multipath | None = None
    """Every branch of the path, with ``--multipath``."""
    timeline: Timeline | None = None
    """Every hop's history over the run, when asked for (reports with charts)."""

    @property
    def reached(self) -> bool:
        """Whether the target itself answered (a router refusing the probe does not count)."""
        return any(hop.is_destination for hop in self.hops)

    @property
    def destination(self) -> HopView | None:
        """The target's own row, when it answers."""
        return next((hop for hop in self.hops if hop.is_destination), None)

    @property
    def end_hop(self) -> HopView | None:
        """Where the path ends: the target's row, or the last row while it is not reached
        (what a chart of "the destination" shows)."""
        return self.destination or next(
            (hop for hop in self.hops if hop.ttl == self.dest_ttl),
            self.hops[-1] if self.hops else None,
        )

    def wall(self, clock: float) -> datetime:
        """The wall time of an instant on the engine's clock (this snapshot pairs the two:
        ``clock`` when ``taken``)."""
        return self.taken - timedelta(seconds=self.clock - clock)


def probe_limits(info: TraceInfo, method: ProbeMethod) -> tuple[str, ...]:
    """What the probes of this run cannot do, in sentences a report can show."""
    if info.raw_sockets or method is ProbeMethod.ICMP:
        return ()
    limits = [
        f"Without root every {method.upper()} probe has its own source port: a load "
        "balancer may send probes of one hop different ways (no fixed flow)"
    ]
    if method is ProbeMethod.TCP:
        limits.append(
            "Without root TCP probes are the kernel's SYNs: their size is the kernel's, not -s"
        )
    return tuple(limits)
