"""What changed on the path, and when: a bounded log built by comparing snapshots.

Pure: each update gets a snapshot, the verdicts shown for it, their
evidence and the time; nothing here reads a clock. Only changes are logged,
each once, so a steady path logs nothing however long it runs:

- routers appearing, going, coming back and flapping at a hop
  (:mod:`tracetui.diagnose.route_watch`);
- the path getting longer or shorter, once the new length has held for
  ``CONFIRM_ROUNDS`` rounds;
- the destination going dark (a run of lost probes its own loss rate cannot
  explain: see :func:`tracetui.diagnose.evidence.dark_run`) and answering
  again;
- a loss episode: it starts once one hop has been shown as where loss
  begins for ``CONFIRM_ROUNDS`` rounds and ``CONFIRM_SECONDS`` (an origin that moves while the
  evidence grows is not yet a place to log), and ends when every hop from
  there on is shown without loss (``pending`` is not an end: it is not
  knowing); it survives a reset or a method switch,
  which start the verdicts afresh but do not change the network;
- a latency step (:mod:`tracetui.diagnose.latency_watch`);
- a reset or a method switch the user asked for.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime

from tracetui.diagnose.confidence import ALPHA_KEEP, significantly_higher
from tracetui.diagnose.evidence import Evidence, dark_at_the_end
from tracetui.diagnose.latency_watch import LatencyWatch
from tracetui.diagnose.route_watch import CONFIRM_ROUNDS, Add, RouteWatch
from tracetui.path.diagnosis import HopVerdict, PathEvent, Verdict
from tracetui.path.snapshot import HopView, PathView

MAX_EVENTS = 500
CONFIRM_SECONDS = 10.0
"""Where loss begins must also hold this long (at ``-i 0.1``, 10 rounds are one second)."""
_LOSS = frozenset({Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED})
_UNSURE = frozenset({Verdict.PENDING, *_LOSS})


class _Episode:
    __slots__ = ("origin", "peak", "level")

    def __init__(self, origin: int, peak: float, level: tuple[int, int]) -> None:
        self.origin = origin
        self.peak = peak
        self.level = level
        """(lost, settled) from the origin on when it was confirmed: what an end must be
        clearly below."""


class EventTracker:
    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self.log: deque[PathEvent] = deque(maxlen=max_events)
        self._episode: _Episode | None = None
        self._candidate: tuple[int, int] | None = None
        """Where loss begins, and since which round, while it waits to be confirmed."""
        self._routes = RouteWatch()
        self._latency = LatencyWatch()
        self.reset()

    def reset(self) -> None:
        """Forget the path (a reset or method switch); the log and an open loss episode
        are kept: the network did not change."""
        self._routes.reset()
        self._latency.reset()
        self._length: int | None = None
        self._length_since = 0
        """The round the current length was first seen."""
        self._new_length: tuple[int, int] | None = None
        self._dest_dark = False
        self._dest_answered = False
        self._candidate = None

    def restarted(self, at: datetime, kind: str, message: str) -> PathEvent:
        return self.note(at, kind, None, message)

    def note(self, at: datetime, kind: str, ttl: int | None, message: str) -> PathEvent:
        """Log an event found elsewhere (a restart, a branch's verdict)."""
        return self.add(PathEvent(at, kind, ttl, message))

    def add(self, event: PathEvent) -> PathEvent:
        """Log an event made elsewhere (an alert)."""
        self.log.append(event)
        return event

    def update(
        self,
        view: PathView,
        verdicts: dict[int, HopVerdict],
        evidence: Evidence,
        at: datetime,
    ) -> list[PathEvent]:
        """Compare with the last snapshot; return the events this one brings (also logged)."""
        events: list[PathEvent] = []

        def add(kind: str, ttl: int | None, message: str) -> None:
            event = PathEvent(at, kind, ttl, message)
            events.append(event)
            self.log.append(event)

        if not view.discovered:
            return events
        hops = _on_the_path(view)
        changed = self._routes.update(view, hops, add)
        self._latency.afresh(changed, view.rounds)
        self._path_length(view, add)
        self._destination(view, add)
        self._loss_episodes(view, verdicts, evidence, add)
        self._latency.update(view, hops, add)
        return events

    def _path_length(self, view: PathView, add: Add) -> None:
        dest = view.dest_ttl
        if dest is None:
            return
        if self._length is None:
            self._length, self._length_since = dest, view.rounds
        if dest == self._length:
            self._new_length = None
            return
        if self._new_length is None or self._new_length[0] != dest:
            self._new_length = (dest, view.rounds)
            return
        if view.rounds - self._new_length[1] < CONFIRM_ROUNDS:
            return
        since = self._new_length[1]
        held = since - self._length_since
        old, self._length, self._new_length, self._length_since = self._length, dest, None, since
        if held < CONFIRM_ROUNDS:
            # the first length seen had not held: the target's first replies were lost,
            # and it answered a TTL further on; that is the path being found, not changing
            return
        self._latency.afresh({min(old, dest)}, view.rounds)
        kind = "path-longer" if dest > old else "path-shorter"
        add(kind, dest, f"the path is now {dest} hops long (was {old})")

    def _destination(self, view: PathView, add: Add) -> None:
        hop = next((h for h in view.hops if h.is_destination), None)
        if hop is None:
            return
        dark = dark_at_the_end(view, hop) > 0
        if dark and not self._dest_dark and self._dest_answered:
            add("destination-lost", hop.ttl, f"the destination stopped answering (hop {hop.ttl})")
        elif not dark and self._dest_dark:
            add("destination-back", hop.ttl, "the destination answers again")
        self._dest_dark = dark
        self._dest_answered = self._dest_answered or hop.received > 0

    def _loss_episodes(
        self, view: PathView, verdicts: dict[int, HopVerdict], evidence: Evidence, add: Add
    ) -> None:
        """One episode while loss begins somewhere on the path; its end gives the peak.

        Where loss begins may move while the evidence grows (from hop 5 to hop 4,
        say, when hop 4 happened to lose nothing in its first 40 probes): that is
        the estimate sharpening, not the network changing. So an episode starts
        only once one hop has been the origin for ``CONFIRM_ROUNDS`` rounds, and a
        later move within it is no event of its own (the end names the latest).
        """
        on_path = [h for h in view.hops if h.on_path]
        origin = next(
            (h for h in on_path if (v := verdicts.get(h.ttl)) and v.verdict is Verdict.LOSS_ORIGIN),
            None,
        )
        end = next((h for h in on_path if h.is_destination), None) or origin
        lost, settled = evidence.of(end) if end is not None else (0, 0)
        share = 100.0 * lost / settled if settled else 0.0
        episode = self._episode
        if origin is not None:
            if episode is not None:
                episode.origin = origin.ttl
                episode.peak = max(episode.peak, share)
                return
            candidate = self._candidate
            if candidate is None or candidate[0] != origin.ttl:
                self._candidate = candidate = (origin.ttl, view.rounds)
            interval = view.info.interval
            confirm = (
                max(CONFIRM_ROUNDS, math.ceil(CONFIRM_SECONDS / interval))
                if interval > 0
                else CONFIRM_ROUNDS
            )
            if view.rounds - candidate[1] >= confirm or view.finished:
                level = _pooled(on_path, origin.ttl, evidence, verdicts)
                self._episode = _Episode(origin.ttl, share, level)
                self._candidate = None
                add("loss-start", origin.ttl, f"loss begins at hop {origin.ttl}: {share:.1f}%")
            return
        self._candidate = None
        if episode is None:
            return
        after = [h for h in on_path if h.ttl >= episode.origin]
        unsure = any((v := verdicts.get(h.ttl)) is not None and v.verdict in _UNSURE for h in after)
        if unsure or not after:
            return
        # "ok" everywhere may be a few clean rounds (after a reset, between bursts): the
        # end needs the hops from the origin on clearly below the episode's loss
        now = _pooled(after, 0, evidence, verdicts)
        if not significantly_higher(*episode.level, *now, ALPHA_KEEP):
            return
        self._episode = None
        add(
            "loss-end",
            episode.origin,
            f"the loss that began at hop {episode.origin} ended (peak {episode.peak:.1f}%)",
        )


def _pooled(
    hops: list[HopView], first: int, evidence: Evidence, verdicts: dict[int, HopVerdict]
) -> tuple[int, int]:
    """(lost, settled) of the hops from TTL ``first`` on that answer and do not limit."""
    lost = settled = 0
    for hop in hops:
        verdict = verdicts.get(hop.ttl)
        if verdict is not None and verdict.verdict is Verdict.RATE_LIMITED:
            continue
        if hop.ttl >= first and hop.received:
            hop_lost, hop_settled = evidence.of(hop)
            lost += hop_lost
            settled += hop_settled
    return lost, settled


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
        if hop.is_destination and hop.primary is not None and hop.primary.current:
            break
    return out
