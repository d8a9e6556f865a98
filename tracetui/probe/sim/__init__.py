"""A simulated network for tests, benchmarks and ``--demo``: a Transport on virtual time.

:mod:`~tracetui.probe.sim.world` describes what a network is made of,
:mod:`~tracetui.probe.sim.network` plays it, :mod:`~tracetui.probe.sim.limits`
keeps routers' ICMP budgets and :mod:`~tracetui.probe.sim.timeline` builds
networks that change over time.
"""

from tracetui.probe.sim.clocks import RealtimeClock, VirtualClock
from tracetui.probe.sim.limits import SimWorld
from tracetui.probe.sim.network import SimNetwork
from tracetui.probe.sim.replies import QUOTE_LIMIT
from tracetui.probe.sim.world import (
    LINUX_LIMIT,
    REJECT_CODES,
    Bursts,
    IcmpLimit,
    SimBranches,
    SimHop,
    SimLink,
    SimPath,
    SimRouter,
    SimScenario,
)

__all__ = [
    "LINUX_LIMIT",
    "QUOTE_LIMIT",
    "REJECT_CODES",
    "Bursts",
    "IcmpLimit",
    "RealtimeClock",
    "SimBranches",
    "SimHop",
    "SimLink",
    "SimNetwork",
    "SimPath",
    "SimRouter",
    "SimScenario",
    "SimWorld",
    "VirtualClock",
]
