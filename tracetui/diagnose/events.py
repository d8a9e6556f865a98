"""What changed on the path, and when: a bounded log built by comparing snapshots.

Pure: each update gets a snapshot, the verdicts shown for it, and the time;
nothing here reads a clock. Only changes are logged, so a steady path logs
nothing however long it runs:

- a responder appears at a hop that has answered for ``SETTLE_ROUNDS`` rounds
  (earlier, load-balanced twins are still showing up), or stops answering
  while the hop still answers: a route change. The target answering at more
  TTLs is the path getting shorter, logged as such;
- the path gets longer or shorter (where it ends moves);
- the destination stops answering (``DARK_ROUNDS`` probes in a row lost after
  it had answered) or answers again;
- a loss episode starts (some hop becomes ``loss-origin``) or ends (none is
  any more), with the peak loss seen at the destination meanwhile;
- a latency step: at a hop and every later hop that answers, 8 of the last
  ``STEP_ROUNDS`` RTTs moved the same way by at least ``STEP_MS`` and
  ``STEP_SHARE`` of the hop's reference (the median of its first
  ``REFERENCE_ROUNDS`` rounds): "median RTT +20.0 ms from hop 5 on". The
  references then move to the new level, so a step is logged once.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from tracetui.diagnose.diagnosis import HopVerdict, PathEvent, Verdict
from tracetui.diagnose.verdicts import evidence
from tracetui.labels import host_label
from tracetui.snapshot import HopView, PathView, has_rtt, is_lost

MAX_EVENTS = 500
SETTLE_ROUNDS = 10
DARK_ROUNDS = 5
STEP_ROUNDS = 10
REFERENCE_ROUNDS = 30
STEP_MS = 5.0
STEP_SHARE = 0.25
STEP_SHARE_OF_ROUNDS = 8
"""Of the last STEP_ROUNDS samples, this many must have moved: a step, not a spike."""


def _median(values: list[float]) -> float:
    """(statistics.median pulls in decimal and fractions: start-up time for nothing.)"""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _recent_median(hop: HopView, rounds: int) -> float | None:
    samples = [s for s in hop.history[-rounds:] if has_rtt(s)]
    return _median(samples) if len(samples) >= rounds // 2 else None


class EventTracker:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.log: deque[PathEvent] = deque(maxlen=max_events)
        self.reset()

    def reset(self) -> None:
        """Forget the path (a reset or method switch); the log itself is kept."""
        self._responders: dict[int, set[str]] = {}
        self._answering_since: dict[int, int] = {}
        self._current: dict[int, set[str]] = {}
        self._dest_ttl: int | None = None
        self._settled = False
        self._dest_dark = False
        self._dest_answered = False
        self._episode: tuple[int, float] | None = None
        self._reference: dict[int, float] = {}

    def update(
        self, view: PathView, verdicts: dict[int, HopVerdict], at: datetime
    ) -> list[PathEvent]:
        """Compare with the last snapshot; return the events this one brings (also logged)."""
        events: list[PathEvent] = []

        def add(kind: str, ttl: int | None, message: str) -> None:
            event = PathEvent(at, kind, ttl, message)
            events.append(event)
            self.log.append(event)

        if not view.discovered:
            return events
        self._route_changes(view, add)
        self._path_length(view, add)
        self._destination(view, add)
        self._loss_episodes(view, verdicts, add)
        self._latency_step(view, add)
        self._settled = True
        return events

    def _route_changes(self, view: PathView, add) -> None:
        for hop in _on_the_path(view):
            seen = self._responders.setdefault(hop.ttl, set())
            current = {r.address for r in hop.responders if r.current}
            if hop.responders:
                self._answering_since.setdefault(hop.ttl, view.rounds)
            settled = view.rounds - self._answering_since.get(hop.ttl, view.rounds) >= SETTLE_ROUNDS
            for responder in hop.responders:
                if responder.address not in seen:
                    if settled and responder.address != view.info.target:
                        add(
                            "responder-new",
                            hop.ttl,
                            f"hop {hop.ttl}: {host_label(responder, True)} answers now",
                        )
                    seen.add(responder.address)
            before = self._current.get(hop.ttl, set())
            if current:
                for address in sorted(before - current):
                    add("responder-gone", hop.ttl, f"hop {hop.ttl}: {address} stopped answering")
                self._current[hop.ttl] = current

    def _path_length(self, view: PathView, add) -> None:
        dest = view.dest_ttl
        old = self._dest_ttl
        if self._settled and dest is not None and old is not None and dest != old:
            kind = "path-longer" if dest > old else "path-shorter"
            add(kind, dest, f"the path is now {dest} hops long (was {old})")
        if dest is not None:
            self._dest_ttl = dest

    def _destination(self, view: PathView, add) -> None:
        hop = next((h for h in view.hops if h.is_destination), None)
        if hop is None:
            return
        tail = [s for s in hop.history if is_lost(s) or has_rtt(s)][-DARK_ROUNDS:]
        dark = len(tail) == DARK_ROUNDS and all(is_lost(s) for s in tail)
        if dark and not self._dest_dark and self._dest_answered:
            add("destination-lost", hop.ttl, f"the destination stopped answering (hop {hop.ttl})")
        elif not dark and self._dest_dark:
            add("destination-back", hop.ttl, "the destination answers again")
        self._dest_dark = dark
        self._dest_answered = self._dest_answered or any(has_rtt(s) for s in tail)

    def _loss_episodes(self, view: PathView, verdicts: dict[int, HopVerdict], add) -> None:
        """One episode while any hop is shown as where loss begins; its end gives the peak.

        Where an episode's loss begins may still move while the evidence grows
        (from hop 6 to hop 4, say): that is the estimate sharpening, not the
        network changing, so it is not an event of its own.
        """
        origin = next(
            (
                h
                for h in view.hops
                if (v := verdicts.get(h.ttl)) and v.verdict is Verdict.LOSS_ORIGIN
            ),
            None,
        )
        end = next((h for h in view.hops if h.is_destination), None)
        reference = end or origin
        lost, settled = evidence(reference) if reference is not None else (0, 0)
        share = 100.0 * lost / settled if settled else 0.0
        if origin is not None and self._episode is None:
            self._episode = (origin.ttl, share)
            add("loss-start", origin.ttl, f"loss begins at hop {origin.ttl}: {share:.1f}%")
        elif origin is not None and self._episode is not None:
            self._episode = (self._episode[0], max(self._episode[1], share))
        elif origin is None and self._episode is not None:
            ttl, peak = self._episode
            self._episode = None
            add("loss-end", ttl, f"the loss that began at hop {ttl} ended (peak {peak:.1f}%)")

    def _latency_step(self, view: PathView, add) -> None:
        answering = [h for h in _on_the_path(view) if h.received]
        for hop in answering:
            if hop.ttl not in self._reference and len(hop.history) >= REFERENCE_ROUNDS:
                reference = _recent_median(hop, REFERENCE_ROUNDS)
                if reference is not None:
                    self._reference[hop.ttl] = reference
        shifts = {h.ttl: self._shift(h) for h in answering}
        for index, hop in enumerate(answering):
            delta = shifts[hop.ttl]
            if delta is None:
                continue
            later = [shifts[h.ttl] for h in answering[index + 1 :]]
            if any(moved is not None and moved * delta <= 0 for moved in later):
                continue
            sign = "+" if delta > 0 else "-"
            add(
                "latency-step",
                hop.ttl,
                f"median RTT {sign}{abs(delta):.1f} ms from hop {hop.ttl} on",
            )
            for moved in answering[index:]:
                recent = _recent_median(moved, STEP_ROUNDS)
                if recent is not None:
                    self._reference[moved.ttl] = recent
            return

    def _shift(self, hop: HopView) -> float | None:
        """How far this hop's RTT moved from its reference, if it moved for good."""
        reference = self._reference.get(hop.ttl)
        samples = [s for s in hop.history[-STEP_ROUNDS:] if has_rtt(s)]
        if reference is None or len(samples) < STEP_SHARE_OF_ROUNDS:
            return None
        threshold = max(STEP_MS, STEP_SHARE * reference)
        up = sum(1 for s in samples if s - reference >= threshold)
        down = sum(1 for s in samples if reference - s >= threshold)
        if max(up, down) < STEP_SHARE_OF_ROUNDS:
            return None
        return _median(samples) - reference


def _on_the_path(view: PathView) -> list[HopView]:
    """Hops on the path up to the first TTL where the target answers now.

    When the path gets shorter, the target answers at the TTLs beyond its new
    place for a few rounds before they leave the path: changes seen there are
    the path length's, and logged as that.
    """
    out = []
    for hop in view.hops:
        if not hop.on_path:
            continue
        out.append(hop)
        if (
            hop.primary is not None
            and hop.primary.current
            and hop.primary.address == view.info.target
        ):
            break
    return out
