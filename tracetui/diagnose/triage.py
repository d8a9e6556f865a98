"""Which routers to ping, and when, to tell a rate limit from real loss.

The verdict rule says which addresses pings would decide or confirm (an end
of the path that loses more than the hops before it, an origin of loss, a
suspected limiter, the limiters where loss may begin). The planner pings
them, at most ``MAX_HOPS`` per look (those waiting longest first; a report
looks once a second, so that is also the most a target asks for a second),
and each address at most once per ``PING_SECONDS`` whatever the number of
targets: every target's diagnosis of one run shares one
:class:`TriageBudget`, so eight targets behind one router still give it one
ping a second. Within ``PING_SPAN`` an address gets at most ``MAX_PINGS``:
enough to tell a modest loss from a limit; when they age out of the span the
verdict asks again, so a confirmation is checked anew. Pings never count in
a hop's Snt or Loss%.
"""

from __future__ import annotations

from tracetui.diagnose.verdicts import PING_SPAN
from tracetui.path.snapshot import PathView

PING_SECONDS = 1.0
MAX_HOPS = 6
MAX_PINGS = 120


class TriageBudget:
    """When each address was last pinged, by any target of the run (engine clock)."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def last(self, address: str) -> float:
        """When ``address`` was last pinged (minus infinity: never)."""
        return self._last.get(address, float("-inf"))

    def take(self, address: str, now: float) -> bool:
        """Whether ``address`` may be pinged at ``now``; if so, it is booked."""
        last = self._last.get(address)
        if last is not None and now - last < PING_SECONDS:
            return False
        self._last[address] = now
        if len(self._last) > 4096:
            cutoff = now - PING_SPAN
            self._last = {a: t for a, t in self._last.items() if t >= cutoff}
        return True


class TriagePlanner:
    def __init__(self, budget: TriageBudget | None = None) -> None:
        self.budget = budget if budget is not None else TriageBudget()

    def due(self, view: PathView, wanted: list[str]) -> list[str]:
        """Of the addresses ``wanted`` (most needed first), those to ping now."""
        out: list[str] = []
        now = view.clock
        # the longest waiting first, so that one verdict's pings do not starve another's
        for address in sorted(wanted, key=self.budget.last):
            if len(out) >= MAX_HOPS:
                break
            echo = view.echoes.get(address)
            if echo is not None:
                recent = sum(1 for at, _ok in echo.recent if at >= now - PING_SPAN)
                in_flight = echo.sent - echo.received - echo.lost
                if recent + in_flight >= MAX_PINGS:
                    continue
            if self.budget.take(address, now):
                out.append(address)
        return out
