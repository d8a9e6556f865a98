"""The live screen over the demo network on a virtual clock: the same picture every time.

Tests and the screenshot script use it. The engine does not run in a thread;
it is advanced by hand (``advance``), so what the screen shows depends only
on how much virtual time has passed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from pathlib import Path

from tracetui.cli import parse_config
from tracetui.probe.events import EngineEvent
from tracetui.probe.sim import SimNetwork, SimScenario
from tracetui.probe.types import Family
from tracetui.run.demo import DemoNames
from tracetui.run.live import VirtualTrace
from tracetui.run.live_many import ManyTraces
from tracetui.run.screen import screen_options
from tracetui.run.startup import Opened, open_session
from tracetui.run.target import Target
from tracetui.settings.config import Config
from tracetui.tui.app import TraceApp


def virtual_demo_app(*args: str, seconds: float = 20.0, export_dir: Path | None = None) -> TraceApp:
    config = parse_config(["--demo", *args])
    trace = VirtualTrace.open_demo(config)
    trace.advance(seconds)
    options = {**screen_options(config), "theme": config.theme, "on_theme": None}
    return TraceApp(trace, **options, export_dir=export_dir)


def advance(app: TraceApp, seconds: float) -> None:
    """Let the engine run on in virtual time, as its thread would in real time, and redraw."""
    trace = app.trace
    assert isinstance(trace, VirtualTrace)
    trace.advance(seconds)
    app.refresh_frame()


class VirtualMany(ManyTraces):
    """Several simulated targets on virtual time: no engine thread, advanced by hand."""

    def __init__(
        self, config: Config, traces: list[VirtualTrace], targets: Iterable[str] = ()
    ) -> None:
        super().__init__(config, list(traces), targets)
        self.virtual = traces

    def start(self) -> None:
        """Time moves only when ``advance`` is called."""

    def advance(self, seconds: float) -> None:
        for trace in self.virtual:
            trace.advance(seconds)


def virtual_many_app(
    targets: dict[str, SimScenario],
    *args: str,
    seconds: float = 30.0,
    export_dir: Path | None = None,
) -> TraceApp:
    """The live screen over several simulated paths, one per target (named as given)."""
    config = parse_config(["--demo", *args])
    traces = []
    for name, scenario in targets.items():
        sim = SimNetwork(scenario, Family.V4, seed=7)
        events: deque[EngineEvent] = deque()
        own = DemoNames(config.aslookup)
        opened = Opened(Target(name, sim.target, Family.V4), sim, sim.clock, names=own)
        session = open_session(config, events.append, virtual_time=True, opened=opened)
        trace = VirtualTrace(session, events)
        trace.snapshot()  # the start is stamped at virtual time zero
        trace.advance(seconds)
        traces.append(trace)
    many = VirtualMany(config, traces, targets)
    options = {**screen_options(config), "theme": config.theme, "on_theme": None}
    return TraceApp(many, **options, export_dir=export_dir)
