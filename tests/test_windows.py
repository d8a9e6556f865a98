"""Statistics over a recent window: exact to a bucket, bounded whatever the run length."""

from __future__ import annotations

import math

import pytest
from simpaths import Run, chain, scenario, with_link

from tracetui.path.stats import RttStats
from tracetui.path.windows import BUCKET_SECONDS, MAX_WINDOW, RecentBuckets


def test_a_window_sums_the_buckets_that_started_in_it():
    buckets = RecentBuckets()
    whole = RttStats()
    for second in range(120):
        if second % 10 == 9:
            buckets.lost(second)
        else:
            rtt = 10.0 if second < 60 else 20.0
            buckets.received(second, rtt)
            whole.add(rtt)
    last_minute = buckets.over(120.0, 60, whole.summary())  # exactly buckets 60-119
    assert (last_minute.sent, last_minute.received, last_minute.lost) == (60, 54, 6)
    assert last_minute.rtt.avg == pytest.approx(20.0) and last_minute.rtt.stdev == 0.0
    assert last_minute.rtt.gmean == pytest.approx(20.0)
    assert last_minute.rtt.last == whole.summary().last  # the newest RTT is the newest
    straddling = buckets.over(125.0, 60, whole.summary())  # 65-125 s: buckets 60 on
    assert straddling.sent == 60  # never less than the window; here the buckets match
    both = buckets.over(120.0, 120, whole.summary())
    assert both.rtt.avg == pytest.approx(15.0) and both.rtt.best == 10.0 and both.rtt.worst == 20.0
    assert both.rtt.gmean == pytest.approx(math.sqrt(200.0))


def test_an_empty_window_has_no_rtt():
    buckets = RecentBuckets()
    buckets.lost(0.0)
    counts = buckets.over(1000.0, 60, RttStats().summary())
    assert (counts.sent, counts.received, counts.lost, counts.rtt.count) == (0, 0, 0, 0)


def test_buckets_are_bounded_to_the_longest_window():
    buckets = RecentBuckets()
    for second in range(0, 7 * 24 * 3600, 5):  # a week, a probe every 5 s
        buckets.lost(second)
    assert len(buckets) == MAX_WINDOW / BUCKET_SECONDS + 1
    hour = buckets.over(7 * 24 * 3600.0, MAX_WINDOW, RttStats().summary())
    assert hour.sent == hour.lost == MAX_WINDOW / 5  # the ring kept the newest hour, in order


def test_the_model_windows_hop_counts_and_keeps_the_whole_run_otherwise():
    path = with_link(chain(4), 2, loss=0.1)
    run = Run(scenario(path), count=300, interval=1.0, timeout=1.0, seed=3)
    run.run()
    whole = run.model.snapshot()
    minute = run.model.snapshot(window=60)
    assert minute.window == 60 and whole.window is None
    assert whole.hops[0].sent == 300 and 60 <= minute.hops[0].sent <= 70
    for hop_all, hop_minute in zip(whole.hops, minute.hops, strict=True):
        assert hop_minute.received <= hop_all.received
        assert hop_minute.history == hop_all.history  # the history strip is per round anyway
