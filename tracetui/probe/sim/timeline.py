"""Networks that change over time: loss episodes, latency steps, drifts, flaps, longer paths.

A :class:`Timeline` starts from a base path and collects changes, each a
function from a path to a path applied over a span of seconds; ``scenario``
cuts time at every boundary and gives the :class:`SimScenario` whose paths
take turns. State that belongs to a router or a link (ICMP budgets, burst
spells) is kept by address in the network, so it survives the path around
it changing::

    Timeline(base).between(100, 300, link(4, loss=0.1)).at(600, link(2, delay_ms=21))

Hops are numbered from 1 as TTLs are, counting the elements of the path
(a :class:`SimBranches` is one element).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tracetui.probe.sim.world import SimBranches, SimHop, SimPath, SimScenario

Change = Callable[[SimPath], SimPath]


def _hop(path: SimPath, hop: int) -> SimHop:
    element = path.hops[hop - 1]
    if isinstance(element, SimBranches):
        raise ValueError(f"hop {hop} is a set of branches; change the branches themselves")
    return element


def _put(path: SimPath, hop: int, element: SimHop | SimBranches) -> SimPath:
    hops = list(path.hops)
    hops[hop - 1] = element
    return SimPath(tuple(hops))


def link(hop: int, **fields: Any) -> Change:
    """Change the link into ``hop`` (``loss=0.1``, ``delay_ms=25``, ``bursts=...``)."""

    def change(path: SimPath) -> SimPath:
        old = _hop(path, hop)
        return _put(path, hop, replace(old, link=replace(old.link, **fields)))

    return change


def router(hop: int, **fields: Any) -> Change:
    """Change every router of ``hop`` (``processing_ms=30``, ``limit=LINUX_LIMIT``, ...)."""

    def change(path: SimPath) -> SimPath:
        old = _hop(path, hop)
        routers = tuple(replace(r, **fields) for r in old.routers)
        return _put(path, hop, replace(old, routers=routers))

    return change


def routers(hop: int, *new: Any) -> Change:
    """Put other routers at ``hop`` (a route change)."""

    def change(path: SimPath) -> SimPath:
        return _put(path, hop, replace(_hop(path, hop), routers=tuple(new)))

    return change


def insert(hop: int, new: SimHop) -> Change:
    """Put ``new`` in as hop ``hop``: the path gets a hop longer from there on."""

    def change(path: SimPath) -> SimPath:
        hops = list(path.hops)
        hops.insert(hop - 1, new)
        return SimPath(tuple(hops))

    return change


class Timeline:
    """A base path and the changes it goes through (see the module docstring)."""

    def __init__(self, base: SimPath) -> None:
        self.base = base
        self._spans: list[tuple[float, float, Change]] = []

    def between(self, start: float, end: float, change: Change) -> Timeline:
        """``change`` holds from ``start`` until ``end`` seconds (an episode)."""
        self._spans.append((start, end, change))
        return self

    def at(self, start: float, change: Change) -> Timeline:
        """``change`` holds from ``start`` on (a step)."""
        return self.between(start, math.inf, change)

    def flap(self, start: float, end: float, every: float, change: Change) -> Timeline:
        """``change`` comes and goes every ``every`` seconds between ``start`` and ``end``."""
        on = start
        while on < end:
            self.between(on, min(on + every, end), change)
            on += 2 * every
        return self

    def drift(
        self, start: float, end: float, change: Callable[[float], Change], step: float = 1.0
    ) -> Timeline:
        """``change(fraction)`` moves from 0 to 1 between ``start`` and ``end``, a step every
        ``step`` seconds, and holds at 1 afterwards."""
        steps = max(1, math.ceil((end - start) / step))
        for index in range(steps):
            begin = start + index * step
            self.between(begin, min(begin + step, end), change((index + 1) / steps))
        return self.at(end, change(1.0))

    def path_at(self, elapsed: float) -> SimPath:
        path = self.base
        for start, end, change in self._spans:
            if start <= elapsed < end:
                path = change(path)
        return path

    def scenario(self, **options: Any) -> SimScenario:
        """The scenario that plays this timeline (``options`` as :class:`SimScenario` takes)."""
        cuts = sorted({t for s, e, _ in self._spans for t in (s, e) if 0 < t < math.inf})
        paths = [self.path_at(0.0)]
        changes: list[float] = []
        for cut in cuts:
            path = self.path_at(cut)
            if path != paths[-1]:
                paths.append(path)
                changes.append(cut)
        return SimScenario(paths=tuple(paths), changes=tuple(changes), **options)
