"""Exact tests on loss counts, cheap enough to run for every hop every round.

The evidence is often small, where normal approximations mislead: one loss in
five probes is not evidence of loss above 1 %, whatever a Wilson bound says.
So the tests are exact: the binomial tail for "does this hop lose more than
the floor", and Fisher's exact test (one sided) for "does this hop lose more
than that one". The evidence can also be large (a day without a change is
86,400 rounds of every hop), so each sums its smaller tail only, from the
term nearest the middle outwards, each term from the one before by the ratio
of consecutive terms (one multiplication, not three log-gammas), and stops
where the terms no longer count (below 1e-12 of the sum): a few times the
standard deviation, whatever the count. The live screen asks the same
questions frame after frame (counts move by one now and then), so answers
are remembered.
"""

from __future__ import annotations

import math
from functools import lru_cache

ALPHA_RAISE = 0.001
"""Evidence needed to raise a verdict: one chance in a thousand of a false alarm."""
ALPHA_KEEP = 0.01
"""Evidence needed to keep one (hysteresis)."""


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


@lru_cache(maxsize=4096)
def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    if k > n * p:  # the upper tail is the small one: from k up, the terms soon fall
        return min(1.0, _binomial_sum(k, n, p, 1))
    return max(0.0, 1.0 - _binomial_sum(k - 1, n, p, -1))  # 1 - P(X <= k - 1)


_NEGLIGIBLE = 1e-12


def _binomial_sum(start: int, n: int, p: float, step: int) -> float:
    """P(X = start) + P(X = start + step) + ... while the terms count."""
    term = math.exp(_log_choose(n, start) + start * math.log(p) + (n - start) * math.log1p(-p))
    odds = p / (1.0 - p)
    total = term
    i = start
    if step > 0:
        while i < n:
            term *= (n - i) / (i + 1) * odds
            i += 1
            total += term
            if term <= total * _NEGLIGIBLE:
                break
    else:
        while i > 0:
            term *= i / (n - i + 1) / odds
            i -= 1
            total += term
            if term <= total * _NEGLIGIBLE:
                break
    return total


def loses_more_than(lost: int, settled: int, floor: float, alpha: float) -> bool:
    """Whether the loss ratio is above ``floor`` beyond chance (exact binomial test)."""
    return settled > 0 and lost > floor * settled and binomial_tail(lost, settled, floor) < alpha


@lru_cache(maxsize=4096)
def fisher_greater(lost_a: int, total_a: int, lost_b: int, total_b: int) -> float:
    """One-sided p-value of Fisher's exact test that a's loss ratio exceeds b's."""
    if total_a <= 0 or total_b <= 0:
        return 1.0
    lost = lost_a + lost_b
    total = total_a + total_b
    lowest = max(0, lost - total_b)  # a cannot lose fewer than what b cannot hold
    highest = min(lost, total_a)
    if lost_a > highest:
        return 0.0
    if lost_a <= lowest:
        return 1.0
    if lost_a > lost * total_a / total:  # the upper tail is the small one
        return min(1.0, _hypergeometric_sum(lost_a, highest, total_a, total_b, lost))
    return max(0.0, 1.0 - _hypergeometric_sum(lost_a - 1, lowest, total_a, total_b, lost))


def _hypergeometric_sum(start: int, end: int, total_a: int, total_b: int, lost: int) -> float:
    """P(A = start) + ... toward ``end`` (either way) while the terms count, for A the losses
    of a among ``lost`` drawn from a and b together."""
    denominator = _log_choose(total_a + total_b, lost)
    term = math.exp(_log_choose(total_a, start) + _log_choose(total_b, lost - start) - denominator)
    total = term
    i = start
    while i != end:
        if end > i:
            term *= (total_a - i) * (lost - i) / ((i + 1) * (total_b - lost + i + 1))
            i += 1
        else:
            term *= i * (total_b - lost + i) / ((total_a - i + 1) * (lost - i + 1))
            i -= 1
        total += term
        if term <= total * _NEGLIGIBLE:
            break
    return total


def significantly_higher(
    lost_a: int, total_a: int, lost_b: int, total_b: int, alpha: float = ALPHA_RAISE
) -> bool:
    """Whether a loses a larger share than b, beyond chance."""
    if total_a <= 0 or total_b <= 0 or lost_a * total_b <= lost_b * total_a:
        return False
    return fisher_greater(lost_a, total_a, lost_b, total_b) < alpha


def upper_bound(lost: int, settled: int, confidence: float = 0.95) -> float:
    """Clopper-Pearson upper bound of the loss ratio (by bisection on the binomial tail)."""
    if settled <= 0:
        return 1.0
    if lost >= settled:
        return 1.0
    low, high = lost / settled, 1.0
    target = 1.0 - confidence
    for _ in range(40):
        middle = (low + high) / 2
        # P(X <= lost | middle) = 1 - P(X >= lost + 1)
        if 1.0 - binomial_tail(lost + 1, settled, middle) > target:
            low = middle
        else:
            high = middle
    return high
