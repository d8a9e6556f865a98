"""Per-hop statistics folded from engine events: a pure reducer.

No sockets, no clock of its own, no Textual: the owner feeds events in the
order the engine produced them and asks for snapshots. Memory is bounded:
streaming statistics, a fixed ring of recent rounds per hop, a history per hop
and per branch at falling resolution, 30 days at most (:mod:`tracetui.path.history`),
a capped number of responders per hop, and at most ``max_ttl`` hops.

Invariant per hop: every ProbeSent is later matched by exactly one of
ProbeReplied, ProbeLost or ProbeDiscarded (until a Restarted voids them all),
so ``sent == received + lost + in flight`` always holds. A probe the kernel
refused (ProbeFailed) was never sent: it is counted in ``failed`` only.

What a snapshot shows of the path:
- every TTL up to where the path ends (or, while the first round is out, up
  to the farthest that answered);
- past the last hop that answers, when the target never does, one row for
  all the silent TTLs probed there (``span``), as mtr shows one ``???``;
- hops that were on the path before it got shorter keep their rows, marked
  ``on_path=False``, so no recorded round vanishes;
- a hop's first responder is its current one: the earliest-seen of those that
  answered in the last ``CURRENT_ROUNDS`` rounds (so ECMP twins never swap
  places, and after a route change the new router names the row).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from tracetui.path.history import TIERS, HopHistory, Tier, bucket_seconds
from tracetui.path.snapshot import (
    HISTORY_ROUNDS,
    LOST,
    NO_DATA,
    NO_NAME,
    BranchView,
    EchoStats,
    HopView,
    Multipath,
    NameInfo,
    PathView,
    ResponderView,
    Timeline,
    TraceInfo,
    probe_limits,
)
from tracetui.path.stats import RttStats
from tracetui.probe.events import (
    BranchesFound,
    BranchLost,
    BranchReplied,
    BranchSent,
    DiscoveryEnded,
    EchoLost,
    EchoReplied,
    EchoSent,
    EngineEvent,
    Finished,
    FlowNote,
    PathChanged,
    Paused,
    ProbeDiscarded,
    ProbeFailed,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    Reconfigured,
    Restart,
    Restarted,
    RoundStarted,
    Tally,
)
from tracetui.probe.mda import FIXED_FLOW
from tracetui.probe.types import ProbeMethod, ReplyKind

MAX_RESPONDERS = 16
MAX_ECHO_TARGETS = 64
MAX_NOTES = 8
MAX_BRANCHES = 256
"""Branches kept over a run (every rediscovery may find new ones): the oldest go first."""
MAX_CHANGES = 16
MAX_RECENT_PINGS = 128
"""Triage pings remembered per address: more than the diagnosis asks for within its span
(``MAX_DECIDING_PINGS``), so that 5 % loss can be told from none by pings alone."""
CURRENT_ROUNDS = 10
"""A responder is current while it answered within this many rounds."""

NameSource = Callable[[str], NameInfo | None]


class _Responder:
    __slots__ = (
        "address",
        "received",
        "rtt",
        "kind",
        "code",
        "mtu",
        "extensions",
        "packet",
        "first_round",
        "last_round",
    )

    def __init__(self, address: str, round_: int) -> None:
        self.address = address
        self.received = 0
        self.rtt = RttStats()
        self.kind = ReplyKind.TIME_EXCEEDED
        self.code = 0
        self.mtu = 0
        self.extensions = b""
        """Of its latest reply: what it says now (a label stack can change with the path)."""
        self.packet = b""
        """Its latest reply as read, for the packet inspector (one per responder: bounded)."""
        self.first_round = round_
        self.last_round = round_


BRANCH_RECENT = 20
"""A branch's latest round trips kept, for the median a latency step is judged on."""


class _Branch:
    __slots__ = ("in_flight", "received", "lost", "moved", "rtt", "recent", "over_time")

    def __init__(self, tiers: tuple[Tier, ...]) -> None:
        self.in_flight = 0
        self.received = 0
        self.lost = 0
        self.moved = 0
        self.rtt = RttStats()
        self.recent: deque[float] = deque(maxlen=BRANCH_RECENT)
        self.over_time = HopHistory(tiers)


class _Hop:
    __slots__ = (
        "ttl",
        "in_flight",
        "received",
        "lost",
        "failed",
        "rtt",
        "responders",
        "other_replies",
        "ring",
        "ring_round",
        "recent",
        "last_responder",
        "last_reply_round",
        "switches",
    )

    def __init__(self, ttl: int, history: int, tiers: tuple[Tier, ...] = TIERS) -> None:
        self.ttl = ttl
        self.in_flight = 0
        """Sent and not yet answered, lost or called off (ProbeDiscarded)."""
        self.received = 0
        self.lost = 0
        self.failed = 0
        self.rtt = RttStats()
        self.responders: dict[str, _Responder] = {}
        self.other_replies = 0
        self.ring = array("d", [NO_DATA]) * history  # arrays: 16 bytes a round, not 60
        self.ring_round = array("q", [0]) * history
        self.recent = HopHistory(tiers)
        """Counts and RTTs over time (10 s for an hour, 1 min for a day, 10 min for 30 days)."""
        self.last_responder: str | None = None
        self.last_reply_round = 0
        self.switches = 0
        """Rounds whose reply came from another router than the round before's."""

    @property
    def sent(self) -> int:
        """mtr's Snt: every probe with a result, and those still awaited."""
        return self.received + self.lost + self.in_flight

    def record(self, round_: int, sample: float) -> None:
        slot = round_ % len(self.ring)
        self.ring[slot] = sample
        self.ring_round[slot] = round_

    def history(self, last_round: int) -> tuple[float, ...]:
        """Results of the most recent rounds in round order; NO_DATA where none arrived."""
        ring = self.ring
        size = len(ring)
        first = max(1, last_round - size + 1)
        if last_round < first:
            return ()
        start = first % size
        # the ring rotated to start at the oldest round wanted; a slot still holding an
        # older round's result has none for this one
        samples = ring[start:] + ring[:start]
        rounds = self.ring_round[start:] + self.ring_round[:start]
        wanted = range(first, last_round + 1)
        return tuple(
            [s if r == w else NO_DATA for s, r, w in zip(samples, rounds, wanted, strict=False)]
        )


class _Echo:
    __slots__ = ("sent", "received", "lost", "rtt", "recent")

    def __init__(self) -> None:
        self.sent = self.received = self.lost = 0
        self.rtt = RttStats()
        self.recent: deque[tuple[float, bool]] = deque(maxlen=MAX_RECENT_PINGS)
        """(engine clock of the round it settled in, answered) of the latest pings."""


class _PathState(NamedTuple):
    """One probe method's path, put aside while another method probes."""

    hops: dict[int, _Hop]
    limit: int
    dest_ttl: int | None
    discovered: bool
    left_path: set[int]
    started: datetime


class PathModel:
    def __init__(
        self,
        info: TraceInfo,
        method: ProbeMethod,
        wallclock: Callable[[], datetime],
        history_rounds: int = HISTORY_ROUNDS,
        max_responders: int = MAX_RESPONDERS,
        tiers: tuple[Tier, ...] = TIERS,
    ) -> None:
        self.info = info
        self._tiers = tiers
        """How long each hop's history reaches back (see tracetui.path.history)."""
        self.method = method
        self._wallclock = wallclock
        self._history_rounds = history_rounds
        self._max_responders = max_responders
        self.new_responders: list[str] | None = None
        """Addresses that answered at a hop for the first time, for the owner to take (and
        ask names for) with :meth:`take_new_responders`; None (the default) keeps none. The
        model only reduces events: it asks nobody for anything."""
        self._handlers: dict[type, Callable] = {
            ProbeSent: self._sent,
            ProbeReplied: self._replied,
            ProbeLost: self._lost,
            ProbeFailed: self._failed,
            ProbeDiscarded: self._discarded,
            RoundStarted: self._round_started,
            PathChanged: self._path_changed,
            Restarted: self._restarted,
            EchoSent: self._echo_sent,
            EchoReplied: self._echo_replied,
            EchoLost: self._echo_lost,
            Paused: self._paused,
            Finished: self._finished,
            Tally: self._tally,
            FlowNote: self._flow_note,
            Reconfigured: self._reconfigured,
            BranchesFound: self._branches_found,
            BranchSent: self._branch_sent,
            BranchReplied: self._branch_replied,
            BranchLost: self._branch_lost,
            DiscoveryEnded: self._discovery_ended,
        }
        self.paused = False
        self.finished = False
        self.ignored: dict[str, int] = {}
        """Packets ignored and probes not sent, by reason, over the whole run (the engine's
        counts); a snapshot shows them since the last reset."""
        self._ignored_before: dict[str, int] = {}
        self.last_failure = ""
        self.notes: list[str] = []
        """What the engine did to the probes that a report should say, in order, once each."""
        self.now = 0.0
        """The engine's clock at the latest round start (seconds)."""
        self.changes: deque[tuple[int, str]] = deque(maxlen=MAX_CHANGES)
        self._changed = 0
        self._echoes: dict[str, _Echo] = {}
        self._by_method: dict[ProbeMethod, _PathState] = {}
        self.rounds = 0
        self._clear("")

    def _clear(self, reason: str) -> None:
        self.hops: dict[int, _Hop] = {}
        self.limit = self.info.max_ttl
        self.dest_ttl: int | None = None
        self.discovered = False
        self.left_path: set[int] = set()
        self.restart_reason = reason
        self.started = self._wallclock()
        self.multipath: Multipath | None = None
        self.branches: dict[tuple[int, str], _Branch] = {}

    def take_new_responders(self) -> list[str]:
        """The addresses new since the last call (and from now on, keep them)."""
        taken = self.new_responders or []
        self.new_responders = []
        return taken

    def apply(self, event: EngineEvent) -> None:
        self._handlers[type(event)](event)

    def apply_all(self, events: Iterable[EngineEvent]) -> None:
        handlers = self._handlers
        for event in events:
            handlers[type(event)](event)

    # ---------------------------------------------------------------- reducers
    def _hop(self, ttl: int) -> _Hop:
        hop = self.hops.get(ttl)
        if hop is None:
            hop = self.hops[ttl] = _Hop(ttl, self._history_rounds, self._tiers)
        return hop

    def _sent(self, event: ProbeSent) -> None:
        self._hop(event.ttl).in_flight += 1

    def _replied(self, event: ProbeReplied) -> None:
        hop = self._hop(event.ttl)
        rtt = event.rtt
        if hop.in_flight:
            hop.in_flight -= 1
        hop.received += 1
        hop.rtt.add(rtt)
        hop.record(event.round, rtt)
        hop.recent.received(self.now, rtt)
        if event.round > hop.last_reply_round:
            if hop.last_responder is not None and event.responder != hop.last_responder:
                hop.switches += 1
            hop.last_responder = event.responder
            hop.last_reply_round = event.round
        responder = hop.responders.get(event.responder)
        if responder is None:
            if len(hop.responders) >= self._max_responders:
                hop.other_replies += 1
                return
            responder = _Responder(event.responder, event.round)
            hop.responders[event.responder] = responder
            if self.new_responders is not None:
                self.new_responders.append(event.responder)
        responder.received += 1
        responder.rtt.add(rtt)
        responder.kind = event.kind
        responder.code = event.code
        responder.mtu = event.mtu
        responder.extensions = event.extensions
        responder.packet = event.packet
        if event.round > responder.last_round:
            responder.last_round = event.round

    def _lost(self, event: ProbeLost) -> None:
        hop = self._hop(event.ttl)
        if hop.in_flight:
            hop.in_flight -= 1
        hop.lost += 1
        hop.record(event.round, LOST)
        hop.recent.lost(self.now)

    def _failed(self, event: ProbeFailed) -> None:
        self._hop(event.ttl).failed += 1
        self.last_failure = event.reason

    def _discarded(self, event: ProbeDiscarded) -> None:
        """A probe called off (sent past the end of the path): it leaves the flight with no
        result, as if never sent; a hop that only ever had such probes is no hop."""
        hop = self.hops.get(event.ttl)
        if hop is None:
            return
        if hop.in_flight:
            hop.in_flight -= 1
        if not hop.sent and not hop.failed:
            del self.hops[event.ttl]

    def _round_started(self, event: RoundStarted) -> None:
        self.rounds = event.round
        self.now = event.at

    def _path_changed(self, event: PathChanged) -> None:
        old = self.dest_ttl
        new = event.dest_ttl
        if self.discovered and old is not None and new is not None and new < old:
            self.left_path.update(range(new + 1, old + 1))
        if new is not None:
            self.left_path.difference_update(range(self.info.first_ttl, new + 1))
        self.limit = event.limit
        self.dest_ttl = new
        self.discovered = event.discovered

    def _restarted(self, event: Restarted) -> None:
        """A reset forgets everything; a method switch puts this method's path aside and
        brings back the new method's, if it was probed before."""
        self.finished = False
        if event.reason is Restart.SETTINGS:
            self._by_method.clear()  # every method's numbers were of the packets before
            change = self.changes[-1][1] if self.changes else ""
            self._clear(f"{change}: new statistics")
            return
        if not event.switch:
            self._ignored_before = dict(self.ignored)  # a reset resets every counter
            self._by_method.clear()
            self.rounds = 0
            self.method = event.method
            self._clear(_restart_text(event))
            return
        self._by_method[self.method] = self._put_aside()
        self.method = event.method
        kept = self._by_method.pop(event.method, None)
        if kept is None:
            self._clear(_restart_text(event))
            return
        self.hops, self.limit, self.dest_ttl, self.discovered, self.left_path, self.started = kept
        self.restart_reason = f"{_restart_text(event)}; its statistics from before are back"

    def _reconfigured(self, event: Reconfigured) -> None:
        s = event.settings
        self.info = self.info._replace(
            first_ttl=s.first_ttl,
            max_ttl=s.max_ttl,
            interval=s.interval,
            size=s.size,
            tos=s.tos,
            pattern=s.pattern,
            max_unknown=s.max_unknown,
        )
        self._changed += 1
        self.changes.append((self._changed, event.change))
        self.restart_reason = event.change
        if self.hops and max(self.hops) > s.max_ttl:
            self.left_path.difference_update(range(s.max_ttl + 1, max(self.hops) + 1))

    def _put_aside(self) -> _PathState:
        """This method's path as it stands; probes it still awaited will never settle."""
        for hop in self.hops.values():
            hop.in_flight = 0
        return _PathState(
            self.hops, self.limit, self.dest_ttl, self.discovered, self.left_path, self.started
        )

    def _branches_found(self, event: BranchesFound) -> None:
        found = self.multipath
        if found is None or found.done:
            found = Multipath(event.confidence, ())
        kept = tuple(hop for hop in found.hops if hop.ttl != event.hop.ttl)
        self.multipath = found._replace(hops=(*kept, event.hop))
        if self.new_responders is not None:  # their names, for the branches' rows
            self.new_responders += event.hop.interfaces

    def _branch(self, ttl: int, address: str) -> _Branch:
        branch = self.branches.get((ttl, address))
        if branch is None:
            if len(self.branches) >= MAX_BRANCHES:
                del self.branches[next(iter(self.branches))]
            branch = self.branches[(ttl, address)] = _Branch(self._tiers)
        return branch

    def _branch_sent(self, event: BranchSent) -> None:
        self._branch(event.ttl, event.branch).in_flight += 1

    def _branch_replied(self, event: BranchReplied) -> None:
        branch = self._branch(event.ttl, event.branch)
        branch.in_flight = max(0, branch.in_flight - 1)
        if event.responder != event.branch:
            branch.moved += 1
            return
        branch.received += 1
        branch.rtt.add(event.rtt)
        branch.recent.append(event.rtt)
        branch.over_time.received(self.now, event.rtt)

    def _branch_lost(self, event: BranchLost) -> None:
        branch = self._branch(event.ttl, event.branch)
        branch.in_flight = max(0, branch.in_flight - 1)
        branch.lost += 1
        branch.over_time.lost(self.now)

    def _multipath_seen(self, hops: list[HopView], lookup: NameSource) -> Multipath | None:
        """The search's hops, with per-packet balancing where the rounds' one flow met
        several of a balanced hop's interfaces (a per-flow balancer never does that)."""
        found = self.multipath
        if found is None:
            return None
        seen = {hop.ttl: {r.address for r in hop.responders} for hop in hops}
        marked = tuple(
            branches._replace(per_packet=True)
            if len(seen.get(branches.ttl, set()) & set(branches.interfaces)) > 1
            else branches
            for branches in found.hops
        )
        watched = tuple(
            BranchView(
                ttl,
                address,
                b.received + b.lost + b.moved + b.in_flight,
                b.received,
                b.lost,
                b.moved,
                b.rtt.summary(),
                lookup(address) or NO_NAME,
                tuple(b.recent),
            )
            for (ttl, address), b in sorted(self.branches.items())
        )
        return found._replace(hops=marked, branches=watched + self._fixed_branches(found, hops))

    def _fixed_branches(self, found: Multipath, hops: list[HopView]) -> tuple[BranchView, ...]:
        """A balanced hop's interface that only the rounds' own flow reached: the rounds
        are that branch's probes, so the hop's numbers are its."""
        by_ttl = {hop.ttl: hop for hop in hops}
        out = []
        for branches in found.hops:
            hop = by_ttl.get(branches.ttl)
            if hop is None or len(branches.interfaces) < 2 or len(hop.responders) != 1:
                continue
            primary = hop.responders[0]
            flows = dict(branches.flows).get(primary.address, ())
            if (branches.ttl, primary.address) in self.branches or set(flows) - {FIXED_FLOW}:
                continue
            out.append(
                BranchView(
                    hop.ttl,
                    primary.address,
                    hop.sent,
                    hop.received,
                    hop.lost,
                    0,
                    hop.rtt,
                    primary.names,
                )
            )
        return tuple(out)

    def _discovery_ended(self, event: DiscoveryEnded) -> None:
        found = self.multipath or Multipath(0.0, ())
        self.multipath = found._replace(
            probes=event.probes,
            seconds=event.seconds,
            done=True,
            complete=event.complete,
            reason=event.reason,
        )

    def _flow_note(self, event: FlowNote) -> None:
        if event.text not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(event.text)
        if event.fresh_from:
            for ttl in [t for t, hop in self.hops.items() if t >= event.fresh_from]:
                if not self.hops[ttl].received:
                    del self.hops[ttl]

    def _echo(self, address: str) -> _Echo | None:
        echo = self._echoes.get(address)
        if echo is None and len(self._echoes) < MAX_ECHO_TARGETS:
            echo = self._echoes[address] = _Echo()
        return echo

    def _echo_sent(self, event: EchoSent) -> None:
        echo = self._echo(event.address)
        if echo is not None:
            echo.sent += 1

    def _echo_replied(self, event: EchoReplied) -> None:
        echo = self._echo(event.address)
        if echo is not None:
            echo.received += 1
            echo.rtt.add(event.rtt)
            echo.recent.append((self.now, True))

    def _echo_lost(self, event: EchoLost) -> None:
        echo = self._echo(event.address)
        if echo is not None:
            echo.lost += 1
            echo.recent.append((self.now, False))

    def _paused(self, event: Paused) -> None:
        self.paused = event.paused

    def _finished(self, _event: Finished) -> None:
        self.finished = True

    def _tally(self, event: Tally) -> None:
        self.ignored = dict(event.counts)

    # ---------------------------------------------------------------- snapshot
    def _ignored_since_reset(self) -> dict[str, int]:
        before = self._ignored_before
        return {k: v - before.get(k, 0) for k, v in self.ignored.items() if v > before.get(k, 0)}

    def visible_limit(self) -> int:
        """Highest TTL to show: the path's end once known, else what has answered so far."""
        if self.dest_ttl is not None:
            return self.dest_ttl
        answered = [ttl for ttl, hop in self.hops.items() if hop.received]
        highest = max(answered, default=self.info.first_ttl)
        if self.discovered:
            return min(self.limit, highest + 1)  # one row for the silent TTLs beyond
        return highest

    def snapshot(
        self,
        names: NameSource | None = None,
        window: float | None = None,
        focus: tuple[float, float] | None = None,
        timeline: int = 0,
    ) -> PathView:
        """The path now; with ``window`` (seconds), hop counts and RTTs cover only the last
        ``window`` seconds; with ``focus`` (start, end on the engine's clock), only that span
        of the history (a focus period), whose length is then the window. ``timeline``: at
        most that many points of every hop's history since the oldest held (a report's
        charts; 0, the default, computes none)."""
        lookup = names or (lambda _address: None)
        span = focus
        if focus is not None:
            window = focus[1] - focus[0]
        elif window is not None:
            span = (self.now - window, self.now)
        top = self.visible_limit()
        transit = self._transit()
        hops = []
        for ttl in range(self.info.first_ttl, top + 1):
            hops.append(self._hop_view(ttl, self.hops.get(ttl), lookup, span, transit))
        if self.dest_ttl is None and self.discovered and top < self.limit and hops:
            last = hops[-1]
            if not last.received:
                hops[-1] = last._replace(span=self.limit - top + 1)
        for ttl in sorted(self.left_path):
            hop = self.hops.get(ttl)
            if ttl > top and hop is not None and hop.received:
                view = self._hop_view(ttl, hop, lookup, span, transit)
                hops.append(view._replace(on_path=False))
        return PathView(
            info=self.info,
            method=self.method,
            started=self.started,
            taken=self._wallclock(),
            rounds=self.rounds,
            hops=tuple(hops),
            dest_ttl=self.dest_ttl,
            discovered=self.discovered,
            restart_reason=self.restart_reason,
            changes=tuple(self.changes),
            ignored=self._ignored_since_reset(),
            paused=self.paused,
            finished=self.finished,
            last_failure=self.last_failure,
            notes=(*self.notes, *probe_limits(self.info, self.method)),
            echoes={
                address: EchoStats(e.sent, e.received, e.lost, e.rtt.summary(), tuple(e.recent))
                for address, e in self._echoes.items()
            },
            window=window,
            focus=focus,
            clock=self.now,
            multipath=self._multipath_seen(hops, lookup),
            timeline=self._whole_timeline(timeline) if timeline else None,
        )

    def _whole_timeline(self, points: int) -> Timeline | None:
        since = self.history_since()
        if since is None:
            return None
        return self.timeline(since, self.now, bucket_seconds(self.now - since, points))

    def history_since(self) -> float | None:
        """The engine's clock at the oldest bucket any hop still holds (None: no result yet)."""
        held = [h for h in (hop.recent.held_since() for hop in self.hops.values()) if h is not None]
        return min(held) if held else None

    def timeline(self, start: float, end: float, seconds: float) -> Timeline:
        """Every hop's (and branch's) history from ``start`` to ``end`` in buckets of
        ``seconds``, all on the same points."""
        top = self.visible_limit()
        hops = {
            ttl: hop.recent.timeline(start, end, seconds)
            for ttl, hop in self.hops.items()
            if ttl <= top or ttl in self.left_path
        }
        branches = {
            key: branch.over_time.timeline(start, end, seconds)
            for key, branch in self.branches.items()
        }
        width = next(iter(hops.values()))[0].seconds if hops else seconds
        return Timeline(start, end, width, hops, branches)

    def _responder_view(self, responder: _Responder, lookup: NameSource) -> ResponderView:
        return ResponderView(
            address=responder.address,
            names=lookup(responder.address) or NO_NAME,
            received=responder.received,
            rtt=responder.rtt.summary(),
            kind=responder.kind,
            code=responder.code,
            mtu=responder.mtu,
            extension_data=responder.extensions,
            last_packet=responder.packet,
            last_round=responder.last_round,
            current=self.rounds - responder.last_round < CURRENT_ROUNDS,
        )

    def _transit(self) -> frozenset[str]:
        """Routers seen forwarding (time-exceeded) before where the path ends: one of them
        answering for the target at the end is a firewall rejecting, not the target."""
        end = self.dest_ttl
        if end is None:
            return frozenset()
        return frozenset(
            r.address
            for ttl, hop in self.hops.items()
            if ttl < end
            for r in hop.responders.values()
            if r.kind is ReplyKind.TIME_EXCEEDED
        )

    def _hop_view(
        self,
        ttl: int,
        hop: _Hop | None,
        lookup: NameSource,
        focus: tuple[float, float] | None,
        transit: frozenset[str] = frozenset(),
    ) -> HopView:
        if hop is None:
            hop = _Hop(ttl, 1)
            history: tuple[float, ...] = ()
        else:
            history = hop.history(self.rounds)
        views = [self._responder_view(r, lookup) for r in hop.responders.values()]
        # current responders first, each group in the order they first answered
        responders = tuple(v for v in views if v.current) + tuple(v for v in views if not v.current)
        sent, received, lost, rtt = hop.sent, hop.received, hop.lost, hop.rtt.summary()
        if focus is not None:
            sent, received, lost, rtt = hop.recent.between(*focus, rtt)
        ends = ttl == self.dest_ttl
        reached = rejected = False
        if ends:
            # the target itself, from the address probed or another of its own; a router
            # of the path answering instead (port unreachable, a reset) rejects for it
            for r in responders:
                if r.kind.ends_path and not r.kind.refuses and r.current:
                    if r.address == self.info.target or r.address not in transit:
                        reached = True
                    else:
                        rejected = True
            rejected = rejected and not reached
        return HopView(
            ttl=ttl,
            sent=sent,
            received=received,
            lost=lost,
            failed=hop.failed,
            rtt=rtt,
            responders=responders,
            other_replies=hop.other_replies,
            history=history,
            is_destination=reached,
            ends_path=ends,
            rejected=rejected,
            switches=hop.switches,
        )


def _restart_text(event: Restarted) -> str:
    """What the status line says of a restart (nothing of the first start)."""
    if event.reason is Restart.RESET:
        return "statistics reset"
    if event.reason is Restart.SWITCH:
        return f"switched to {event.method.upper()}"
    return ""
