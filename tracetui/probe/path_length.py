"""How many TTLs a round probes: the end of the path, found and re-found from replies.

The first round probes every TTL up to ``max_ttl``. Afterwards a TTL ``t`` is
the end of the path when some probe at ``t`` got an end-of-path reply (target
reached, or a router refused) and no TTL at or beyond ``t`` has answered with
time-exceeded since then or in the last ``RECENT_ROUNDS`` rounds. The window
keeps an ECMP pair of unequal length from flapping the path length every
round, and still notices a longer path at once (a time-exceeded where the
target used to answer) and a shorter one within a few rounds. With no known
end, probing continues ``max_unknown`` TTLs past the highest TTL that ever
answered.

Pure bookkeeping: rounds and reply kinds in, a limit out. The limit is
recomputed lazily, only after evidence that can change it.
"""

from __future__ import annotations

from typing import NamedTuple

RECENT_ROUNDS = 10
_NEVER = -(10**9)


class PathEnd(NamedTuple):
    """``limit``: highest TTL to probe. ``dest_ttl``: where the path ends, if known.
    ``discovered``: the first round has been fully answered or timed out."""

    limit: int
    dest_ttl: int | None
    discovered: bool


class PathLength:
    def __init__(self, first_ttl: int, max_ttl: int, max_unknown: int) -> None:
        self.first_ttl = first_ttl
        self.max_ttl = max_ttl
        self.max_unknown = max_unknown
        size = max_ttl + 2
        self._te_round = [_NEVER] * size
        self._end_round = [_NEVER] * size
        self._highest_reply = first_ttl - 1
        self.last_transit = first_ttl - 1
        """The highest TTL that expired in transit: every hop up to it forwards."""
        self._discovered = False
        self._dirty = False
        self._round = 0
        self._end = PathEnd(max_ttl, None, False)

    def retarget(self, first_ttl: int, max_ttl: int, max_unknown: int) -> None:
        """Another TTL range or max-unknown while running: what was learnt stays (a reply at
        a TTL means the same whatever the range), the limit is recomputed."""
        grow = max_ttl + 2 - len(self._te_round)
        if grow > 0:
            self._te_round += [_NEVER] * grow
            self._end_round += [_NEVER] * grow
        self.first_ttl, self.max_ttl, self.max_unknown = first_ttl, max_ttl, max_unknown
        self._highest_reply = max(self._highest_reply, first_ttl - 1)
        self.last_transit = max(self.last_transit, first_ttl - 1)
        self._dirty = True

    @property
    def end(self) -> PathEnd:
        if self._dirty:
            self._dirty = False
            self._end = self._compute()
        return self._end

    @property
    def limit(self) -> int:
        return self.end.limit

    def start_round(self, round_: int) -> None:
        """A new round: the recent-window moves, so a stale end may now count."""
        self._round = round_
        self._dirty = True

    def first_round_done(self) -> None:
        """Every probe of round 1 is answered or timed out: stop probing to ``max_ttl``."""
        if not self._discovered:
            self._discovered = True
            self._dirty = True

    def time_exceeded(self, ttl: int, round_: int) -> None:
        if round_ > self._te_round[ttl]:
            self._te_round[ttl] = round_
        if ttl > self.last_transit:
            self.last_transit = ttl
        dest = self._end.dest_ttl
        if dest is not None and ttl >= dest:
            self._dirty = True
        self._answered(ttl)

    def path_ended(self, ttl: int, round_: int) -> None:
        """A reply that ends the path (the target, or a router refusing to forward)."""
        if round_ > self._end_round[ttl]:
            self._end_round[ttl] = round_
        dest = self._end.dest_ttl
        if dest is None or ttl < dest:
            self._dirty = True
        self._answered(ttl)

    def _answered(self, ttl: int) -> None:
        if ttl > self._highest_reply:
            self._highest_reply = ttl
            if self._end.dest_ttl is None:
                self._dirty = True

    def _compute(self) -> PathEnd:
        recent = self._round - RECENT_ROUNDS
        te_round = self._te_round
        end_round = self._end_round
        dest: int | None = None
        newest_te_beyond = _NEVER
        for ttl in range(self.max_ttl, self.first_ttl - 1, -1):
            newest_te_beyond = max(newest_te_beyond, te_round[ttl])
            end = end_round[ttl]
            if end != _NEVER and newest_te_beyond < end and newest_te_beyond < recent:
                dest = ttl
        if dest is not None:
            limit = dest
        elif not self._discovered:
            limit = self.max_ttl
        else:
            highest = max(self._highest_reply, self.first_ttl - 1)
            limit = min(self.max_ttl, highest + self.max_unknown)
        return PathEnd(limit, dest, self._discovered)
