"""Regenerate the SVG screenshots in this folder from the demo on virtual time.

.venv/bin/python screenshots/generate.py
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from tracetui import icmp_extensions
from tracetui.probe.sim import SimPath, SimRouter, SimScenario
from tracetui.run.demo import DEMO_TARGET_NAME, demo_scenario
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
    "export-dialog": ["e"],
    "mpls-and-interface": ["m", "down", "down", "down", "down", "down"],
    "packet-inspector": ["down", "down", "down", "x"],
}


MANY_SHOTS = {
    "several-targets": ["right", "right"],
    "target-list": ["l"],
}


def several_targets() -> dict[str, SimScenario]:
    """The demo's path (loss from the metro ring on) and two more servers: one behind the
    same ISP whose path is clean, one that never answers."""
    hops = demo_scenario().paths[0].hops

    def ending(address: str, *, silent: bool = False, clean: bool = False) -> SimPath:
        router = SimRouter(address, address.replace("198.18.9.", "2001:db8:9::"), silent=silent)
        path = [*hops[:-1], replace(hops[-1], routers=(router,))]
        if clean:
            path = [replace(hop, link=replace(hop.link, loss=0.0)) for hop in path]
        return SimPath(tuple(path))

    return {
        DEMO_TARGET_NAME: demo_scenario(),
        "mail.demo.example": SimScenario(paths=(ending("198.18.9.20", silent=True),)),
        "cdn.demo.example": SimScenario(paths=(ending("198.18.9.30", clean=True),)),
    }


async def shoot_many(name: str, keys: list[str]) -> None:
    app = virtual_many_app(several_targets(), seconds=120.0, export_dir=Path("."))
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))


async def shoot(name: str, keys: list[str]) -> None:
    icmp_extensions.load()  # the live screen loads scapy after its first frame; a shot, now
    app = virtual_demo_app(seconds=120.0, export_dir=Path("."))
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(HERE))


def main() -> None:
    for name, keys in SHOTS.items():
        asyncio.run(shoot(name, keys))
        print(HERE / f"{name}.svg")
    for name, keys in MANY_SHOTS.items():
        asyncio.run(shoot_many(name, keys))
        print(HERE / f"{name}.svg")


if __name__ == "__main__":
    main()
