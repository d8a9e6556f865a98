"""Run the engine over a simulated path in virtual time: the view and every event it made."""

from __future__ import annotations

from datetime import UTC, datetime

from tracetui.path.model import PathModel
from tracetui.path.snapshot import PathView, TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.events import EngineEvent
from tracetui.probe.sim import SimHop, SimNetwork, SimPath, SimScenario
from tracetui.probe.types import Family
from tracetui.report.mtr_streams import RawStream

STARTED = datetime(2026, 11, 22, 21, 9, 36, tzinfo=UTC)


def run_path(
    hops: tuple[SimHop, ...], count: int, target_name: str = "t"
) -> tuple[PathView, list[EngineEvent]]:
    """``count`` rounds at 0.2 s (timeout 1 s), ICMP over IPv4, as host "vm"."""
    sim = SimNetwork(SimScenario(paths=(SimPath(hops),)), Family.V4)
    settings = ProbeSettings(interval=0.2, timeout=1.0, count=count)
    info = TraceInfo(
        target_name, sim.target, sim.client, Family.V4, 1, 30, 0.2, 1.0, 64, None, count,
        local_host="vm",
    )  # fmt: skip
    model = PathModel(info, settings.method, lambda: STARTED)
    events: list[EngineEvent] = []

    def sink(event: EngineEvent) -> None:
        events.append(event)
        model.apply(event)

    Engine(sim, sim.clock, settings, sink).run()
    return model.snapshot(), events


def raw_lines(events: list[EngineEvent], *, mpls: bool) -> list[str]:
    """What ``-l`` (with ``-e`` when ``mpls``) writes for these events."""
    lines: list[str] = []
    stream = RawStream(lines.append, None, mpls=mpls)
    for event in events:
        stream.observe(event)
    return "".join(lines).splitlines()
