"""Verdicts per branch of a balanced hop, and the branches that come and go.

The multipath search finds a hop's interfaces; the flows that keep to each of
them give every branch its own loss (:mod:`tracetui.probe.branch_watch`).
Here a branch *loses* when its loss is above the floor beyond chance and above
the rest of its hop beyond chance (Fisher's exact test, as hops are compared
in :mod:`tracetui.diagnose.verdicts`): loss shared by every branch is the hop's
(or carried from before it), not one branch's: ``shared``. A branch whose flow crossed a
losing branch at an earlier hop carries that loss (``carried``), as a hop after
a loss origin does. With hysteresis: a branch stops losing only when the
evidence no longer holds at the looser level. A search
that finds other interfaces at a hop than the one before it is an event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from tracetui.diagnose.confidence import (
    ALPHA_KEEP,
    ALPHA_RAISE,
    loses_more_than,
    significantly_higher,
)
from tracetui.diagnose.latency_watch import STEP_MS, STEP_SHARE, median
from tracetui.path.diagnosis import BranchVerdict
from tracetui.path.snapshot import BranchView, Multipath

SLOWER_MS = 10.0
"""A branch slower than its siblings by less than this (or a quarter) is not said to be:
the same threshold as a latency step at a hop (diagnose/latency_watch.py)."""
STEP_WINDOW = 20
"""Round trips a branch's step is judged on: the model keeps this many (BRANCH_RECENT)."""
MIN_SETTLED = 20
"""A branch's probes settled before it is judged at all."""
LOSS_FLOOR = 0.01
"""Loss at or below this is noise on any link, as a hop's floor is."""

Add = Callable[[str, int | None, str], None]


def _settled(branch: BranchView) -> int:
    return branch.received + branch.lost


def _losing(branch: BranchView, rest: list[BranchView], alpha: float) -> bool:
    settled = _settled(branch)
    if settled < MIN_SETTLED or not loses_more_than(branch.lost, settled, LOSS_FLOOR, alpha):
        return False
    rest_lost = sum(other.lost for other in rest)
    rest_settled = sum(_settled(other) for other in rest)
    return significantly_higher(branch.lost, settled, rest_lost, rest_settled, alpha)


def _slower(branch: BranchView, rest: list[BranchView]) -> float:
    """Milliseconds by which ``branch``'s mean round trip exceeds its siblings', if beyond
    chance (three standard errors) and beyond SLOWER_MS and a quarter; else 0."""
    others = [other for other in rest if other.received >= MIN_SETTLED]
    if branch.received < MIN_SETTLED or not others:
        return 0.0
    slowest = max(others, key=lambda other: other.rtt.avg)
    gap = branch.rtt.avg - slowest.rtt.avg
    error = math.sqrt(
        branch.rtt.stdev**2 / branch.received + slowest.rtt.stdev**2 / slowest.received
    )
    if gap > max(SLOWER_MS, 0.25 * slowest.rtt.avg) and gap > 3 * error:
        return gap
    return 0.0


def _count(number: int) -> str:
    return ("one", "two", "three", "four", "five")[number - 1] if 0 < number <= 5 else str(number)


def _upstream(found: Multipath, ttl: int, address: str) -> set[tuple[int, str]]:
    """The branches at earlier hops that the flow watching (ttl, address) crossed."""
    hop = found.at(ttl)
    flows = dict(hop.flows).get(address, ()) if hop is not None else ()
    if not flows:
        return set()
    flow = flows[0]
    crossed = set()
    for earlier in found.hops:
        if earlier.ttl < ttl:
            for other, its_flows in earlier.flows:
                if flow in its_flows:
                    crossed.add((earlier.ttl, other))
    return crossed


class BranchJudge:
    def __init__(self) -> None:
        self._reference: dict[tuple[int, str], float] = {}
        """Each branch's frozen median round trip, that a step is measured from."""
        self._losing: set[tuple[int, str]] = set()
        self._announced: set[tuple[int, str]] = set()
        self._found: dict[int, frozenset[str]] = {}
        self._search: tuple[int, float] | None = None

    def reset(self) -> None:
        self._reference = {}
        self._losing = set()
        self._announced = set()

    def update(
        self, found: Multipath | None, at: datetime, add: Add
    ) -> tuple[tuple[BranchVerdict, ...], tuple[str, ...]]:
        """Every watched branch's verdict, and the sentences a summary says of them."""
        if found is None:
            return (), ()
        self._changes(found, add)
        self._steps(found, add)
        verdicts: list[BranchVerdict] = []
        sentences: list[str] = []
        losing_at: set[tuple[int, str]] = set()
        for ttl in sorted({branch.ttl for branch in found.branches}):
            branches = [b for b in found.branches_at(ttl) if b.sent]
            for branch in branches:
                rest = [other for other in branches if other is not branch]
                key = (ttl, branch.address)
                held = key in self._losing
                losing = bool(rest) and _losing(branch, rest, ALPHA_KEEP if held else ALPHA_RAISE)
                carried = losing and bool(_upstream(found, ttl, branch.address) & losing_at)
                if losing and not held:
                    self._losing.add(key)
                    if not carried:
                        self._announced.add(key)
                        add("branch-loss-start", ttl, f"the branch through {branch.address} "
                            f"loses {branch.loss_pct:.1f} %")  # fmt: skip
                elif held and not losing:
                    self._losing.discard(key)
                    if key in self._announced:
                        self._announced.discard(key)
                        add("branch-loss-end", ttl, f"the branch through {branch.address} is clean")
                judged = _settled(branch) >= MIN_SETTLED
                shared = judged and loses_more_than(
                    branch.lost, _settled(branch), LOSS_FLOOR, ALPHA_RAISE
                )
                verdict = (
                    "carried"
                    if carried
                    else "loss"
                    if losing
                    else "shared"
                    if shared
                    else "ok"
                    if judged
                    else "unknown"
                )
                slower = _slower(branch, rest)
                verdicts.append(
                    BranchVerdict(ttl, branch.address, verdict, branch.loss_pct, slower)
                )
                if slower:
                    sentences.append(
                        f"hop {ttl}: the branch through {branch.address} is {slower:.1f} ms "
                        f"slower than the others ({branch.rtt.avg:.1f} ms on average)"
                    )
            losing_at |= {(v.ttl, v.address) for v in verdicts if v.ttl == ttl and v.losing}
            losers = [v for v in verdicts if v.ttl == ttl and v.verdict == "loss"]
            clean = [v for v in verdicts if v.ttl == ttl and v.verdict == "ok"]
            for loser in losers:
                others = len(branches) - 1
                if len(clean) == others:
                    rest_text = "the other is clean" if others == 1 else (
                        f"the other {_count(others)} are clean")  # fmt: skip
                else:
                    rest_text = f"{_count(len(clean))} of the other {_count(others)} are clean"
                sentences.append(
                    f"hop {ttl}: the branch through {loser.address} loses "
                    f"{loser.loss_pct:.1f} %; {rest_text}"
                )
        return tuple(verdicts), tuple(sentences)

    def _steps(self, found: Multipath, add: Add) -> None:
        """A branch whose latest round trips moved from its reference by more than a latency
        step (as at a hop: 10 ms and a quarter), both halves of them, while its siblings'
        did not move half as much: a step on that branch alone (a step of the whole hop is
        the latency watch's)."""
        moves: dict[tuple[int, str], tuple[float, float, bool]] = {}
        for branch in found.branches:
            recent = branch.recent
            if len(recent) < STEP_WINDOW:
                continue
            key = (branch.ttl, branch.address)
            now = median(recent)
            reference = self._reference.setdefault(key, now)
            half = len(recent) // 2
            older, newer = median(recent[:half]) - reference, median(recent[half:]) - reference
            limit = max(STEP_MS, STEP_SHARE * reference)
            held = (older > limit and newer > limit) or (older < -limit and newer < -limit)
            moves[key] = (reference, now - reference, held)
        for (ttl, address), (reference, gap, held) in moves.items():
            if not held:
                continue
            siblings = [m for (t, a), (_, m, _) in moves.items() if t == ttl and a != address]
            self._reference[(ttl, address)] = reference + gap  # the new level, either way
            if siblings and all(abs(move) < abs(gap) / 2 for move in siblings):
                how = "higher" if gap > 0 else "lower"
                add(
                    "branch-latency-step",
                    ttl,
                    f"the branch through {address}: round trips {abs(gap):.1f} ms {how} "
                    f"({reference:.1f} → {reference + gap:.1f} ms), the others' as they were",
                )

    def _changes(self, found: Multipath, add: Add) -> None:
        """A finished search whose interfaces differ from the last one's: events."""
        if not found.done or not found.complete:
            return
        search = (found.probes, found.seconds)
        if search == self._search:
            return
        self._search = search
        now = {hop.ttl: frozenset(hop.interfaces) for hop in found.hops if hop.interfaces}
        if self._found:
            for ttl in sorted(set(now) | set(self._found)):
                before, after = self._found.get(ttl, frozenset()), now.get(ttl, frozenset())
                if len(before) < 2 and len(after) < 2:
                    continue  # one router for another: the route watch's responder events
                for address in sorted(after - before):
                    add("branch-new", ttl, f"a new branch through {address}")
                for address in sorted(before - after):
                    add("branch-gone", ttl, f"the branch through {address} is gone")
        self._found = now
