"""Sending the multipath search's probes beside the rounds, and reading their replies.

The search (:mod:`tracetui.probe.mda`) says which (TTL, flow) to probe; this
driver sends them through the engine's transport in probes of their own flows
(:class:`tracetui.probe.codec.FlowsCodec`), paced so a router's ICMP rate limit
is not what the search measures, and tells the search what came back. The
rounds go on meanwhile in their fixed flow, untouched: discovery probes have
their own keys and ledger, and never count in a hop's statistics.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from tracetui.probe.codec import FlowsCodec
from tracetui.probe.events import BranchesFound, DiscoveryEnded, EngineEvent
from tracetui.probe.lifecycle import Probe, ProbeLedger, ProbeState
from tracetui.probe.mda import MdaSearch
from tracetui.probe.network import Transport
from tracetui.probe.types import Observation, ProbeMethod

PROBE_GAP = 0.01
"""Seconds between two discovery probes: 100 a second at most, a few per router."""


class Discovery:
    """One run of the search, from the first hop to the end of the path."""

    def __init__(
        self,
        transport: Transport,
        method: ProbeMethod,
        codec: FlowsCodec,
        search: MdaSearch,
        timeout: float,
        now: float,
        sink: Callable[[EngineEvent], None],
    ) -> None:
        self.transport = transport
        self.method = method
        self.codec = codec
        self.search = search
        self.timeout = timeout
        self.started_at = now
        self._sink = sink
        self._ledger = ProbeLedger(codec.key_space)
        self._queue: deque[tuple[int, int]] = deque()
        self._next_send = now
        self._reported = 0
        self._first_stamp: int | None = None
        self._last_stamp = 0
        """Transport stamps (ns) of the first probe and of the last answer or timeout: the
        search's duration, the same in a replay as in the run it replays."""
        self.sent = 0
        self.over = False

    def turn(self, now: float) -> int:
        """Expire, ask the search, send what is due; returns the probes sent."""
        if self.over:
            return 0
        search = self.search
        for key, probe in self._ledger.expired(now):
            self._last_stamp = max(self._last_stamp, probe.stamp + int(self.timeout * 1e9))
            self._queue.extend(search.lost(probe.ttl, self.codec.flow_of(key)))
            self._queue.extend(search.wanted())
        self._queue.extend(search.wanted())
        self._report(now)
        sent = 0
        while self._queue and now >= self._next_send:
            ttl, flow = self._queue.popleft()
            self._send(ttl, flow, now)
            self._next_send = max(self._next_send + PROBE_GAP, now - PROBE_GAP)
            sent += 1
        return sent

    def _send(self, ttl: int, flow: int, now: float) -> None:
        low, high = self.codec.keys_of(flow)
        key = self._ledger.allocate(low, high)
        if key is None:
            self._queue.extend(self.search.lost(ttl, flow))
            return
        try:
            stamp = self.transport.send(self.method, self.codec.build(key), ttl)
        except OSError:
            self._queue.extend(self.search.lost(ttl, flow))
            return
        self._ledger.await_reply(key, Probe(ttl, 0, now, stamp), now + self.timeout)
        if self._first_stamp is None:
            self._first_stamp = stamp
        self.sent += 1

    def _report(self, now: float) -> None:
        search = self.search
        finished = search.finished
        while self._reported < len(finished):
            self._sink(BranchesFound(finished[self._reported], search.confidence))
            self._reported += 1
        if search.done and not self._ledger and not self._queue:
            self.over = True
            complete = all(hop.confident for hop in finished if hop.interfaces)
            reason = "" if complete else self._why_not()
            first = self._first_stamp if self._first_stamp is not None else self._last_stamp
            seconds = max(0, self._last_stamp - first) / 1e9
            self._sink(DiscoveryEnded(search.probes, seconds, complete, reason))

    def _why_not(self) -> str:
        if self.search.flows_ran_out:
            return f"the {self.codec.flows} flows ran out"
        return "a hop has more next hops than the search rules out"

    def claim(self, obs: Observation, stamp: int) -> bool:
        """Whether ``obs`` answers a discovery probe (then the search has it)."""
        key = self.codec.key_of(obs)
        if key is None:
            return False
        probe = self._ledger.settle(key, ProbeState.ANSWERED)
        if probe is not None:
            self._last_stamp = max(self._last_stamp, stamp)
            flow = self.codec.flow_of(key)
            self.search.answered(probe.ttl, flow, obs.responder, obs.kind.ends_path)
            # decide now, reply by reply: the same decisions whichever replies share a
            # loop turn (a replay turns differently from the run it replays)
            self._queue.extend(self.search.wanted())
        return True

    def observed(self, ttl: int, responder: str, ends_path: bool) -> None:
        """A round's reply in the fixed flow (see FIXED_FLOW): a sample for free."""
        self.search.observed(ttl, responder, ends_path)
        self._queue.extend(self.search.wanted())

    def stamped(self, sent: Observation, stamp: int) -> bool:
        """Whether a transmit stamp is one of ours (kept: nothing here needs it finer)."""
        return self.codec.key_of(sent) is not None

    def next_deadline(self) -> float | None:
        if self.over:
            return None
        if self._queue:
            return self._next_send
        return self._ledger.next_deadline()

    def stop(self) -> None:
        self._ledger.void_all()
        self._queue.clear()
        self.over = True
