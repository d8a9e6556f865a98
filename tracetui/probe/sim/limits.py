"""Token buckets on the ICMP simulated routers send, shared the way real routers share them.

Linux (net/ipv4/icmp.c, net/ipv4/inetpeer.c) keeps one bucket per
destination: ``icmp_ratelimit`` milliseconds of credit per message, at most
six messages' worth, full when the destination is first seen; and one bucket
for the whole host (``icmp_msgs_per_sec``, ``icmp_msgs_burst``). Every target
probed from one client is the same destination to a router, so the buckets
live in a :class:`SimWorld` that several simulated targets can share.
"""

from __future__ import annotations

from tracetui.probe.sim.world import IcmpLimit, SimRouter
from tracetui.probe.types import Family


class TokenBucket:
    """Credit in seconds: ``cost`` per message, at most ``capacity``, earned at one per second."""

    __slots__ = ("capacity", "cost", "last", "tokens")

    def __init__(self, cost: float, capacity: float) -> None:
        self.cost = cost
        self.capacity = capacity
        self.tokens = capacity
        self.last: float | None = None

    def take(self, now: float, earn: float = 1.0) -> bool:
        """Spend one message's credit at ``now`` if there is enough; ``earn`` scales the
        refill (a host budget that others draw on earns less for us)."""
        if self.last is None:
            self.last = now
        elif now > self.last:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * earn)
            self.last = now
        if self.tokens >= self.cost:
            self.tokens -= self.cost
            return True
        return False


class _RouterBudget:
    __slots__ = ("host", "host_earn", "peer")

    def __init__(self, limit: IcmpLimit) -> None:
        interval = limit.interval_ms / 1000.0
        self.peer = TokenBucket(interval, interval * limit.burst) if interval > 0 else None
        per_message = 1.0 / limit.host_per_sec
        self.host = TokenBucket(per_message, per_message * limit.host_burst)
        self.host_earn = max(0.0, 1.0 - limit.busy_per_sec / limit.host_per_sec)

    def take(self, now: float) -> bool:
        # Linux asks the host-wide budget first, then the destination's
        if not self.host.take(now, self.host_earn):
            return False
        return self.peer is None or self.peer.take(now)


class SimWorld:
    """What the simulated targets of one run share: each router's ICMP budgets."""

    def __init__(self) -> None:
        self._budgets: dict[str, _RouterBudget] = {}

    def allows(self, router: SimRouter, family: Family, now: float, *, echo: bool) -> bool:
        """Whether ``router`` may send an ICMP message to us at ``now`` (and spend for it)."""
        limit = router.limit
        if limit is None or (echo and not limit.echo):
            return True
        address = router.address(family)
        budget = self._budgets.get(address)
        if budget is None:
            budget = self._budgets[address] = _RouterBudget(limit)
        return budget.take(now)
