"""What each verdict may be based on: the probes of one span of time, the same for every hop.

The span is the window the numbers show (``--window``, ``w``); without a
window, the whole run since the last change in the path's loss rate (so
without a change, the verdicts weigh exactly the numbers beside them). That change is found
the way a statistician would look at the per-round losses of every hop
pooled: the split of the recent rounds into "before" and "after" that two
loss rates explain best, kept only when it is far beyond chance (a
likelihood ratio with its multiple looks accounted for, in the quasi-binomial
form, so that losses that come in bursts across hops, as on a Wi-Fi link, do
not pass for a change). An episode that ends is thus seen ending within
tens of rounds, not after the history has forgotten it; one that starts is
judged on its own rounds, not diluted by the clean hour before it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tracetui.path.snapshot import LOST, HopView, PathView

CHANGE_STATISTIC = 25.0
"""Twice the log-likelihood ratio a change must exceed: p of about 5e-7 for one look,
so a few hundred looks per evaluation, evaluation after evaluation, stay below 1e-3."""
CHANGE_FLOOR = 0.01
"""A change smaller than this (as a share of probes) is not worth a new span."""
MIN_SIDE = 10
"""Rounds a change needs on each side of it."""
RUN_ROUNDS = 10
MIN_LOSSY_RUNS = 5
"""Separate runs of rounds with a loss the lossier side of a change needs: one burst of
eight lossy rounds in a row (a Wi-Fi link's bad seconds) is one, not eight."""


class Evidence(NamedTuple):
    counts: dict[int, tuple[int, int]]
    """(lost, settled) per TTL over the span."""
    first_round: int
    """The first round the span counts (the regime's start, or the window's)."""
    since_clock: float
    """The engine's clock at ``first_round`` (what pings are measured against)."""

    def of(self, hop: HopView) -> tuple[int, int]:
        return self.counts.get(hop.ttl, (0, 0))


def _counts(history: tuple[float, ...]) -> tuple[int, int]:
    # counted in C: a lost sample is LOST, an unsettled one NaN (not equal to itself)
    return history.count(LOST), sum(1 for sample in history if sample == sample)


def _log_likelihood(lost: float, settled: float) -> float:
    if settled <= 0 or lost <= 0 or lost >= settled:
        return 0.0
    p = lost / settled
    return lost * math.log(p) + (settled - lost) * math.log(1.0 - p)


def find_change(lost: list[int], settled: list[int], prior: tuple[int, int] = (0, 0)) -> int | None:
    """Index of the round where the loss rate changed for good, if it did (see module).

    ``prior``: (lost, settled) of the same regime before these rounds: the rate a change
    is measured against, so that a few bursts at the start of the rounds looked at do not
    pass for a regime of their own.
    """
    rounds = len(lost)
    prior_lost, prior_settled = prior
    if rounds < (1 if prior_settled else 2) * MIN_SIDE:
        return None
    total_lost, total = sum(lost) + prior_lost, sum(settled) + prior_settled
    if total == 0:
        return None
    base = _log_likelihood(total_lost, total)
    best, where = 0.0, None
    before_lost, before = prior_lost, prior_settled
    first = 0 if prior_settled else MIN_SIDE
    for index in range(rounds - MIN_SIDE):
        if index >= first and before and before != total:
            after_lost, after = total_lost - before_lost, total - before
            gain = _log_likelihood(before_lost, before) + _log_likelihood(after_lost, after) - base
            if gain > best:
                best, where = gain, index
        before_lost += lost[index]
        before += settled[index]
    if where is None:
        return None
    before_lost = prior_lost + sum(lost[:where])
    before = prior_settled + sum(settled[:where])
    after_lost, after = total_lost - before_lost, total - before
    rate_before, rate_after = before_lost / before, after_lost / after
    if abs(rate_after - rate_before) < CHANGE_FLOOR:
        return None
    # the lossier side must have lost at several separate times: a burst or two near one
    # end of the history are bursts, not a change
    higher = lost[where:] if rate_after > rate_before else lost[:where]
    if rate_before > rate_after and prior_lost:
        higher = [*higher, 0, prior_lost]
    if _lossy_runs(higher) < MIN_LOSSY_RUNS:
        return None
    if 2.0 * best / _dispersion(lost, settled, where, rate_before, rate_after) < CHANGE_STATISTIC:
        return None
    return where


def _lossy_runs(lost: list[int]) -> int:
    """Runs of consecutive rounds with a loss, a long run counting once per ``RUN_ROUNDS``
    (a destination dark for 100 rounds is a change; a burst of eight is not)."""
    runs = length = 0
    for k in [*lost, 0]:
        if k:
            length += 1
        elif length:
            runs += math.ceil(length / RUN_ROUNDS)
            length = 0
    return runs


def _dispersion(
    lost: list[int], settled: list[int], where: int, rate_before: float, rate_after: float
) -> float:
    """Pearson's dispersion of the per-round counts around the two rates (at least 1): how
    much more the rounds vary than independent probes would (losses in bursts)."""
    chi = 0.0
    df = 0
    for index, (k, n) in enumerate(zip(lost, settled, strict=True)):
        if n == 0:
            continue
        p = rate_before if index < where else rate_after
        variance = n * p * (1.0 - p)
        if variance > 0:
            chi += (k - n * p) ** 2 / variance
            df += 1
    return max(1.0, chi / max(1, df - 2))


class Regime:
    """Where the path's current loss regime starts (a round), and each hop's counts before
    it, so that the evidence is every probe since then, however long ago that was."""

    def __init__(self) -> None:
        self.start = 1
        self.base: dict[int, tuple[int, int]] | None = {}
        """(lost, settled) per TTL before ``start``; None while not yet known."""


def _history_counts(hop: HopView, first_round: int, rounds: int) -> tuple[int, int]:
    history = hop.history
    if not history:
        return 0, 0
    offset = first_round - (rounds - len(history) + 1)
    return _counts(history[max(0, offset) :])


def gather(view: PathView, regime: Regime, pool: list[HopView]) -> Evidence:
    """The evidence for ``view``; ``regime`` (kept by the caller from one look to the next)
    moves forward when the pooled losses of ``pool`` (the hops that answer) changed."""
    rounds = view.rounds
    span = max((len(hop.history) for hop in view.hops), default=0)
    history_first = max(1, rounds - span + 1)
    scan_from = max(history_first, regime.start)
    # a round settles its losses only when its timeout passed, its answers at once: the
    # rounds still inside the timeout would look cleaner than they are
    info = view.info
    unsettled = math.ceil(info.timeout / info.interval) + 1 if info.interval > 0 else 0
    prior = _prior(view, regime, pool, scan_from)
    change = _change_in(pool, scan_from, rounds, prior, unsettled)
    if change is not None:
        regime.start, regime.base = change, None
    windowed = view.window is not None and view.info.interval > 0
    if not windowed and regime.base is None and regime.start >= history_first:
        regime.base = {}
        for hop in view.hops:
            lost, settled = _history_counts(hop, regime.start, rounds)
            regime.base[hop.ttl] = (hop.lost - lost, hop.completed - settled)
    counts: dict[int, tuple[int, int]] = {}
    first = max(regime.start, history_first)
    if windowed:
        assert view.window is not None
        # exactly the window the numbers show, change or not: the verdict beside them
        # must not say "ok" over lossy rounds they still count
        first = max(history_first, rounds - math.ceil(view.window / view.info.interval) + 1)
        for hop in view.hops:
            counts[hop.ttl] = (hop.lost, hop.completed)
    elif regime.base is not None:
        first = regime.start
        for hop in view.hops:
            lost, settled = regime.base.get(hop.ttl, (0, 0))
            counts[hop.ttl] = (max(0, hop.lost - lost), max(0, hop.completed - settled))
    else:
        for hop in view.hops:
            counts[hop.ttl] = _history_counts(hop, first, rounds)
    since = view.clock - (rounds - first) * view.info.interval
    return Evidence(counts, first, since)


def _prior(view: PathView, regime: Regime, pool: list[HopView], scan_from: int) -> tuple[int, int]:
    """The pool's (lost, settled) in the regime before the rounds scanned for a change."""
    if view.window is not None or regime.base is None or scan_from <= regime.start:
        return 0, 0
    lost = settled = 0
    for hop in pool:
        base_lost, base_settled = regime.base.get(hop.ttl, (0, 0))
        recent_lost, recent_settled = _history_counts(hop, scan_from, view.rounds)
        lost += max(0, hop.lost - base_lost - recent_lost)
        settled += max(0, hop.completed - base_settled - recent_settled)
    return lost, settled


def _change_in(
    pool: list[HopView], start: int, rounds: int, prior: tuple[int, int] = (0, 0), cut: int = 0
) -> int | None:
    """The round a change of the pooled loss rate happened in, after ``start`` and before
    the last ``cut`` rounds."""
    length = rounds - start + 1
    if length - cut < 2 * MIN_SIDE or not pool:
        return None
    lost = [0] * length
    settled = [0] * length
    for hop in pool:
        history = hop.history
        offset = start - (rounds - len(history) + 1)
        for index, sample in enumerate(history[max(0, offset) :]):
            if sample == sample:
                settled[index] += 1
                if sample == LOST:
                    lost[index] += 1
    if cut:
        del lost[-cut:], settled[-cut:]
    # the newest rounds may still be in flight at some hops (a probe later than its
    # timeout): leave them out of the search
    while settled and settled[-1] < len(pool):
        settled.pop()
        lost.pop()
    where = find_change(lost, settled, prior)
    return None if where is None else start + where


DARK_CHANCE = 1e-6
"""A run of losses this unlikely at the hop's usual loss rate means it stopped answering."""
DARK_ROUNDS = 5


def dark_at_the_end(view: PathView, hop: HopView) -> int:
    """``dark_run`` of the destination ``hop``, when the last hop before it that answers
    kept answering meanwhile: a burst on a link before them both is the path's loss,
    not the destination gone."""
    run = dark_run(hop)
    if not run:
        return 0
    before = [h for h in view.hops if h.on_path and h.received and h.ttl < hop.ttl]
    if not before:
        return run
    recent = before[-1].history[-run:]
    return run if any(sample == sample and sample != LOST for sample in recent) else 0


def dark_run(hop: HopView) -> int:
    """How many rounds the hop has been dark (0: it has not gone dark).

    The trailing run of lost probes counts when it is far longer than the hop's own
    loss rate explains: five in a row from a hop that never loses, fifteen from one
    that drops 40 % (a target limiting its replies is not a target gone dark), and
    twice as long as any run of losses before it.
    """
    settled = [s for s in hop.history if s == s]
    run = 0
    for sample in reversed(settled):
        if sample != LOST:
            break
        run += 1
    if run < DARK_ROUNDS:
        return 0
    before = settled[: len(settled) - run]
    rate = (before.count(LOST) + 1) / (len(before) + 2)
    needed = max(DARK_ROUNDS, math.ceil(math.log(DARK_CHANCE) / math.log(rate)))
    # losses in bursts (a Wi-Fi link's bad seconds) come in runs: twice the longest run
    # seen before is a destination gone, a run like them is another burst
    return run if run >= max(needed, 2 * _longest_run(before)) else 0


def _longest_run(samples: list[float]) -> int:
    longest = length = 0
    for sample in samples:
        length = length + 1 if sample == LOST else 0
        longest = max(longest, length)
    return longest
