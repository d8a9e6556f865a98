"""The exact tests stay exact when they became fast: against the plain sums, term by term.

The reference functions below are the textbook definitions (every term, in log space), as
tracetui computed them before it summed only the smaller tail from its middle outwards.
"""

from __future__ import annotations

import math
import random

import pytest

from tracetui.diagnose.confidence import binomial_tail, fisher_greater


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def plain_binomial_tail(k: int, n: int, p: float) -> float:
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    terms = (
        math.exp(_log_choose(n, i) + i * math.log(p) + (n - i) * math.log1p(-p))
        for i in range(k, n + 1)
    )
    return min(1.0, math.fsum(terms))


def plain_fisher_greater(lost_a: int, total_a: int, lost_b: int, total_b: int) -> float:
    lost, total = lost_a + lost_b, total_a + total_b
    denominator = _log_choose(total, lost)
    terms = (
        math.exp(_log_choose(total_a, i) + _log_choose(total_b, lost - i) - denominator)
        for i in range(lost_a, min(lost, total_a) + 1)
        if lost - i <= total_b
    )
    return min(1.0, math.fsum(terms))


def _close(fast: float, plain: float) -> bool:
    return math.isclose(fast, plain, rel_tol=1e-9, abs_tol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_the_binomial_tail_is_the_plain_sum(seed):
    rng = random.Random(seed)
    for _ in range(300):
        n = rng.choice([5, 30, 200, 3000, 20000])
        p = rng.choice([0.001, 0.01, 0.05, 0.3, 0.7])
        k = max(0, min(n + 1, int(rng.gauss(n * p, 3 * math.sqrt(n * p * (1 - p)) + 2))))
        fast, plain = binomial_tail.__wrapped__(k, n, p), plain_binomial_tail(k, n, p)
        assert _close(fast, plain), (k, n, p, fast, plain)


@pytest.mark.parametrize("seed", range(4))
def test_fishers_test_is_the_plain_sum(seed):
    rng = random.Random(seed)
    for _ in range(200):
        total_a, total_b = rng.choice([10, 300, 5000]), rng.choice([10, 300, 5000])
        p = rng.choice([0.01, 0.1, 0.4])
        lost_b = rng.randint(0, int(total_b * p * 2) + 1)
        lost_a = rng.randint(0, min(total_a, int(total_a * p * 3) + 2))
        fast = fisher_greater.__wrapped__(lost_a, total_a, lost_b, total_b)
        plain = plain_fisher_greater(lost_a, total_a, lost_b, total_b)
        assert _close(fast, plain), (lost_a, total_a, lost_b, total_b, fast, plain)


def test_a_day_of_evidence_costs_what_a_minute_does():
    """A stable path a day long: 86,400 probes of a hop, 5 % lost, tested against a 5 % floor
    (the tail's middle, where every term counts), in the time of a handful of terms: the
    count of terms summed, not a clock, is what is compared (a busy machine is no matter)."""
    calls = 0
    original = math.exp

    def counting(value: float) -> float:
        nonlocal calls
        calls += 1
        return original(value)

    math.exp = counting
    try:
        binomial_tail.__wrapped__(4320, 86_400, 0.05)
        fisher_greater.__wrapped__(4400, 86_400, 4320, 86_400)
    finally:
        math.exp = original
    assert calls <= 4  # one log-space start for each, the rest by the terms' ratios
