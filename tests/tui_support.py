"""Deterministic live screens for tests: the demo network on virtual time, stepped by hand."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tracetui.path.snapshot import NameInfo
from tracetui.probe.sim import SimHop, SimLink, SimPath, SimRouter, SimScenario
from tracetui.run import demo as demo_module
from tracetui.run import startup as startup_module
from tracetui.tui.app import TraceApp
from tracetui.virtual_demo import advance, virtual_demo_app, virtual_many_app

__all__ = ["advance", "demo_app", "long_demo_app", "many_demo_app", "screen_text"]


def many_demo_app(
    monkeypatch, tmp_path: Path, targets: dict[str, SimScenario], seconds: float = 30.0
) -> TraceApp:
    """The live screen over several simulated paths at once (one per target, as named)."""
    monkeypatch.setattr(startup_module, "drop_privileges", lambda: None)
    return virtual_many_app(targets, seconds=seconds, export_dir=tmp_path)


def demo_app(monkeypatch, tmp_path: Path, *args: str, seconds: float = 20.0) -> TraceApp:
    # the demo drops privileges when started by root; never do that to the test process
    monkeypatch.setattr(startup_module, "drop_privileges", lambda: None)
    return virtual_demo_app(*args, seconds=seconds, export_dir=tmp_path)


def long_demo_app(monkeypatch, tmp_path: Path, hops: int, seconds: float = 20.0) -> TraceApp:
    """The demo path stretched to ``hops`` hops: transit routers with names between its
    last router and its target, as a long intercontinental path has."""
    short = demo_module.demo_scenario().paths[0].hops
    names = demo_module.demo_names()
    extra = []
    for index in range(hops - len(short)):
        address4, address6 = f"198.19.{index + 1}.1", f"2001:db8:1{index + 1:02x}::1"
        extra.append(SimHop((SimRouter(address4, address6),), SimLink(3.0, 0.3)))
        name = f"ae{index % 4}.cr{index + 1}.longhaul.transit.example"
        names[address4] = names[address6] = NameInfo(name, 64496, "EXAMPLE-TRANSIT")
    path = SimPath((*short[:-1], *extra, short[-1]))
    monkeypatch.setattr(demo_module, "demo_scenario", lambda: SimScenario(paths=(path,)))
    monkeypatch.setattr(demo_module, "demo_names", lambda: names)
    return demo_app(monkeypatch, tmp_path, seconds=seconds)


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
