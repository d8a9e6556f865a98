"""Watching every branch of a balanced hop, round after round, once the search found them.

The rounds' own probes keep one flow, so they follow one branch. After the
multipath search (:mod:`tracetui.probe.mda`), each round also sends, at every
hop with several interfaces, one probe in a flow known to reach each of them:
so every branch has its own loss, round trips and jitter over time, and a
probe lost in a branch's flow is that branch's loss, its flow going that way
and no other (a per-flow balancer hashes the same ports the same way). A flow
that comes back from an interface the search never saw means the path changed:
the engine then searches again, as it does when a flow keeps coming back from
another branch's interface (its balancer lost or gained a next hop) or a branch
stops answering altogether.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tracetui.probe.codec import FlowsCodec
from tracetui.probe.events import BranchLost, BranchReplied, BranchSent, EngineEvent
from tracetui.probe.lifecycle import Probe, ProbeLedger, ProbeState
from tracetui.probe.mda import FIXED_FLOW, HopBranches
from tracetui.probe.network import Transport
from tracetui.probe.types import Observation, ProbeMethod

MOVED_IN_A_ROW = 3
"""Replies in a row from another interface than a branch's: its balancer changed."""
LOST_IN_A_ROW = 10
"""Probes in a row lost on one branch: it may be gone; a new search says."""


def watched(hops: Sequence[HopBranches]) -> list[tuple[int, int, str]]:
    """(TTL, flow, interface) for every interface of every hop with several: its first flow
    of the search's own. An interface only the rounds' fixed flow reached needs no watch:
    the rounds are its probes, and the model shows their numbers as its branch's."""
    out = []
    for hop in hops:
        if len(hop.interfaces) < 2:
            continue
        for address, flows in hop.flows:
            own = [flow for flow in flows if flow != FIXED_FLOW]
            if own:
                out.append((hop.ttl, own[0], address))
    return out


class BranchWatch:
    def __init__(
        self,
        transport: Transport,
        method: ProbeMethod,
        codec: FlowsCodec,
        hops: Sequence[HopBranches],
        timeout: float,
        now: float,
        sink: Callable[[EngineEvent], None],
    ) -> None:
        self.transport = transport
        self.method = method
        self.codec = codec
        self.timeout = timeout
        self.started_at = now
        self._sink = sink
        self._branches = watched(hops)
        self._known = {hop.ttl: frozenset(hop.interfaces) for hop in hops}
        self._ledger = ProbeLedger(codec.key_space)
        self._timeout_ns = int(timeout * 1e9)
        self._moved: dict[tuple[int, str], int] = {}
        self._per_packet: set[int] = set()
        """Hops where a flow left its branch and came back: balanced per packet, so no
        flow keeps to a branch there; they are no longer probed."""
        self._lost: dict[tuple[int, str], int] = {}
        self.changed = False
        """A flow met an interface the search never saw at its hop: the path changed."""

    @property
    def branches(self) -> int:
        return len(self._branches)

    @property
    def awaiting(self) -> bool:
        return bool(self._ledger)

    def send_round(self, round_: int, now: float, limit: int) -> int:
        """One probe per branch whose hop is within the path; returns how many left."""
        sent = 0
        for ttl, flow, address in self._branches:
            if ttl > limit or ttl in self._per_packet:
                continue
            low, high = self.codec.keys_of(flow)
            key = self._ledger.allocate(low, high)
            if key is None:
                continue
            try:
                stamp = self.transport.send(self.method, self.codec.build(key), ttl)
            except OSError:
                continue  # nothing left: not the branch's loss
            self._ledger.await_reply(
                key, Probe(ttl, round_, now, stamp, address), now + self.timeout
            )
            self._sink(BranchSent(ttl, round_, address))
            sent += 1
        return sent

    def claim(self, obs: Observation, stamp: int) -> bool:
        """Whether ``obs`` answers a branch probe (then its event is out)."""
        key = self.codec.key_of(obs)
        if key is None:
            return False
        probe = self._ledger.get(key)
        if probe is None:
            return True  # late, or a discovery probe's twin: ours, and nothing to count
        self._ledger.settle(key, ProbeState.ANSWERED)
        if stamp < probe.stamp or stamp - probe.stamp > self._timeout_ns:
            self._lose(probe)
            return True
        branch = (probe.ttl, probe.address)
        self._lost[branch] = 0
        if obs.responder not in self._known.get(probe.ttl, frozenset()):
            self.changed = True
        if obs.responder == probe.address and self._moved.get(branch, 0):
            self._per_packet.add(probe.ttl)  # away and back again: per packet, not per flow
        moved = self._moved[branch] = (
            self._moved.get(branch, 0) + 1 if obs.responder != probe.address else 0
        )
        if moved >= MOVED_IN_A_ROW and probe.ttl not in self._per_packet:
            self.changed = True
        rtt = (stamp - probe.stamp) / 1e6
        self._sink(BranchReplied(probe.ttl, probe.round, probe.address, obs.responder, rtt))
        return True

    def expire(self, now: float) -> None:
        for _key, probe in self._ledger.expired(now):
            self._lose(probe)

    def _lose(self, probe: Probe) -> None:
        branch = (probe.ttl, probe.address)
        lost = self._lost[branch] = self._lost.get(branch, 0) + 1
        if lost >= LOST_IN_A_ROW:
            self.changed = True
        self._sink(BranchLost(probe.ttl, probe.round, probe.address))

    def stamped(self, sent: Observation, stamp: int) -> bool:
        """Take the kernel's transmit stamp of one of ours (its round trip starts there)."""
        key = self.codec.key_of(sent)
        if key is None:
            return False
        probe = self._ledger.get(key)
        if probe is not None:
            probe.stamp = stamp
        return True

    def next_deadline(self) -> float | None:
        return self._ledger.next_deadline()

    def stop(self) -> None:
        self._ledger.void_all()
