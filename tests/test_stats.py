"""Streaming statistics against values computed by hand."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from tracetui.path.stats import EMPTY_SUMMARY, RttStats


def _feed(samples):
    stats = RttStats()
    for sample in samples:
        stats.add(sample)
    return stats


def test_hand_computed_example():
    # samples 10, 12, 11, 15: mean 12, sample variance ((4+0+1+9)/3) = 14/3
    s = _feed([10.0, 12.0, 11.0, 15.0]).summary()
    assert s.count == 4
    assert s.last == 15.0
    assert s.avg == pytest.approx(12.0)
    assert (s.best, s.worst) == (10.0, 15.0)
    assert s.stdev == pytest.approx(math.sqrt(14 / 3))
    # jitter: |12-10|=2, |11-12|=1, |15-11|=4
    assert s.jitter == 4.0
    assert s.javg == pytest.approx(7 / 3)
    assert s.jmax == 4.0
    # RFC 3550: J += (D - J)/16 over 2, 1, 4
    j = 0.0
    for d in (2, 1, 4):
        j += (d - j) / 16
    assert s.jint == pytest.approx(j)


def test_single_sample_has_no_spread_and_no_jitter():
    s = _feed([7.5]).summary()
    assert (s.avg, s.best, s.worst, s.stdev, s.jitter, s.javg, s.jmax) == (
        7.5,
        7.5,
        7.5,
        0.0,
        0.0,
        0.0,
        0.0,
    )


def test_no_samples_is_the_empty_summary():
    assert RttStats().summary() == EMPTY_SUMMARY


def test_welford_matches_statistics_module_on_a_long_run():
    rng = random.Random(3)
    samples = [20.0 + rng.gauss(0, 3) for _ in range(20000)]
    s = _feed(samples).summary()
    assert s.avg == pytest.approx(statistics.fmean(samples), rel=1e-12)
    assert s.stdev == pytest.approx(statistics.stdev(samples), rel=1e-9)


def test_large_offset_does_not_lose_precision():
    # naive sum-of-squares loses the variance of tiny spreads around a large mean
    samples = [1e6 + x for x in (0.001, 0.002, 0.003)]
    assert _feed(samples).stdev == pytest.approx(0.001, rel=1e-6)
