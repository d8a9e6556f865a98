"""Finding every branch of a load-balanced path: the Multipath Detection Algorithm.

A per-flow load balancer sends each flow (the ports of a UDP or TCP probe)
down one of its next hops, so one fixed flow sees one branch. The MDA
(Augustin, Friedman and Teixeira, "Multipath tracing with Paris traceroute",
E2EMON 2007; Veitch, Augustin, Teixeira and Friedman, "Failure control in
multipath route tracing", INFOCOM 2009) probes a hop with many flows and stops
when a further interface, had it existed, would have shown itself with the
chosen confidence: after ``n_k`` replies have shown ``k`` interfaces, the chance
that ``k + 1`` equally likely ones show only ``k`` is below ``1 - confidence``.

The search runs hop by hop as MDA-Lite does (Vermeulen, Strowes, Fourmaux and
Friedman, "Multilevel MDA-Lite Paris Traceroute", IMC 2018): a hop's probes
reuse the flows that crossed the hop before, taking each interface there in
turn, and the hop is done when its replies reach ``n_k``. Those same flows
are MDA-Lite's meshing test: an interface whose flows reach several of the
next hop's interfaces makes the hop *meshed*, and it is said (its links are
those the flows showed; the full MDA's per-interface count would be needed
to rule out a link unseen). Where scamper's ``tracelb`` spends nothing, so
does this: the first hop (the host's own gateway) is taken from one reply,
and a reply from the target ends the search, the target having no other
interface to find. Per-packet balancing (one flow, several routers) is told
by the rounds, which keep one flow: see :mod:`tracetui.path.model`.

This module is pure: it says which (TTL, flow) to probe and reads what came
back. :mod:`tracetui.probe.discovery` sends the probes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

FIXED_FLOW = 0
"""The rounds' own flow: probed at every hop every round, so its first reply at each hop
is a sample the search need not send (it cannot: its ports are the rounds')."""
MAX_NEXT_HOPS = 32
"""More interfaces than this at one hop are not ruled out: the search stops there."""
RETRIES = 1
"""A flow that gets no reply at a hop is sent once more before it counts as silent."""
SILENT_FLOWS = 2
"""Flows silent (after their retry) at a hop that never answered: it is a silent hop
(a router sending no time-exceeded; the rounds still measure it)."""


@functools.cache
def probes_to_rule_out(found: int, confidence: float) -> int:
    """``n_k``: replies after which ``found`` interfaces rule out one more.

    The chance that ``n`` probes spread evenly over ``found + 1`` interfaces miss
    at least one of them, by the occupancy recurrence (numerically stable where
    inclusion-exclusion is not), must fall to ``1 - confidence``. It gives the
    published stopping points: 6, 11, 16, 21, 27 at 95 %; 8, 15, 21, 28, 36 at 99 %.
    """
    if found < 1:
        return 1
    bins = found + 1
    alpha = 1.0 - confidence
    hit = [1.0] + [0.0] * bins  # hit[d]: chance that exactly d interfaces were seen
    probes = 0
    while True:
        probes += 1
        nxt = [0.0] * (bins + 1)
        for seen, chance in enumerate(hit):
            if chance:
                if seen < bins:
                    nxt[seen + 1] += chance * (bins - seen) / bins
                nxt[seen] += chance * seen / bins
        hit = nxt
        if 1.0 - hit[bins] <= alpha:
            return probes


class HopBranches(NamedTuple):
    """What the search knows of one hop once it is done."""

    ttl: int
    interfaces: tuple[str, ...]
    """In the order they were found."""
    flows: tuple[tuple[str, tuple[int, ...]], ...]
    """Each interface with the flows that reached it (a flow that sees it for sure)."""
    links: tuple[tuple[str, str], ...]
    """(interface at the hop before, interface here), as flows crossed them."""
    probes: int
    """Probes sent at this TTL, retries and re-checks included."""
    silent: int
    """Flows that got no reply at this hop (after their retry)."""
    confident: bool
    """The stopping rule was met (no more interfaces, at the search's confidence)."""
    per_packet: bool
    """One flow met several routers here: balancing per packet, not per flow (set from
    the rounds' flow by the model; the search itself never probes a flow twice)."""
    ends: tuple[str, ...] = ()
    """Interfaces here that ended the path (the target, or a router refusing)."""
    meshed: bool = False
    """An interface of the hop before reached several interfaces here."""


@dataclass
class _Hop:
    ttl: int
    reply: dict[int, str | None] = field(default_factory=dict)
    """Flow -> responder (None: silent after its retry)."""
    tries: dict[int, int] = field(default_factory=dict)
    waiting: set[int] = field(default_factory=set)
    order: list[str] = field(default_factory=list)
    ends: set[str] = field(default_factory=set)
    probes: int = 0
    confident: bool = False
    target_seen: bool = False

    def answered(self) -> dict[str, list[int]]:
        by: dict[str, list[int]] = {}
        for flow, responder in self.reply.items():
            if responder is not None:
                by.setdefault(responder, []).append(flow)
        return by

    @property
    def replies(self) -> int:
        return sum(1 for responder in self.reply.values() if responder is not None)


class MdaSearch:
    """The search's state: ask :meth:`wanted` what to send, tell it what came back.

    ``flows`` is how many flow identifiers the method can carry (1 to ``flows``).
    The search ends at the hop where every flow ended the path, after
    ``max_unknown`` silent hops in a row, or at ``max_ttl``.
    """

    def __init__(
        self,
        first_ttl: int,
        max_ttl: int,
        flows: int,
        confidence: float = 0.95,
        max_unknown: int = 5,
        target: str = "",
    ) -> None:
        self.confidence = confidence
        self.target = target
        self.max_ttl = max_ttl
        self.max_unknown = max_unknown
        self._flows = flows
        self._next_flow = 1
        self._hops: dict[int, _Hop] = {}
        self._ttl = first_ttl
        self._first = first_ttl
        self._silent_run = 0
        self.done = False
        self.flows_ran_out = False
        self.finished: list[HopBranches] = []
        """Hops as they were settled, for the driver to report."""

    @property
    def ttl(self) -> int:
        """The hop being searched."""
        return self._ttl

    @property
    def probes(self) -> int:
        return sum(hop.probes for hop in self._hops.values())

    def hop(self, ttl: int) -> _Hop:
        hop = self._hops.get(ttl)
        if hop is None:
            hop = self._hops[ttl] = _Hop(ttl)
        return hop

    # ------------------------------------------------------------ what to send
    def wanted(self) -> list[tuple[int, int]]:
        """The (TTL, flow) probes to send now; each one is awaited until told about."""
        out: list[tuple[int, int]] = []
        while not self.done:
            before = len(out)
            self._plan(out)
            if len(out) > before or self._waiting():
                return out
            if not self._advance():
                return out
        return out

    def _waiting(self) -> bool:
        return any(hop.waiting for hop in self._hops.values())

    def _new_flow(self) -> int | None:
        if self._next_flow > self._flows:
            self.flows_ran_out = True
            return None
        flow = self._next_flow
        self._next_flow += 1
        return flow

    def _send(self, out: list[tuple[int, int]], hop: _Hop, flow: int) -> None:
        hop.waiting.add(flow)
        hop.tries[flow] = hop.tries.get(flow, 0) + 1
        hop.probes += 1
        out.append((hop.ttl, flow))

    def _live_before(self, ttl: int) -> dict[str, list[int]]:
        """The hop before's interfaces that forward (not the end of the path), with flows."""
        if ttl == self._first or ttl - 1 not in self._hops:
            return {}
        before = self._hops[ttl - 1]
        return {
            address: flows
            for address, flows in before.answered().items()
            if address not in before.ends
        }

    def _need(self, hop: _Hop) -> int:
        """Replies the hop needs: n_k; one at the first hop; at the target, once it
        answered alone, one flow through each interface of the hop before (scamper's
        tracelb stops at the target's first reply: a branch one hop longer would be
        missed where a shorter one reached the target first)."""
        if hop.target_seen and len(hop.order) == 1:
            before = self._live_before(hop.ttl)
            unseen = sum(
                1
                for flows in before.values()
                if not any(f in hop.reply or f in hop.waiting for f in flows)
            )
            return hop.replies + unseen
        if hop.ttl == self._first == 1 and len(hop.order) <= 1:
            return 1  # the host's own gateway (its routing table, not a balancer, picks it)
        if not hop.order:
            # one flow first (it may find the target, ending the search); if it goes
            # unanswered, one more, and then the hop is silent
            silent = any(responder is None for responder in hop.reply.values())
            return SILENT_FLOWS if silent else 1
        return probes_to_rule_out(max(1, len(hop.order)), self.confidence)

    def _plan(self, out: list[tuple[int, int]]) -> None:
        hop = self.hop(self._ttl)
        need = self._need(hop)
        silent = sum(1 for responder in hop.reply.values() if responder is None)
        if hop.replies + len(hop.waiting) + (0 if hop.order else silent) >= need:
            return
        if not hop.order and silent >= SILENT_FLOWS:
            return  # a hop that answers nobody
        reusable = self._reusable(hop, self._live_before(hop.ttl))
        tried = silent if not hop.order else 0  # at a hop never heard, every flow counts
        while hop.replies + len(hop.waiting) + tried < need:
            flow = next(reusable, None)
            if flow is None:
                flow = self._new_flow()
                if flow is None:
                    return
            self._send(out, hop, flow)

    def _reusable(self, hop: _Hop, before: dict[str, list[int]]) -> Iterator[int]:
        """Flows known at the hop before and not yet tried here, one interface after another."""
        columns = [list(flows) for flows in before.values()]
        index = 0
        while any(index < len(column) for column in columns):
            for column in columns:
                flow = column[index] if index < len(column) else None
                if flow is None or flow == FIXED_FLOW:
                    continue  # the rounds probe the fixed flow: the search cannot
                if flow not in hop.reply and flow not in hop.waiting:
                    yield flow
            index += 1

    # --------------------------------------------------------- what came back
    def observed(self, ttl: int, responder: str, ends_path: bool) -> None:
        """A round's reply in the fixed flow: its first at each hop is one more sample."""
        if ttl < self._first or ttl > self.max_ttl:
            return
        hop = self.hop(ttl)
        if FIXED_FLOW in hop.reply or hop.ttl < self._ttl:
            return  # a settled hop stays as it was reported
        hop.reply[FIXED_FLOW] = responder
        self._record(hop, responder, ends_path)
        if ends_path and responder == self.target:
            hop.target_seen = True

    def answered(self, ttl: int, flow: int, responder: str, ends_path: bool) -> None:
        hop = self._hops.get(ttl)
        if hop is None or flow not in hop.waiting:
            return
        hop.waiting.discard(flow)
        hop.reply[flow] = responder
        self._record(hop, responder, ends_path)
        if ends_path and responder == self.target:
            hop.target_seen = True

    def _record(self, hop: _Hop, responder: str, ends_path: bool) -> None:
        if responder not in hop.order:
            hop.order.append(responder)
        if ends_path:
            hop.ends.add(responder)

    def lost(self, ttl: int, flow: int) -> list[tuple[int, int]]:
        """No reply in time; returns the retry to send, if any."""
        hop = self._hops.get(ttl)
        if hop is None or flow not in hop.waiting:
            return []
        hop.waiting.discard(flow)
        if hop.tries.get(flow, 0) <= RETRIES:
            out: list[tuple[int, int]] = []
            self._send(out, hop, flow)
            return out
        hop.reply[flow] = None
        return []

    # ------------------------------------------------------------ moving on
    def _advance(self) -> bool:
        """Settle the current hop and move to the next; False once the search is over."""
        hop = self.hop(self._ttl)
        hop.confident = (
            bool(hop.order) and not self.flows_ran_out and hop.replies >= self._need(hop)
        )
        if len(hop.order) > MAX_NEXT_HOPS:
            hop.confident = False
        self.finished.append(self._settled(hop))
        self._silent_run = 0 if hop.order else self._silent_run + 1
        forwarding = [address for address in hop.order if address not in hop.ends]
        if (
            (hop.order and not forwarding)
            or self._ttl >= self.max_ttl
            or self._silent_run >= self.max_unknown
            or self.flows_ran_out
        ):
            self.done = True
            return False
        self._ttl += 1
        return True

    def _settled(self, hop: _Hop) -> HopBranches:
        answered = hop.answered()
        links: list[tuple[str, str]] = []
        previous = self._hops.get(hop.ttl - 1)
        successors: dict[str, set[str]] = {}
        if previous is not None and len(previous.order) == 1 and previous.confident:
            # every flow here crossed the one interface before
            links = [(previous.order[0], address) for address in hop.order]
        elif previous is not None:
            for flow, responder in hop.reply.items():
                before = previous.reply.get(flow)
                link = (before, responder)
                if before is not None and responder is not None and link not in links:
                    links.append((before, responder))
                    successors.setdefault(before, set()).add(responder)
        return HopBranches(
            ttl=hop.ttl,
            interfaces=tuple(hop.order),
            flows=tuple(
                (address, tuple(sorted(answered.get(address, ())))) for address in hop.order
            ),
            links=tuple(links),
            probes=hop.probes,
            silent=sum(1 for responder in hop.reply.values() if responder is None),
            confident=hop.confident,
            per_packet=False,
            ends=tuple(address for address in hop.order if address in hop.ends),
            meshed=len(successors) > 1 and any(len(after) > 1 for after in successors.values()),
        )
