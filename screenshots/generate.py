"""Regenerate the SVG screenshots in this folder from the demo on virtual time.

.venv/bin/python screenshots/generate.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tracetui import icmp_extensions
from tracetui.virtual_demo import virtual_demo_app

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


if __name__ == "__main__":
    main()
