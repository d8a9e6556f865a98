"""Per-hop statistics over a recent time window, in bounded memory.

Each hop keeps counts and RTT sums in 10-second buckets for the last hour: a
week-long run holds the same 360 buckets per hop as a one-hour run. A window
of N seconds sums every bucket that holds part of it, so it covers at least
the last N seconds and at most 10 more. Results count in the bucket of the
time they settled (the model's clock is the engine's, carried by RoundStarted),
and a window's Snt is the probes settled in it: one still in flight, or called
off past the end of the path, is in no window.
"""

from __future__ import annotations

import math
from array import array
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


class RecentBuckets:
    """The last hour of one hop in ten-second buckets, held in parallel arrays (a ring
    once full): about 50 bytes a bucket where a bucket object with float fields took
    about 220, which at ten thousand targets of 15 hops was 12 GB an hour in."""

    __slots__ = (
        "_index",
        "_received",
        "_lost",
        "_total",
        "_squares",
        "_logs",
        "_best",
        "_worst",
        "_newest",
    )

    def __init__(self) -> None:
        self._index = array("q")
        self._received = array("I")
        self._lost = array("I")
        self._total = array("d")
        self._squares = array("d")
        self._logs = array("d")
        self._best = array("d")
        self._worst = array("d")
        self._newest = -1
        """Position of the newest bucket (-1: none yet)."""

    def __len__(self) -> int:
        return len(self._index)

    def _at(self, now: float) -> int:
        index = int(now // BUCKET_SECONDS)
        newest = self._newest
        if newest >= 0 and self._index[newest] == index:
            return newest
        if len(self._index) < _MAX_BUCKETS:
            for column, empty in (
                (self._index, index),
                (self._received, 0),
                (self._lost, 0),
                (self._total, 0.0),
                (self._squares, 0.0),
                (self._logs, 0.0),
                (self._best, math.inf),
                (self._worst, 0.0),
            ):
                column.append(empty)  # type: ignore[arg-type]
            newest = len(self._index) - 1
        else:  # full: the oldest bucket becomes the newest
            newest = (newest + 1) % _MAX_BUCKETS
            self._index[newest] = index
            self._received[newest] = self._lost[newest] = 0
            self._total[newest] = self._squares[newest] = self._logs[newest] = 0.0
            self._best[newest] = math.inf
            self._worst[newest] = 0.0
        self._newest = newest
        return newest

    def lost(self, now: float) -> None:
        self._lost[self._at(now)] += 1

    def received(self, now: float, rtt: float) -> None:
        at = self._at(now)
        self._received[at] += 1
        self._total[at] += rtt
        self._squares[at] += rtt * rtt
        self._logs[at] += math.log(rtt if rtt > _TINY else _TINY)
        if rtt < self._best[at]:
            self._best[at] = rtt
        if rtt > self._worst[at]:
            self._worst[at] = rtt

    def over(self, now: float, seconds: float, whole_run: RttSummary) -> WindowCounts:
        """Every bucket that holds part of the last ``seconds``: the window, and up to one
        bucket (10 s) more at its old end, never less."""
        first = int((now - seconds) // BUCKET_SECONDS)
        received = lost = 0
        total = squares = logs = 0.0
        best, worst = math.inf, 0.0
        count = len(self._index)
        at = self._newest
        for _ in range(count):  # newest first, back to the window's start
            if self._index[at] < first:
                break
            received += self._received[at]
            lost += self._lost[at]
            total += self._total[at]
            squares += self._squares[at]
            logs += self._logs[at]
            best = min(best, self._best[at])
            worst = max(worst, self._worst[at])
            at = (at - 1) % count
        sent = received + lost  # a window holds probes by when they settled
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
