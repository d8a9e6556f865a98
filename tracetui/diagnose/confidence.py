"""Exact tests on loss counts, cheap enough to run for every hop every round.

The evidence is small (at most a few hundred probes per hop), where normal
approximations mislead: one loss in five probes is not evidence of loss above
1 %, whatever a Wilson bound says. So the tests are exact: the binomial tail
for "does this hop lose more than the floor", and Fisher's exact test (one
sided) for "does this hop lose more than that one". Both sum at most a few
hundred terms in log space. The live screen asks the same questions frame
after frame (counts move by one now and then), so answers are remembered.
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
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k, n + 1):
        term = math.exp(_log_choose(n, i) + i * log_p + (n - i) * log_q)
        total += term
        if term < total * 1e-12:
            break
    return min(1.0, total)


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
    denominator = _log_choose(total, lost)
    p_value = 0.0
    for i in range(lost_a, min(lost, total_a) + 1):
        if lost - i > total_b:
            continue
        p_value += math.exp(_log_choose(total_a, i) + _log_choose(total_b, lost - i) - denominator)
    return min(1.0, p_value)


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
