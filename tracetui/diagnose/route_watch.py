"""Which routers answer at each hop, and when that changes: new, gone, back, flapping.

A hop's routers are those that answered recently enough for their share of
its replies: a router that answers every round is gone after three rounds
without it; one of three load-balanced twins, or a router whose ICMP limit
thins its answers, only after it has been missing longer than its own rate
of answering explains (one chance in a million). A change of that set is
logged once it has held for ``CONFIRM_ROUNDS`` rounds without the route
switching meanwhile, so a route that goes and comes back within seconds is
not a pair of lines. Routers that moved one TTL up or down because the path
got longer or shorter did not change: the path length is that event. A hop
where nobody answers for a while changed nothing either: a limiter between
its replies, a link down or a silent router in its place are loss, which the
hop's verdict and the loss events describe; its routers are gone only when
others answer in their place.

A route flaps when a hop that kept one router for ``STABLE_ROUNDS`` rounds
switches ``FLAP_SWITCHES`` times within ``FLAP_ROUNDS``: logged once, with
the count and the routers; nothing else is logged for the hop until it has
been still again for ``STABLE_ROUNDS``. A hop whose replies switch routers
from the start (varying ports over load balancers, per-packet balancing) is
balanced, not flapping.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from tracetui.labels import host_label
from tracetui.path.snapshot import HopView, PathView, ResponderView

CONFIRM_ROUNDS = 10
STABLE_ROUNDS = 60
FLAP_SWITCHES = 3
FLAP_ROUNDS = 60
ABSENCE_CHANCE = 1e-6
BALANCED_SHARE = 0.2
"""A hop switching routers in this share of its rounds is load-balanced."""

Add = Callable[[str, int | None, str], None]


def _absence_limit(responder: ResponderView, hop: HopView) -> int:
    """Rounds a router may miss before it counts as gone, given how often it answers.

    Its rate is its replies per settled probe at the hop, so a load-balanced twin's
    share and a limiter's thinning (a burst answered, then one reply a second) both
    count: a limiter that answered its burst and now answers every 20th round has
    not gone anywhere, while a router that answered every round is gone after three.
    """
    rate = responder.received / hop.completed if hop.completed else 1.0
    if rate >= 1.0:
        return 3
    return max(3, math.ceil(math.log(ABSENCE_CHANCE) / math.log(1.0 - rate)))


class _HopState:
    __slots__ = (
        "candidate",
        "candidate_since",
        "committed",
        "ever",
        "first_round",
        "flapping",
        "last_switch",
        "switch_rounds",
        "switches",
    )

    def __init__(self, round_: int, switches: int) -> None:
        self.first_round = round_
        self.committed: frozenset[str] | None = None
        self.candidate: frozenset[str] = frozenset()
        self.candidate_since = round_
        self.ever: set[str] = set()
        self.switches = switches
        self.switch_rounds: deque[int] = deque(maxlen=64)
        self.last_switch = -(10**9)
        self.flapping = False


class RouteWatch:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._hops: dict[int, _HopState] = {}

    def update(self, view: PathView, hops: list[HopView], add: Add) -> set[int]:
        """Log what changed at ``hops`` (the path as it is now); return the TTLs whose
        routers changed (their latency starts afresh)."""
        rounds = view.rounds
        changed: set[int] = set()
        present: dict[int, frozenset[str]] = {}
        for hop in hops:
            if not hop.responders:
                continue
            state = self._hops.get(hop.ttl)
            if state is None:
                state = self._hops[hop.ttl] = _HopState(rounds, hop.switches)
            self._count_switches(state, hop, rounds)
            now = frozenset(
                r.address for r in hop.responders if rounds - r.last_round < _absence_limit(r, hop)
            )
            if not now:
                continue  # nobody answers: the hop's loss and verdict say so, not a route change
            present[hop.ttl] = now
            if now != state.candidate:
                state.candidate = now
                state.candidate_since = rounds
            self._flap(view, state, hop, add)
        where: dict[str, int] = {}
        for ttl, addresses in present.items():
            for address in addresses:
                where.setdefault(address, ttl)
        before = {ttl: state.committed for ttl, state in self._hops.items()}
        for hop in hops:
            state = self._hops.get(hop.ttl)
            if state is None or hop.ttl not in present:
                continue
            if self._commit(view, state, hop, (where, before), add):
                changed.add(hop.ttl)
        return changed

    def _count_switches(self, state: _HopState, hop: HopView, rounds: int) -> None:
        new = hop.switches - state.switches
        state.switches = hop.switches
        for _ in range(max(0, min(new, 64))):
            state.switch_rounds.append(rounds)
        if new > 0:
            state.last_switch = rounds

    def _balanced(self, state: _HopState, rounds: int) -> bool:
        age = max(1, rounds - state.first_round)
        return state.switches >= BALANCED_SHARE * age and len(state.candidate) > 1

    def _flap(self, view: PathView, state: _HopState, hop: HopView, add: Add) -> None:
        rounds = view.rounds
        if state.flapping:
            if rounds - state.last_switch >= STABLE_ROUNDS:
                state.flapping = False  # still again: the routers now answering stand
                state.committed = state.candidate
                state.ever |= state.candidate
            return
        if state.committed is None or self._balanced(state, rounds):
            return
        recent = [r for r in state.switch_rounds if rounds - r < FLAP_ROUNDS]
        if len(recent) < FLAP_SWITCHES:
            return
        before = [r for r in state.switch_rounds if r < recent[0]]
        if before and recent[0] - before[-1] < STABLE_ROUNDS:
            return
        if recent[0] - state.first_round < STABLE_ROUNDS:
            return
        state.flapping = True
        routers = ", ".join(sorted(state.candidate | state.committed))
        seconds = (rounds - recent[0] + 1) * view.info.interval
        add(
            "route-flap",
            hop.ttl,
            f"hop {hop.ttl}: the route flaps ({len(recent)} changes in {seconds:.0f} s, "
            f"between {routers})",
        )

    def _commit(
        self,
        view: PathView,
        state: _HopState,
        hop: HopView,
        places: tuple[dict[str, int], dict[int, frozenset[str] | None]],
        add: Add,
    ) -> bool:
        """``places``: the hop each router answers at now, and each hop's routers before."""
        rounds = view.rounds
        where, before = places
        if state.flapping or state.candidate == state.committed:
            return False
        if rounds - state.candidate_since < CONFIRM_ROUNDS:
            return False
        if not self._balanced(state, rounds) and rounds - state.last_switch < CONFIRM_ROUNDS:
            return False
        old, new = state.committed, state.candidate
        state.committed = new
        if old is None:
            state.ever |= new
            return False  # the hop's first routers: learning, not a change
        target = view.info.target
        for address in sorted(new - old):
            moved = any(address in (before.get(t) or ()) for t in (hop.ttl - 1, hop.ttl + 1))
            back = address in state.ever
            state.ever.add(address)
            if moved or address == target:
                continue
            responder = next(r for r in hop.responders if r.address == address)
            if back:
                add("responder-back", hop.ttl, f"hop {hop.ttl}: {address} answers again")
            else:
                label = host_label(responder, True)
                add("responder-new", hop.ttl, f"hop {hop.ttl}: {label} answers now")
        for address in sorted(old - new):
            if where.get(address, hop.ttl) != hop.ttl or address == target:
                continue  # it answers one TTL up or down: the path length changed
            add("responder-gone", hop.ttl, f"hop {hop.ttl}: {address} stopped answering")
        return True
