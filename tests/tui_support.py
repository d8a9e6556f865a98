"""Deterministic live screens for tests: the demo network on virtual time, stepped by hand."""

from __future__ import annotations

import html
import re
from collections import deque
from pathlib import Path

from tracetui import session as session_module
from tracetui.cli import parse_config
from tracetui.demo import DemoNames
from tracetui.session import open_session
from tracetui.tui.app import TraceApp


def demo_app(monkeypatch, tmp_path: Path, *args: str, seconds: float = 20.0) -> TraceApp:
    # the demo drops privileges when started by root; never do that to the test process
    monkeypatch.setattr(session_module, "drop_privileges", lambda: None)
    config = parse_config(["--demo", *args])
    events: deque = deque()
    session = open_session(config, events.append, virtual_time=True)
    session.engine.run(until=session.clock.now() + seconds)
    names = DemoNames(config.aslookup)
    return TraceApp(
        session,
        events,
        names,
        config.names,
        config.aslookup,
        run_engine=False,
        export_dir=tmp_path,
    )


def advance(app: TraceApp, seconds: float) -> None:
    """Let the engine run on (virtual time), as its thread would."""
    engine = app.session.engine
    engine.run(until=app.session.clock.now() + seconds)


def screen_text(app: TraceApp) -> str:
    """What the terminal shows, as plain text (from Textual's own SVG export)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for attrs, content in re.findall(r"<text([^>]*)>(.*?)</text>", svg):
        x = re.search(r'\bx="([\d.]+)"', attrs)
        y = re.search(r'\by="([\d.]+)"', attrs)
        if x and y:
            rows.setdefault(float(y.group(1)), []).append((float(x.group(1)), content))
    lines = ["".join(part for _, part in sorted(parts)) for _, parts in sorted(rows.items())]
    return html.unescape("\n".join(lines)).replace("\xa0", " ")
