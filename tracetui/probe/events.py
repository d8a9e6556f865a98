"""What the engine reports, in the order things happen.

The engine never touches the model or a widget: it emits these small tuples
to a sink, and whoever owns the model folds them in. NamedTuples keep the
per-probe cost of an event to one small allocation.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from tracetui.probe.mda import HopBranches
from tracetui.probe.types import ProbeMethod, ProbeSettings, ReplyKind


class RoundStarted(NamedTuple):
    round: int
    at: float = 0.0
    """The engine's clock (seconds, monotonic): what time windows are measured in."""
    late: float = 0.0
    """Seconds after its due time the round left (a busy thread, a long scrape)."""


class ProbeSent(NamedTuple):
    ttl: int
    round: int


class ProbeReplied(NamedTuple):
    ttl: int
    round: int
    responder: str
    rtt: float
    kind: ReplyKind
    code: int
    mtu: int = 0
    extensions: bytes = b""
    """The reply's RFC 4884 extension structure, undecoded (see tracetui.icmp_extensions)."""
    packet: bytes = b""
    """The reply as read (see Observation.packet), for the packet inspector."""


class ProbeLost(NamedTuple):
    ttl: int
    round: int


class ProbeFailed(NamedTuple):
    """The kernel refused to send a probe (no buffer space, a firewall, no route).

    Not a loss: nothing left this host, so it says nothing about the path.
    """

    ttl: int
    round: int
    reason: str


class ProbeDiscarded(NamedTuple):
    """A probe in flight called off: it was sent beyond what turned out to be the end of
    the path, so it will have no result and counts nowhere (it leaves the flight)."""

    ttl: int
    round: int


class PathChanged(NamedTuple):
    """The probed range changed: hops beyond ``limit`` are no longer part of the path.

    ``dest_ttl`` is the lowest TTL at which the path ended (target reached, or a
    router refused to forward); ``None`` while unknown. ``discovered`` turns true
    once the first round has been fully answered or timed out.
    """

    limit: int
    dest_ttl: int | None
    discovered: bool


class Restart(enum.StrEnum):
    """Why probing started afresh: a closed set, for code to compare (the screen words it)."""

    START = "start"
    RESET = "reset"
    SWITCH = "switch"
    """Another probe method: the statistics taken so far belong to the one before."""
    SETTINGS = "settings"
    """Another packet size or TOS: the statistics so far measured other packets."""


class Restarted(NamedTuple):
    """Probing started afresh: after a reset earlier statistics are void; after a method
    switch they belong to the method they were taken with."""

    method: ProbeMethod
    reason: Restart

    @property
    def switch(self) -> bool:
        return self.reason is Restart.SWITCH


class Reconfigured(NamedTuple):
    """Settings changed while running (mtr's i f m s Q b keys); ``change`` says what, as
    'interval 1 s → 0.5 s'. When ``fresh``, a Restarted(SETTINGS) follows."""

    settings: ProbeSettings
    change: str
    fresh: bool


class EchoSent(NamedTuple):
    """A plain ping to a hop's router (rate-limit triage); never part of Snt or Loss%."""

    address: str


class EchoReplied(NamedTuple):
    address: str
    rtt: float


class EchoLost(NamedTuple):
    address: str


class FlowNote(NamedTuple):
    """Something the engine did to the probes that a report should say (once).

    ``fresh_from``: hops from this TTL on start afresh with the new flow; what
    they had was only silence to the old one (0: nothing starts afresh).
    """

    text: str
    fresh_from: int = 0


class BranchesFound(NamedTuple):
    """Multipath discovery has settled one hop: its interfaces, flows and confidence."""

    hop: HopBranches
    confidence: float
    """The confidence the search was asked for (0.95, 0.99)."""


class DiscoveryEnded(NamedTuple):
    """Multipath discovery is over (for now): how much it cost and whether it got there."""

    probes: int
    seconds: float
    complete: bool
    """Every hop met the stopping rule (no flows ran out, no hop past the bound)."""
    reason: str = ""


class BranchSent(NamedTuple):
    """A round's probe in the flow that keeps to one branch of a balanced hop."""

    ttl: int
    round: int
    branch: str
    """The interface the flow reached when it was found (the branch it stands for)."""


class BranchReplied(NamedTuple):
    ttl: int
    round: int
    branch: str
    responder: str
    """Another address than ``branch``: the flow moved (a new hash, a route change)."""
    rtt: float


class BranchLost(NamedTuple):
    """No reply in time: the branch's loss (its flow goes that way, and only that way)."""

    ttl: int
    round: int
    branch: str


class Paused(NamedTuple):
    """The engine stopped (or resumed) starting rounds."""

    paused: bool


class Finished(NamedTuple):
    """Every round of ``--count`` is sent and settled: nothing more will come."""


class Tally(NamedTuple):
    """Packets that did not become a hop result, by reason; sent when the counts change."""

    counts: tuple[tuple[str, int], ...]


EngineEvent = (
    RoundStarted
    | ProbeSent
    | ProbeReplied
    | ProbeLost
    | ProbeFailed
    | ProbeDiscarded
    | PathChanged
    | Restarted
    | Reconfigured
    | EchoSent
    | EchoReplied
    | EchoLost
    | FlowNote
    | BranchesFound
    | DiscoveryEnded
    | BranchSent
    | BranchReplied
    | BranchLost
    | Paused
    | Finished
    | Tally
)
