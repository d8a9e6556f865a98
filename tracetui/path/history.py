"""Per-hop history at falling resolution, in bounded memory.

A path monitor is left running because the trouble comes at 3 a.m.; by 9 the
question is "what happened at hop 4 between 02:47 and 03:12". So each hop keeps
its counts and RTT summaries in three tiers of buckets: 10 seconds for the last
hour, 1 minute for the last day, 10 minutes for the last 30 days (PingPlotter's
and RRDtool's falling resolution). Only the finest tier's open bucket is touched
per result, in plain floats, so a reply costs what it did with one tier; a
closed bucket rolls its sums into the next tier's open one.

Closed buckets are stored in parallel arrays of 20 bytes a bucket (counts as
16-bit integers until one needs more, means, deviations and extremes as 32-bit
floats; the finest tier's 24 also keep the log mean mtr's Gmean needs, which
past the hour is that of the buckets' means): 124 KB a hop once all 30 days are
held, 3.7 MB for 30 hops. The arrays grow with the
time the run has lasted, so a short run costs little. A span of N seconds sums
every bucket that holds part of it in the finest tier that reaches back to its
start: it covers at least the span, and at most one bucket more at each end.
Results count in the bucket of the time they settled (the model's clock, the
engine's), so a span's Snt is the probes settled in it.
"""

from __future__ import annotations

import math
from array import array
from typing import NamedTuple

from tracetui.path.stats import EMPTY_SUMMARY, RttSummary

_TINY = 1e-6
_WIDE = 0xFFFF
"""A 16-bit count's largest value: past it, that tier's counts become 32-bit."""


class Tier(NamedTuple):
    seconds: float
    """How long one bucket lasts."""
    buckets: int
    """How many buckets the tier keeps."""

    @property
    def span(self) -> float:
        return self.seconds * self.buckets


TIERS = (Tier(10.0, 360), Tier(60.0, 1440), Tier(600.0, 4320))
"""10 s for an hour, 1 min for a day, 10 min for 30 days; each tier's bucket is a whole
number of the tier before's, so a closed bucket falls into exactly one of the next."""
HOUR = TIERS[:1]
"""The last hour only: the agent's choice, whose long history Prometheus keeps."""
BUCKET_SECONDS = TIERS[0].seconds
MAX_WINDOW = TIERS[0].span
"""The longest span the finest tier holds (``--window`` goes no further)."""
LONGEST = TIERS[-1].span


BUCKET_CHOICES = (
    10,
    20,
    30,
    60,
    120,
    180,
    300,
    600,
    1200,
    1800,
    3600,
    7200,
    14400,
    21600,
    43200,
    86400,
)
"""Round bucket lengths (seconds) a timeline picks from: each a whole number of a tier's."""


def bucket_seconds(span: float, points: int) -> float:
    """The shortest round bucket length that fits ``span`` into at most ``points`` buckets
    (a span's ends fall inside buckets: one more than span / length)."""
    wanted = span / max(1, points - 1)
    return float(next((b for b in BUCKET_CHOICES if b >= wanted), BUCKET_CHOICES[-1]))


class WindowCounts(NamedTuple):
    sent: int
    received: int
    lost: int
    rtt: RttSummary
    """count, avg, best, worst, stdev and gmean over the span; last and jitter are
    copied from the whole run (they describe the latest samples anyway)."""


class Bucket(NamedTuple):
    """One point of a timeline: what settled from ``start`` for ``seconds``."""

    start: float
    """The engine's clock (seconds), as the model's ``now``."""
    seconds: float
    received: int
    lost: int
    avg: float
    best: float
    worst: float
    """The RTTs in milliseconds; 0.0 where nothing was received."""

    @property
    def sent(self) -> int:
        return self.received + self.lost

    @property
    def loss(self) -> float:
        """Lost of settled, in percent; NaN for a bucket with nothing settled."""
        sent = self.received + self.lost
        return 100.0 * self.lost / sent if sent else math.nan


class _Sums:
    """Open bucket, or a span being summed: plain floats, exact enough for any run."""

    __slots__ = ("index", "received", "lost", "total", "squares", "logs", "best", "worst")

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.received = 0
        self.lost = 0
        self.total = 0.0
        self.squares = 0.0
        self.logs = 0.0
        self.best = math.inf
        self.worst = 0.0

    def add(self, other: _Sums) -> None:
        self.received += other.received
        self.lost += other.lost
        self.total += other.total
        self.squares += other.squares
        self.logs += other.logs
        if other.best < self.best:
            self.best = other.best
        if other.worst > self.worst:
            self.worst = other.worst

    def counts(self, whole_run: RttSummary) -> WindowCounts:
        received = self.received
        sent = received + self.lost
        if not received:
            return WindowCounts(sent, 0, self.lost, EMPTY_SUMMARY)
        mean = self.total / received
        variance = (self.squares - received * mean * mean) / (received - 1) if received > 1 else 0.0
        rtt = whole_run._replace(
            count=received,
            avg=mean,
            best=self.best,
            worst=self.worst,
            stdev=math.sqrt(max(0.0, variance)),
            gmean=math.exp(self.logs / received),
        )
        return WindowCounts(sent, received, self.lost, rtt)

    def bucket(self, seconds: float) -> Bucket:
        received = self.received
        if not received:
            return Bucket(self.index * seconds, seconds, 0, self.lost, 0.0, 0.0, 0.0)
        return Bucket(
            self.index * seconds,
            seconds,
            received,
            self.lost,
            self.total / received,
            self.best,
            self.worst,
        )


class _Ring:
    """One tier's closed buckets in parallel arrays, a ring once full. Bucket ``i`` (its
    start is ``i * seconds`` on the engine's clock) sits at ``(i - base) % count``."""

    __slots__ = (
        "seconds",
        "count",
        "base",
        "end",
        "received",
        "lost",
        "mean",
        "m2",
        "logmean",
        "keeps_logs",
        "best",
        "worst",
        "open",
    )

    def __init__(self, tier: Tier, keeps_logs: bool = True) -> None:
        self.seconds = tier.seconds
        self.count = tier.buckets
        self.base = -1
        """Index of the first bucket ever stored (-1: none yet)."""
        self.end = -1
        """One past the newest stored index."""
        self.received = array("H")
        self.lost = array("H")
        self.mean = array("f")
        self.m2 = array("f")
        """Sum of squared deviations from the bucket's mean (no cancellation in 32 bits)."""
        self.logmean = array("f")
        """Mean of the logarithms (the geometric mean's); empty where not ``keeps_logs``."""
        self.keeps_logs = keeps_logs
        self.best = array("f")
        self.worst = array("f")
        self.open: _Sums | None = None
        """The bucket filling now (rolled up from the tier before, or from results)."""

    @property
    def first(self) -> int:
        """Index of the oldest bucket still held."""
        return max(self.base, self.end - self.count)

    def _columns(self) -> tuple[array, ...]:
        if not self.keeps_logs:
            return (self.received, self.lost, self.mean, self.m2, self.best, self.worst)
        return (self.received, self.lost, self.mean, self.m2, self.logmean, self.best, self.worst)

    def nbytes(self) -> int:
        return sum(column.itemsize * len(column) for column in self._columns())

    def _exact(self) -> None:
        """Copies of the columns without the room an array keeps to grow (5 % here)."""
        self.received, self.lost = self.received[:], self.lost[:]
        self.mean, self.m2, self.logmean = self.mean[:], self.m2[:], self.logmean[:]
        self.best, self.worst = self.best[:], self.worst[:]

    def store(self, sums: _Sums) -> None:
        index = sums.index
        if self.base < 0:
            self.base = self.end = index
        if index < self.end:
            return  # the clock went back: that bucket is written already
        # buckets nobody filled are empty, not missing: grow to hold them, then clear the
        # slots they reuse (at most a ring's worth, in one or two slices)
        columns = self._columns()
        grow = min(index - self.base + 1, self.count) - len(self.received)
        if grow > 0:
            for column in columns:
                column.frombytes(bytes(column.itemsize * grow))
            if len(self.received) == self.count:  # full for good: no room kept to grow
                self._exact()
                columns = self._columns()
        clear_from = max(self.end, index - self.count + 1)
        start = (clear_from - self.base) % self.count
        stop = start + index - clear_from + 1
        for low, high in ((start, min(stop, self.count)), (0, max(0, stop - self.count))):
            if high > low:
                for column in columns:
                    column[low:high] = array(column.typecode, bytes(column.itemsize * (high - low)))
        self.end = index + 1
        at = (index - self.base) % self.count
        received = sums.received
        if (received > _WIDE or sums.lost > _WIDE) and self.received.typecode == "H":
            self.received = array("I", self.received)
            self.lost = array("I", self.lost)
        self.received[at] = received
        self.lost[at] = sums.lost
        if received:
            mean = sums.total / received
            self.mean[at] = mean
            self.m2[at] = max(0.0, sums.squares - received * mean * mean)
            if self.keeps_logs:
                self.logmean[at] = sums.logs / received
            self.best[at] = sums.best
            self.worst[at] = sums.worst

    def closed(self, index: int) -> _Sums | None:
        """Bucket ``index`` as sums, or None where it is not held (or empty)."""
        if not self.first <= index < self.end:
            return None
        at = (index - self.base) % self.count
        received = self.received[at]
        sums = _Sums(index)
        sums.received = received
        sums.lost = self.lost[at]
        if received:
            mean = self.mean[at]
            sums.total = mean * received
            sums.squares = self.m2[at] + received * mean * mean
            if self.keeps_logs:
                sums.logs = self.logmean[at] * received
            else:  # the bucket's mean stands for its samples: Gmean's value past an hour
                sums.logs = math.log(mean if mean > _TINY else _TINY) * received
            sums.best = self.best[at]
            sums.worst = self.worst[at]
        return sums


class HopHistory:
    """Counts and RTT summaries of one hop (or one branch) over time, tier by tier."""

    __slots__ = ("_rings", "_fine", "_fine_end", "_since")

    def __init__(self, tiers: tuple[Tier, ...] = TIERS) -> None:
        # past the finest tier a bucket keeps no log mean (20 bytes, not 24): the month
        # of 30 hops stays under 4 MB, and mtr's Gmean of an old span is that of its
        # buckets' means
        self._rings = tuple(_Ring(tier, level == 0) for level, tier in enumerate(tiers))
        self._fine = _Sums(-1)
        """The finest tier's open bucket, the only one a result touches."""
        self._fine_end = -math.inf
        """When it ends: a result at or past it closes it first."""
        self._rings[0].open = self._fine
        self._since: float | None = None
        """The engine's clock at the first result."""

    def nbytes(self) -> int:
        """The closed buckets' arrays (the rest is a few objects, whatever the run)."""
        return sum(ring.nbytes() for ring in self._rings)

    def _advance(self, now: float) -> None:
        fine = self._rings[0]
        index = int(now // fine.seconds)
        if self._since is None:
            self._since = now
        if self._fine.index >= 0:
            if index < self._fine.index:
                return  # the clock went back: count it where it is
            self._close(0, self._fine)
        self._fine = fine.open = _Sums(index)
        self._fine_end = (index + 1) * fine.seconds

    def _close(self, level: int, sums: _Sums) -> None:
        """Store a finished bucket and roll it into the next tier's open bucket."""
        ring = self._rings[level]
        ring.store(sums)
        if level + 1 == len(self._rings):
            return
        upper = self._rings[level + 1]
        index = int(sums.index * ring.seconds // upper.seconds)
        above = upper.open
        if above is not None and above.index != index:
            if index < above.index:
                return
            self._close(level + 1, above)
            above = None
        if above is None:
            above = upper.open = _Sums(index)
        above.add(sums)

    def lost(self, now: float) -> None:
        if now >= self._fine_end:
            self._advance(now)
        self._fine.lost += 1

    def received(self, now: float, rtt: float) -> None:
        if now >= self._fine_end:
            self._advance(now)
        fine = self._fine
        fine.received += 1
        fine.total += rtt
        fine.squares += rtt * rtt
        fine.logs += math.log(rtt if rtt > _TINY else _TINY)
        if rtt < fine.best:
            fine.best = rtt
        if rtt > fine.worst:
            fine.worst = rtt

    def _level_for(self, start: float) -> int:
        """The finest tier that still holds ``start`` (the coarsest if none does)."""
        for level, ring in enumerate(self._rings):
            held_from = ring.first if ring.end >= 0 else -1
            if ring.end < 0 or held_from * ring.seconds <= start:
                return level
            if ring.end - ring.base < ring.count:
                return level  # not yet full: it holds everything since the start
        return len(self._rings) - 1

    def _pending(self, level: int) -> list[tuple[float, _Sums]]:
        """The open buckets of ``level`` and of every finer tier, with their tier's bucket
        length: their results are not yet in that level's ring."""
        return [
            (ring.seconds, ring.open)
            for ring in self._rings[: level + 1]
            if ring.open is not None and ring.open.index >= 0
        ]

    def between(self, start: float, end: float, whole_run: RttSummary) -> WindowCounts:
        """What settled from ``start`` to ``end`` (engine clock), from the buckets that hold
        part of it."""
        level = self._level_for(start)
        ring = self._rings[level]
        seconds = ring.seconds
        first = int(start // seconds)
        last = int(end // seconds) if end > start else first
        total = _Sums()
        if ring.end >= 0:
            for index in range(max(first, ring.first), min(last + 1, ring.end)):
                sums = ring.closed(index)
                if sums is not None:
                    total.add(sums)
        for open_seconds, sums in self._pending(level):
            if sums.index * open_seconds <= end and (sums.index + 1) * open_seconds > start:
                total.add(sums)
        return total.counts(whole_run)

    def held_since(self) -> float | None:
        """Where the history starts (engine clock): the first result, or the oldest bucket
        still held once the longest tier has dropped the first; None before any result."""
        if self._since is None:
            return None
        coarsest = self._rings[-1]
        if coarsest.end < 0:
            return self._since
        return max(self._since, coarsest.first * coarsest.seconds)

    def timeline(self, start: float, end: float, seconds: float) -> tuple[Bucket, ...]:
        """Buckets of ``seconds`` (a multiple of a tier's) from ``start`` to ``end``, each the
        sum of the finest held buckets inside it; empty ones included, so every hop's
        timeline over the same span has the same points."""
        level = self._level_for(start)
        while level + 1 < len(self._rings) and self._rings[level + 1].seconds <= seconds:
            level += 1
        ring = self._rings[level]
        step = max(1, math.ceil(seconds / ring.seconds - 1e-9))
        width = ring.seconds * step
        first = int(start // width)
        last = int(end // width)
        points = {index: _Sums(index) for index in range(first, last + 1)}
        if ring.end >= 0:  # read the arrays in place: a frame of the screen reads thousands
            received, lost, mean = ring.received, ring.lost, ring.mean
            best, worst = ring.best, ring.worst
            base, count = ring.base, ring.count
            low = max(first * step, ring.first)
            for index in range(low, min((last + 1) * step, ring.end)):
                at = (index - base) % count
                answered, missed = received[at], lost[at]
                if not (answered or missed):
                    continue
                point = points[index // step]
                point.lost += missed
                if answered:
                    point.received += answered
                    point.total += mean[at] * answered
                    point.best = min(point.best, best[at])
                    point.worst = max(point.worst, worst[at])
        for open_seconds, sums in self._pending(level):
            open_start = sums.index * open_seconds
            filling = points.get(int(open_start // width))
            if filling is not None:
                filling.add(sums)
        return tuple(points[index].bucket(width) for index in range(first, last + 1))
