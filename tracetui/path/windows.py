"""Per-hop statistics over a recent time window, in bounded memory.

Each hop keeps counts and RTT sums in 10-second buckets for the last hour: a
week-long run holds the same 360 buckets per hop as a one-hour run. A window
of N seconds sums every bucket that holds part of it, so it covers at least
the last N seconds and at most 10 more. Results count in the bucket of the
time they settled (the model's clock is the engine's, carried by RoundStarted).
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

from tracetui.path.stats import EMPTY_SUMMARY, RttSummary

BUCKET_SECONDS = 10.0
MAX_WINDOW = 3600.0
_MAX_BUCKETS = int(MAX_WINDOW / BUCKET_SECONDS) + 1
_TINY = 1e-6


class WindowCounts(NamedTuple):
    sent: int
    received: int
    lost: int
    rtt: RttSummary
    """count, avg, best, worst, stdev and gmean over the window; last and jitter are
    copied from the whole run (they describe the latest samples anyway)."""


class _Bucket:
    __slots__ = ("index", "sent", "received", "lost", "total", "squares", "logs", "best", "worst")

    def __init__(self, index: int) -> None:
        self.index = index
        self.sent = self.received = self.lost = 0
        self.total = self.squares = self.logs = 0.0
        self.best = math.inf
        self.worst = 0.0


class RecentBuckets:
    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: deque[_Bucket] = deque(maxlen=_MAX_BUCKETS)

    def _at(self, now: float) -> _Bucket:
        index = int(now // BUCKET_SECONDS)
        buckets = self._buckets
        if not buckets or buckets[-1].index != index:
            buckets.append(_Bucket(index))
        return buckets[-1]

    def sent(self, now: float) -> None:
        self._at(now).sent += 1

    def lost(self, now: float) -> None:
        self._at(now).lost += 1

    def received(self, now: float, rtt: float) -> None:
        bucket = self._at(now)
        bucket.received += 1
        bucket.total += rtt
        bucket.squares += rtt * rtt
        bucket.logs += math.log(rtt if rtt > _TINY else _TINY)
        if rtt < bucket.best:
            bucket.best = rtt
        if rtt > bucket.worst:
            bucket.worst = rtt

    def over(self, now: float, seconds: float, whole_run: RttSummary) -> WindowCounts:
        """Every bucket that holds part of the last ``seconds``: the window, and up to one
        bucket (10 s) more at its old end, never less."""
        first = int((now - seconds) // BUCKET_SECONDS)
        sent = received = lost = 0
        total = squares = logs = 0.0
        best, worst = math.inf, 0.0
        for bucket in reversed(self._buckets):
            if bucket.index < first:
                break
            sent += bucket.sent
            received += bucket.received
            lost += bucket.lost
            total += bucket.total
            squares += bucket.squares
            logs += bucket.logs
            best = min(best, bucket.best)
            worst = max(worst, bucket.worst)
        if not received:
            return WindowCounts(sent, 0, lost, EMPTY_SUMMARY)
        mean = total / received
        variance = (squares - received * mean * mean) / (received - 1) if received > 1 else 0.0
        rtt = whole_run._replace(
            count=received,
            avg=mean,
            best=best,
            worst=worst,
            stdev=math.sqrt(max(0.0, variance)),
            gmean=math.exp(logs / received),
        )
        return WindowCounts(sent, received, lost, rtt)
