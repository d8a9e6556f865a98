"""The live screen over the demo network on a virtual clock: the same picture every time.

Tests and the screenshot script use it. The engine does not run in a thread;
it is advanced by hand (``advance``), so what the screen shows depends only
on how much virtual time has passed.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from tracetui.cli import parse_config
from tracetui.demo import DemoNames
from tracetui.events import EngineEvent
from tracetui.session import open_session
from tracetui.tui.app import TraceApp


def virtual_demo_app(*args: str, seconds: float = 20.0, export_dir: Path | None = None) -> TraceApp:
    config = parse_config(["--demo", *args])
    events: deque[EngineEvent] = deque()
    session = open_session(config, events.append, virtual_time=True)
    session.model.apply_all(list(events))  # the start is stamped at virtual time zero
    events.clear()
    session.engine.run(until=session.clock.now() + seconds)
    return TraceApp(
        session,
        events,
        DemoNames(config.aslookup),
        config.names,
        config.aslookup,
        run_engine=False,
        export_dir=export_dir,
    )


def advance(app: TraceApp, seconds: float) -> None:
    """Let the engine run on in virtual time, as its thread would in real time."""
    app.session.engine.run(until=app.session.clock.now() + seconds)
