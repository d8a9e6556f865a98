"""Deterministic live screens for tests: the demo network on virtual time, stepped by hand."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tracetui import startup as startup_module
from tracetui.tui.app import TraceApp
from tracetui.virtual_demo import advance, virtual_demo_app

__all__ = ["advance", "demo_app", "screen_text"]


def demo_app(monkeypatch, tmp_path: Path, *args: str, seconds: float = 20.0) -> TraceApp:
    # the demo drops privileges when started by root; never do that to the test process
    monkeypatch.setattr(startup_module, "drop_privileges", lambda: None)
    return virtual_demo_app(*args, seconds=seconds, export_dir=tmp_path)


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
