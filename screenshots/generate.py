"""Regenerate the SVG screenshots in this folder from the demo on virtual time.

.venv/bin/python screenshots/generate.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tracetui import icmp_extensions
from tracetui.probe.sim import SimScenario
from tracetui.run.demo import DEMO_PATHS, demo_targets
from tracetui.virtual_demo import virtual_demo_app, virtual_many_app

HERE = Path(__file__).parent
SIZE = (120, 34)
SHOTS = {
    "main": [],
    "detail-ecmp-hop": ["down"] * 6,
    "detail-rate-limited-hop": ["down"] * 8,
    "events": ["v"],
    "chart-with-as": ["d", "z"],
    "help": ["question_mark"],
    "export-dialog": ["E"],
    "settings-dialog": ["m"],
    "mpls-and-interface": ["e", "down", "down", "down", "down", "down"],
    "packet-inspector": ["down", "down", "down", "x"],
}


ARGUMENT_SHOTS = {
    "multipath-branches": (["-u", "--multipath"], []),
}
"""Shots of a run with options: (arguments, keys)."""

LONG_SHOTS = {
    "timeline-focus": ["T", "right_square_bracket", "comma", "comma", "F"],
}
"""Shots of half an hour of the demo, their notices cleared: the timeline needs a history."""

MANY_SHOTS = {
    "several-targets": ["right", "right"],
    "target-list": ["l"],
}


def several_targets() -> dict[str, SimScenario]:
    """The demo's own path and the other simulated paths ``--demo HOST...`` offers."""
    return dict(demo_targets([path.name for path in DEMO_PATHS]))


async def shoot_many(name: str, keys: list[str]) -> None:
    app = virtual_many_app(several_targets(), seconds=120.0, export_dir=Path("."))
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))


async def shoot(
    name: str, keys: list[str], arguments: tuple[str, ...] = (), seconds: float = 120.0
) -> None:
    icmp_extensions.load()  # the live screen loads scapy after its first frame; a shot, now
    app = virtual_demo_app(*arguments, seconds=seconds, export_dir=Path("."))
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        if name in LONG_SHOTS:
            await pilot.pause(0.3)  # the timeline is asked for, then drawn
            app.clear_notifications()
            app.refresh_frame(detail_now=True)
            await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))


def main() -> None:
    for name, keys in SHOTS.items():
        asyncio.run(shoot(name, keys))
        print(HERE / f"{name}.svg")
    for name, (arguments, keys) in ARGUMENT_SHOTS.items():
        asyncio.run(shoot(name, keys, tuple(arguments)))
        print(HERE / f"{name}.svg")
    for name, keys in MANY_SHOTS.items():
        asyncio.run(shoot_many(name, keys))
        print(HERE / f"{name}.svg")
    for name, keys in LONG_SHOTS.items():
        asyncio.run(shoot(name, keys, seconds=1800.0))
        print(HERE / f"{name}.svg")


if __name__ == "__main__":
    main()
