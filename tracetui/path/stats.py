"""Streaming round-trip statistics: constant memory whatever the run length.

Mean and standard deviation use Welford's update, so a week of samples costs
the same as ten and does not lose precision to a growing sum of squares.
Jitter follows mtr: the absolute difference between consecutive round trips
(Jttr), its mean (Javg) and maximum (Jmax), and the RFC 3550 smoothed
inter-arrival jitter (Jint). Unlike mtr, the first sample has no jitter (mtr
counts the first RTT itself as jitter, which inflates Javg on short runs).
The geometric mean (mtr's Gmean) keeps a running sum of logarithms.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class RttSummary(NamedTuple):
    """An immutable view of :class:`RttStats`; every time is in milliseconds."""

    count: int  # type: ignore[assignment]  # mypy: shadows tuple.count
    last: float
    avg: float
    best: float
    worst: float
    stdev: float
    jitter: float
    javg: float
    jmax: float
    jint: float
    gmean: float = 0.0


EMPTY_SUMMARY = RttSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
_TINY = 1e-6


class RttStats:
    __slots__ = (
        "count",
        "mean",
        "_m2",
        "best",
        "worst",
        "last",
        "jitter",
        "javg",
        "jmax",
        "jint",
        "_log_sum",
    )

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.best = math.inf
        self.worst = 0.0
        self.last = 0.0
        self.jitter = 0.0
        self.javg = 0.0
        self.jmax = 0.0
        self.jint = 0.0
        self._log_sum = 0.0

    def add(self, rtt: float) -> None:
        count = self.count + 1
        self.count = count
        delta = rtt - self.mean
        self.mean += delta / count
        self._m2 += delta * (rtt - self.mean)
        self._log_sum += math.log(rtt if rtt > _TINY else _TINY)
        if rtt < self.best:
            self.best = rtt
        if rtt > self.worst:
            self.worst = rtt
        if count > 1:
            jitter = abs(rtt - self.last)
            self.jitter = jitter
            self.javg += (jitter - self.javg) / (count - 1)
            if jitter > self.jmax:
                self.jmax = jitter
            self.jint += (jitter - self.jint) / 16.0
        self.last = rtt

    @property
    def stdev(self) -> float:
        """Sample standard deviation, as mtr reports it."""
        return math.sqrt(self._m2 / (self.count - 1)) if self.count > 1 else 0.0

    def summary(self) -> RttSummary:
        if not self.count:
            return EMPTY_SUMMARY
        return RttSummary(
            self.count,
            self.last,
            self.mean,
            self.best,
            self.worst,
            self.stdev,
            self.jitter,
            self.javg,
            self.jmax,
            self.jint,
            math.exp(self._log_sum / self.count),
        )
