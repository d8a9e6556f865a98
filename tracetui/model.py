"""Per-hop statistics folded from engine events: a pure reducer.

No sockets, no clock of its own, no Textual: the owner feeds events in the
order the engine produced them and asks for snapshots. Memory is bounded:
streaming statistics, a fixed ring of recent rounds per hop, a capped number
of responders per hop, and at most ``max_ttl`` hops.

Invariant per hop: every ProbeSent is later matched by exactly one of
ProbeReplied, ProbeLost or ProbeDiscarded (until a Restarted voids them all),
so ``sent == received + lost + in flight`` always holds. A probe the kernel
refused (ProbeFailed) was never sent: it is counted in ``failed`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from tracetui.events import (
    EngineEvent,
    Finished,
    PathChanged,
    Paused,
    ProbeDiscarded,
    ProbeFailed,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    Restarted,
    RoundStarted,
    Tally,
)
from tracetui.probe.types import ProbeMethod, ReplyKind
from tracetui.snapshot import (
    LOST,
    NO_DATA,
    NO_NAME,
    HopView,
    NameInfo,
    PathView,
    ResponderView,
    TraceInfo,
)
from tracetui.stats import RttStats

HISTORY_ROUNDS = 240
MAX_RESPONDERS = 16

NameSource = Callable[[str], NameInfo | None]


class _Responder:
    __slots__ = ("address", "received", "rtt", "kind", "code")

    def __init__(self, address: str) -> None:
        self.address = address
        self.received = 0
        self.rtt = RttStats()
        self.kind = ReplyKind.TIME_EXCEEDED
        self.code = 0


class _Hop:
    __slots__ = (
        "ttl",
        "sent",
        "received",
        "lost",
        "failed",
        "rtt",
        "responders",
        "other_replies",
        "ring",
        "ring_round",
    )

    def __init__(self, ttl: int, history: int) -> None:
        self.ttl = ttl
        self.sent = 0
        self.received = 0
        self.lost = 0
        self.failed = 0
        self.rtt = RttStats()
        self.responders: dict[str, _Responder] = {}
        self.other_replies = 0
        self.ring = [NO_DATA] * history
        self.ring_round = [0] * history

    def record(self, round_: int, sample: float) -> None:
        slot = round_ % len(self.ring)
        self.ring[slot] = sample
        self.ring_round[slot] = round_

    def history(self, last_round: int) -> tuple[float, ...]:
        """Results of the most recent rounds in round order; NO_DATA where none arrived."""
        ring = self.ring
        rounds = self.ring_round
        size = len(ring)
        first = max(1, last_round - size + 1)
        out = []
        for round_ in range(first, last_round + 1):
            slot = round_ % size
            out.append(ring[slot] if rounds[slot] == round_ else NO_DATA)
        return tuple(out)


class PathModel:
    def __init__(
        self,
        info: TraceInfo,
        method: ProbeMethod,
        wallclock: Callable[[], datetime],
        history_rounds: int = HISTORY_ROUNDS,
        max_responders: int = MAX_RESPONDERS,
    ) -> None:
        self.info = info
        self.method = method
        self._wallclock = wallclock
        self._history_rounds = history_rounds
        self._max_responders = max_responders
        self.on_new_responder: Callable[[str], None] | None = None
        """Called with each address the first time it answers at a hop (to ask for its name)."""
        self._handlers: dict[type, Callable] = {
            ProbeSent: self._sent,
            ProbeReplied: self._replied,
            ProbeLost: self._lost,
            ProbeFailed: self._failed,
            ProbeDiscarded: self._discarded,
            RoundStarted: self._round_started,
            PathChanged: self._path_changed,
            Restarted: self._restarted,
            Paused: self._paused,
            Finished: self._finished,
            Tally: self._tally,
        }
        self.paused = False
        self.finished = False
        self.ignored: dict[str, int] = {}
        self.last_failure = ""
        self._clear("start")

    def _clear(self, reason: str) -> None:
        self.hops: dict[int, _Hop] = {}
        self.rounds = 0
        self.limit = self.info.max_ttl
        self.dest_ttl: int | None = None
        self.discovered = False
        self.restart_reason = reason
        self.started = self._wallclock()

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
            hop = self.hops[ttl] = _Hop(ttl, self._history_rounds)
        return hop

    def _sent(self, event: ProbeSent) -> None:
        self._hop(event.ttl).sent += 1

    def _replied(self, event: ProbeReplied) -> None:
        hop = self._hop(event.ttl)
        rtt = event.rtt
        hop.received += 1
        hop.rtt.add(rtt)
        hop.record(event.round, rtt)
        responder = hop.responders.get(event.responder)
        if responder is None:
            if len(hop.responders) >= self._max_responders:
                hop.other_replies += 1
                return
            responder = hop.responders[event.responder] = _Responder(event.responder)
            if self.on_new_responder is not None:
                self.on_new_responder(event.responder)
        responder.received += 1
        responder.rtt.add(rtt)
        responder.kind = event.kind
        responder.code = event.code

    def _lost(self, event: ProbeLost) -> None:
        hop = self._hop(event.ttl)
        hop.lost += 1
        hop.record(event.round, LOST)

    def _failed(self, event: ProbeFailed) -> None:
        self._hop(event.ttl).failed += 1
        self.last_failure = event.reason

    def _discarded(self, event: ProbeDiscarded) -> None:
        hop = self.hops.get(event.ttl)
        if hop is None:
            return
        hop.sent -= 1
        if not hop.sent and not hop.failed:
            del self.hops[event.ttl]

    def _round_started(self, event: RoundStarted) -> None:
        self.rounds = event.round

    def _path_changed(self, event: PathChanged) -> None:
        self.limit = event.limit
        self.dest_ttl = event.dest_ttl
        self.discovered = event.discovered

    def _restarted(self, event: Restarted) -> None:
        self.method = event.method
        self.finished = False
        self._clear(event.reason)

    def _paused(self, event: Paused) -> None:
        self.paused = event.paused

    def _finished(self, _event: Finished) -> None:
        self.finished = True

    def _tally(self, event: Tally) -> None:
        self.ignored = dict(event.counts)

    # ---------------------------------------------------------------- snapshot
    def visible_limit(self) -> int:
        """Highest TTL to show: the path's end once known, else what has answered so far."""
        if self.dest_ttl is not None:
            return self.dest_ttl
        if self.discovered:
            return self.limit
        answered = [ttl for ttl, hop in self.hops.items() if hop.received]
        return max(answered, default=self.info.first_ttl)

    def snapshot(self, names: NameSource | None = None) -> PathView:
        lookup = names or (lambda _address: None)
        top = self.visible_limit()
        hops = []
        for ttl in range(self.info.first_ttl, top + 1):
            hop = self.hops.get(ttl)
            hops.append(self._hop_view(ttl, hop, lookup))
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
            ignored=dict(self.ignored),
            paused=self.paused,
            finished=self.finished,
            last_failure=self.last_failure,
        )

    def _hop_view(self, ttl: int, hop: _Hop | None, lookup: NameSource) -> HopView:
        """Responders stay in the order they first answered, so rows never swap places."""
        if hop is None:
            hop = _Hop(ttl, 1)
            history: tuple[float, ...] = ()
        else:
            history = hop.history(self.rounds)
        responders = tuple(
            ResponderView(
                address=r.address,
                names=lookup(r.address) or NO_NAME,
                received=r.received,
                rtt=r.rtt.summary(),
                kind=r.kind,
                code=r.code,
            )
            for r in hop.responders.values()
        )
        return HopView(
            ttl=ttl,
            sent=hop.sent,
            received=hop.received,
            lost=hop.lost,
            failed=hop.failed,
            rtt=hop.rtt.summary(),
            responders=responders,
            other_replies=hop.other_replies,
            history=history,
            is_destination=ttl == self.dest_ttl,
        )
