"""Regenerate html-report.png: the --html page of a simulated night, as chromium draws it.

    .venv/bin/python screenshots/html_report.py

Two and a half hours of an 8-hop path at 1 s rounds on virtual time (no packet
leaves), 18 % loss on the link into hop 5 from 02:47 to 03:12 UTC, diagnosed
as the live screen does; the page is written next to this script's output and
opened by headless chromium in a network namespace without a network.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracetui.diagnose import Diagnoser
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.sim import SimHop, SimLink, SimNetwork, SimPath, SimRouter, SimScenario
from tracetui.probe.types import Family
from tracetui.report.common import ReportOptions
from tracetui.report.formats import CHART_POINTS, render

HERE = Path(__file__).parent
START = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
EPISODE = (datetime(2026, 12, 8, 2, 47, tzinfo=UTC), datetime(2026, 12, 8, 3, 12, tzinfo=UTC))
LENGTH = timedelta(hours=2, minutes=30)


def night() -> str:
    delays = (0.4, 1.5, 1.0, 4.0, 1.5, 2.5, 0.5, 0.3)
    hops = tuple(
        SimHop((SimRouter(f"198.18.{i}.1", f"2001:db8:{i:x}::1"),), SimLink(delay, jitter_ms=0.4))
        for i, delay in enumerate(delays, start=1)
    )
    clean = SimPath(hops)
    lossy_hops = list(hops)
    lossy_hops[4] = replace(hops[4], link=replace(hops[4].link, loss=0.09))  # 18 % both ways
    changes = tuple((moment - START).total_seconds() for moment in EPISODE)
    scenario = SimScenario((clean, SimPath(tuple(lossy_hops)), clean), changes=changes)
    sim = SimNetwork(scenario, Family.V4, seed=4)
    settings = ProbeSettings(interval=1.0, timeout=2.0, count=int(LENGTH.total_seconds()))
    info = TraceInfo(
        "shop.example", sim.target, sim.client, Family.V4, 1, 30, 1.0, 2.0, 64, None,
        settings.count, "laptop",
    )  # fmt: skip
    begun = sim.clock.now()
    model = PathModel(
        info, settings.method, lambda: START + timedelta(seconds=sim.clock.now() - begun)
    )
    engine = Engine(sim, sim.clock, settings, model.apply)
    diagnoser = Diagnoser()
    diagnosis = None
    for _ in range(settings.count // 10):
        engine.run(until=sim.clock.now() + 10.0)
        diagnosis = diagnoser.update(model.snapshot())
    engine.run()
    view = model.snapshot(timeline=CHART_POINTS)
    view = view._replace(diagnosis=diagnoser.update(view, final=True) or diagnosis)
    return render(view, "html", ReportOptions())


def main() -> None:
    page = night()
    with tempfile.TemporaryDirectory() as scratch:
        html = Path(scratch) / "report.html"
        html.write_text(page)
        subprocess.run(
            [
                "unshare", "--net", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                f"--user-data-dir={scratch}/profile", "--hide-scrollbars",
                "--window-size=1000,1750", f"--screenshot={HERE / 'html-report.png'}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    print(f"html-report.png written; the page was {len(page.encode()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
