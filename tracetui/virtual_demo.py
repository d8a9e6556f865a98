"""The live screen over the demo network on a virtual clock: the same picture every time.

Tests and the screenshot script use it. The engine does not run in a thread;
it is advanced by hand (``advance``), so what the screen shows depends only
on how much virtual time has passed.
"""

from __future__ import annotations

from pathlib import Path

from tracetui.cli import parse_config
from tracetui.launch import screen_options
from tracetui.live import VirtualTrace
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
