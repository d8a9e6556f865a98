"""A hop's history: exact to a bucket at every tier, bounded whatever the run length.

Ground truth is the samples themselves, kept beside the history in the same test; spans
are chosen on bucket boundaries where exactness is claimed, and checked to cover at least
the span (at most one bucket more at each end) where they are not.
"""

from __future__ import annotations

import gc
import math
import random
import sys
import types
from datetime import UTC, datetime

import pytest
from simpaths import Run, chain, scenario, with_link

from tracetui.path.history import HOUR, MAX_WINDOW, TIERS, HopHistory
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.path.stats import RttStats
from tracetui.probe.events import ProbeLost, ProbeReplied, ProbeSent, RoundStarted
from tracetui.probe.types import Family, ProbeMethod, ReplyKind

DAY = 86400.0
WHOLE = RttStats().summary()


def _feed(history: HopHistory, samples: list[tuple[float, float | None]]) -> None:
    for at, rtt in samples:
        if rtt is None:
            history.lost(at)
        else:
            history.received(at, rtt)


def _truth(samples: list[tuple[float, float | None]], start: float, end: float):
    inside = [rtt for at, rtt in samples if start <= at < end]
    rtts = [r for r in inside if r is not None]
    return len(inside), len(rtts), rtts


def test_a_window_sums_the_buckets_that_started_in_it():
    history = HopHistory()
    whole = RttStats()
    for second in range(120):
        if second % 10 == 9:
            history.lost(second)
        else:
            rtt = 10.0 if second < 60 else 20.0
            history.received(second, rtt)
            whole.add(rtt)
    last_minute = history.between(60.0, 119.9, whole.summary())  # exactly buckets 60-119
    assert (last_minute.sent, last_minute.received, last_minute.lost) == (60, 54, 6)
    assert last_minute.rtt.avg == pytest.approx(20.0) and last_minute.rtt.stdev == 0.0
    assert last_minute.rtt.gmean == pytest.approx(20.0)
    assert last_minute.rtt.last == whole.summary().last  # the newest RTT is the newest
    both = history.between(-0.1, 119.9, whole.summary())
    assert both.rtt.avg == pytest.approx(15.0) and both.rtt.best == 10.0 and both.rtt.worst == 20.0
    assert both.rtt.gmean == pytest.approx(math.sqrt(200.0), rel=1e-6)
    assert both.rtt.stdev == pytest.approx(stdev_of([10.0] * 54 + [20.0] * 54), rel=1e-5)


def stdev_of(values: list[float]) -> float:
    stats = RttStats()
    for value in values:
        stats.add(value)
    return stats.stdev


def test_an_empty_span_has_no_rtt():
    history = HopHistory()
    history.lost(0.0)
    counts = history.between(940.0, 1000.0, WHOLE)
    assert (counts.sent, counts.received, counts.lost, counts.rtt.count) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("days", "ago", "length", "bucket"),
    [
        (0.5, 1800.0, 600.0, 10.0),  # within the hour: 10-second buckets
        (2.0, 5 * 3600.0, 3600.0, 60.0),  # five hours back: 1-minute buckets
        (31.0, 10 * DAY, DAY, 600.0),  # ten days back: 10-minute buckets
    ],
)
def test_each_tier_gives_the_exact_counts_of_a_span_on_its_buckets(days, ago, length, bucket):
    rng = random.Random(7)
    samples: list[tuple[float, float | None]] = []
    at = 0.0
    while at < days * DAY:  # one probe every 5 to 25 s, 10 % lost, RTTs 5 to 50 ms
        samples.append((at, None if rng.random() < 0.1 else rng.uniform(5.0, 50.0)))
        at += rng.uniform(5.0, 25.0)
    history = HopHistory()
    _feed(history, samples)
    now = samples[-1][0]
    start = (now - ago) // bucket * bucket
    end = start + length
    counts = history.between(start, end - 1e-6, WHOLE)
    sent, received, rtts = _truth(samples, start, end)
    assert (counts.sent, counts.received) == (sent, received)
    assert counts.rtt.avg == pytest.approx(sum(rtts) / len(rtts), rel=1e-5)
    assert counts.rtt.best == pytest.approx(min(rtts), rel=1e-6)
    assert counts.rtt.worst == pytest.approx(max(rtts), rel=1e-6)
    assert counts.rtt.stdev == pytest.approx(stdev_of(rtts), rel=1e-3)
    gmean = math.exp(sum(math.log(r) for r in rtts) / len(rtts))
    if bucket == 10.0:
        assert counts.rtt.gmean == pytest.approx(gmean, rel=1e-5)
    else:  # past the hour, the geometric mean of the buckets' means: between the two means
        assert gmean * (1 - 1e-6) <= counts.rtt.gmean <= counts.rtt.avg * (1 + 1e-6)
    # off the buckets' edges a span covers at least itself and at most a bucket more
    loose = history.between(start + bucket / 3, end - bucket / 3, WHOLE)
    assert _truth(samples, start + bucket / 3, end - bucket / 3)[0] <= loose.sent <= sent


def test_a_timeline_sums_to_the_span_and_every_hop_gets_the_same_points():
    quiet, busy = HopHistory(), HopHistory()
    for second in range(0, 7200, 2):
        busy.received(second, 10.0 + (second // 600))
        if second % 600 == 0:
            busy.lost(second + 1)
    quiet.received(7000.0, 3.0)
    line = busy.timeline(3600.0, 7199.0, 300.0)  # 12 points of 5 minutes, from 10 s buckets
    assert [b.seconds for b in line] == [300.0] * 12
    assert [b.start for b in line] == [3600.0 + 300 * i for i in range(12)]
    assert sum(b.received for b in line) == 1800 and sum(b.lost for b in line) == 6
    assert line[0].avg == pytest.approx(16.0) and line[-1].avg == pytest.approx(21.0)
    assert [b.start for b in quiet.timeline(3600.0, 7199.0, 300.0)] == [b.start for b in line]
    assert sum(b.sent for b in quiet.timeline(3600.0, 7199.0, 300.0)) == 1
    assert math.isnan(quiet.timeline(3600.0, 7199.0, 300.0)[0].loss)


def test_a_silence_longer_than_a_tier_leaves_empty_buckets_and_nothing_stale():
    history = HopHistory()
    for second in range(0, 3600):
        history.lost(second)
    for second in range(3 * 3600, 3 * 3600 + 60):  # two hours of nothing, then a minute
        history.received(second, 5.0)
    now = 3 * 3600 + 59.0
    assert (
        history.between(now - 3600, now, WHOLE).sent == 60
    )  # the old hour is gone from 10 s buckets
    day = history.between(0.0, now, WHOLE)
    assert (day.sent, day.lost) == (3660, 3600)


def test_counts_past_16_bits_widen_the_tier():
    history = HopHistory()
    for index in range(70_000):  # 70,000 results in one 10-minute bucket (a -i 0.01 run)
        history.received(index * 0.008, 1.0)
    history.received(DAY, 1.0)  # closes every tier
    assert history.between(0.0, 599.0, WHOLE).received == 70_000


def test_storage_grows_with_the_run_up_to_its_tiers_and_no_further():
    history = HopHistory()
    for second in range(0, int(40 * DAY), 300):
        history.received(second, 10.0)
    full = history.nbytes()
    assert full == 24 * TIERS[0].buckets + 20 * sum(tier.buckets for tier in TIERS[1:])
    for second in range(int(40 * DAY), int(50 * DAY), 300):
        history.received(second, 10.0)
    assert history.nbytes() == full
    hour_only = HopHistory(HOUR)
    for second in range(0, int(2 * DAY), 300):
        hour_only.received(second, 10.0)
    assert hour_only.nbytes() == 24 * HOUR[0].buckets


def test_a_month_of_thirty_hops_stays_under_five_megabytes():
    """The soak test: the model itself, fed as the engine feeds it, measured by everything
    it holds (every object reachable from it, as sys.getsizeof counts them).
    One round every 10 minutes fills every bucket of every tier as one a second does (the
    arrays grow with the time the run lasted, and a bucket's size does not depend on how
    many results it holds below 65,536); ``bench/soak.py`` runs the 2.6 million rounds of
    a month at 1 s and measures the process."""
    info = TraceInfo("t", "198.18.0.30", "198.18.0.1", Family.V4, 1, 30, 600.0, 2.0, 64, 33434, 0)
    model = PathModel(info, ProbeMethod.UDP, lambda: datetime(2026, 1, 1, tzinfo=UTC))
    before = held_bytes(model)
    apply = model.apply
    for round_ in range(1, int(30 * DAY / 600) + 1):
        at = round_ * 600.0
        apply(RoundStarted(round_, at))
        for ttl in range(1, 31):
            apply(ProbeSent(ttl, round_))
            reply = ProbeReplied(ttl, round_, f"198.18.0.{ttl}", 1.0, ReplyKind.TIME_EXCEEDED, 0)
            apply(reply)
    grown = held_bytes(model) - before
    assert 3.5e6 < grown < 4.5e6  # the tiers are all there (3.7 MB of arrays), and no more
    month = model.snapshot(focus=(0.0, 30 * DAY))
    assert month.hops[0].sent == 30 * DAY / 600


def held_bytes(root: object) -> int:
    """Every object reachable from ``root`` (classes, modules and functions are shared)."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


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


def test_a_focus_period_counts_what_settled_in_it():
    path = with_link(chain(4), 2, loss=0.2)
    run = Run(scenario(path), count=600, interval=1.0, timeout=1.0, seed=5)
    run.run()
    settled_at: dict[int, float] = {}
    now = 0.0
    for event in run.events:  # ground truth: when each of hop 2's results settled
        if isinstance(event, RoundStarted):
            now = event.at
        elif isinstance(event, ProbeReplied | ProbeLost) and event.ttl == 2:
            settled_at[event.round] = now
    begun = min(settled_at.values())  # the simulator's clock does not start at 0
    span = (begun + 200.0, begun + 399.99)
    view = run.model.snapshot(focus=span)
    inside = sum(1 for at in settled_at.values() if span[0] <= at < span[1] + 0.01)
    assert inside >= 190 and view.hops[1].sent == inside and view.focus == span
    timeline = run.model.timeline(0.0, run.model.now, 60.0)
    assert sum(b.sent for b in timeline.hops[2]) == len(settled_at)
    assert timeline.seconds == 60.0 and len(timeline.hops[1]) == len(timeline.hops[4])


def test_the_longest_window_is_the_finest_tier():
    assert MAX_WINDOW == 3600.0


def test_a_focus_period_has_the_verdicts_of_its_own_span():
    """30 % loss into hop 4 from 300 s to 600 s: focused on the episode, hop 4 is where loss
    begins; focused on the clean half hour after it, every hop is ok (a fresh diagnosis of
    the span's numbers, as the screen makes one for a focus period)."""
    from tracetui.diagnose import Diagnoser

    clean, lossy = chain(6), with_link(chain(6), 4, loss=0.3)
    run = Run(scenario(clean, lossy, clean, changes=(300.0, 600.0)), count=2400, timeout=1.0)
    begun = run.sim.clock.now()
    run.run()
    during = run.model.snapshot(focus=(begun + 320.0, begun + 590.0))
    after = run.model.snapshot(focus=(begun + 700.0, begun + 2390.0))
    verdicts_during = Diagnoser().update(during, final=True).verdicts
    verdicts_after = Diagnoser().update(after, final=True).verdicts
    assert verdicts_during[4].verdict.value == "loss-origin"
    assert {v.verdict.value for v in verdicts_after.values()} == {"ok"}
    assert during.hops[3].lost > 0.3 * during.hops[3].sent and after.hops[3].lost == 0
