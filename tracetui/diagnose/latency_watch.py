"""Latency steps: a change of RTT that lasts and that the path carries on, never jitter.

Each hop keeps a reference: the median of its first ``REFERENCE_SAMPLES``
RTTs (usable from ``MIN_REFERENCE`` on), then fixed, so it does not follow
the samples it is compared with. A hop has moved when, of its last
``RECENT`` RTTs, at least ``MOVED_SHARE`` lie beyond half the threshold on
one side of the reference and their median is beyond the threshold
(``STEP_MS``, or ``STEP_SHARE`` of the reference): stationary jitter of any
size moves a median of twenty samples by chance no more than one sample in
a million. A step is logged at the first hop that moved when every later
hop that answers moved the same way by at least half as much (the
path carries it on); a hop that moved alone answers slower itself (a busy
control plane), which is not the path's latency. At the end of the path,
with no hop after it to carry it, the bar is higher. After a step, or when
a hop's router changes, the references from that hop on start afresh, so a
step is logged once and a step back is seen as one too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tracetui.path.snapshot import HopView, PathView, has_rtt

REFERENCE_SAMPLES = 120
MIN_REFERENCE = 40
RECENT = 20
MOVED_SHARE = 16
"""Of RECENT samples, beyond half the threshold from the reference."""
END_MOVED_SHARE = 18
"""The same at the end of the path, where no later hop can confirm the step."""
CARRIED_SHARE = 14
STEP_MS = 10.0
STEP_SHARE = 0.25
AFRESH = 10
"""After a step, the reference starts from this many rounds back (all after the step)."""

Add = Callable[[str, int | None, str], None]


def median(values: Sequence[float]) -> float:
    """(statistics.median pulls in decimal and fractions: start-up time for nothing.)"""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class _Reference:
    __slots__ = ("from_round", "responder", "samples", "taken_to", "value")

    def __init__(self, from_round: int, responder: str) -> None:
        self.from_round = from_round
        self.taken_to = from_round - 1
        self.responder = responder
        self.samples: list[float] = []
        self.value: float | None = None


class LatencyWatch:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._refs: dict[int, _Reference] = {}
        self._restarts: list[tuple[int, int]] = []
        """(first TTL, round): references from that TTL on count no earlier samples."""

    def afresh(self, ttls: set[int], rounds: int) -> None:
        """Start the references of these hops (and every later one) again from now on:
        their routers changed, and the path after them with them."""
        if not ttls:
            return
        first = min(ttls)
        for ttl in [t for t in self._refs if t >= first]:
            del self._refs[ttl]
        self._restarts = [*self._restarts[-7:], (first, rounds)]

    def _not_before(self, ttl: int) -> int:
        return max((r for first, r in self._restarts if ttl >= first), default=1)

    def update(self, view: PathView, hops: list[HopView], add: Add) -> None:
        answering = [h for h in hops if h.received and h.primary is not None]
        for hop in answering:
            self._gather(view, hop)
        moved = {h.ttl: self._moved(h) for h in answering}
        for index, hop in enumerate(answering):
            shift = moved[hop.ttl]
            if shift is None:
                continue
            delta, share = shift
            later = answering[index + 1 :]
            if later:
                carried = all(self._carried(h, delta) for h in later)
                if not carried:
                    continue
                where = f"from hop {hop.ttl} on"
            else:
                if share < END_MOVED_SHARE:
                    continue
                where = f"at hop {hop.ttl}, the end of the path"
            sign = "+" if delta > 0 else "-"
            add("latency-step", hop.ttl, f"median RTT {sign}{abs(delta):.1f} ms {where}")
            for moved_hop in answering[index:]:
                primary = moved_hop.primary
                assert primary is not None
                self._refs[moved_hop.ttl] = _Reference(view.rounds - AFRESH + 1, primary.address)
                self._gather(view, moved_hop)
            return

    def _gather(self, view: PathView, hop: HopView) -> None:
        """Add the hop's samples from before its recent window to its reference."""
        primary = hop.primary
        assert primary is not None
        ref = self._refs.get(hop.ttl)
        if ref is None or ref.responder != primary.address:
            start = view.rounds if ref is not None else self._not_before(hop.ttl)
            ref = self._refs[hop.ttl] = _Reference(start, primary.address)
        if ref.value is not None and len(ref.samples) >= REFERENCE_SAMPLES:
            return
        history = hop.history
        first_round = view.rounds - len(history) + 1
        upto = view.rounds - RECENT
        begin = max(ref.taken_to + 1, ref.from_round, first_round)
        for round_ in range(begin, upto + 1):
            sample = history[round_ - first_round]
            if has_rtt(sample) and len(ref.samples) < REFERENCE_SAMPLES:
                ref.samples.append(sample)
        ref.taken_to = max(ref.taken_to, upto)
        if len(ref.samples) >= MIN_REFERENCE:
            ref.value = median(ref.samples)

    def _recent(self, hop: HopView) -> list[float]:
        return [s for s in hop.history[-RECENT:] if has_rtt(s)]

    def _moved(self, hop: HopView) -> tuple[float, int] | None:
        """(shift of the median in ms, samples beyond half the threshold), if it moved."""
        ref = self._refs.get(hop.ttl)
        recent = self._recent(hop)
        if ref is None or ref.value is None or len(recent) < MOVED_SHARE:
            return None
        threshold = max(STEP_MS, STEP_SHARE * ref.value)
        up = sum(1 for s in recent if s > ref.value + threshold / 2)
        down = sum(1 for s in recent if s < ref.value - threshold / 2)
        delta = median(recent) - ref.value
        if up >= MOVED_SHARE and delta >= threshold:
            return delta, up
        if down >= MOVED_SHARE and -delta >= threshold:
            return delta, down
        return None

    def _carried(self, hop: HopView, delta: float) -> bool:
        """Whether a later hop moved the same way by at least half of ``delta``."""
        ref = self._refs.get(hop.ttl)
        recent = self._recent(hop)
        if ref is None or ref.value is None or len(recent) < CARRIED_SHARE:
            return False
        half = delta / 2
        if delta > 0:
            beyond = sum(1 for s in recent if s > ref.value + half / 2)
            return beyond >= CARRIED_SHARE and median(recent) - ref.value >= half
        beyond = sum(1 for s in recent if s < ref.value + half / 2)
        return beyond >= CARRIED_SHARE and median(recent) - ref.value <= half
