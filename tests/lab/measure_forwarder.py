"""Measure the link forwarder's own error: ping through one emulated link of known delay.

Run as root: .venv/bin/python tests/lab/measure_forwarder.py
iputils ping uses kernel receive timestamps, so what it adds to twice the
configured delay is the forwarder's error over two traversals (plus the
kernel's own few microseconds, shown by the 0 ms row, a plain veth pair).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.builder import Lab
from lab.topology import Link, Router, Stage, Topology

COUNT = 2000


def main() -> None:
    print(
        f"{'one-way ms':>10} {'expected':>9} {'min':>8} {'avg':>8} {'max':>8} {'mdev':>7} "
        f"{'err/traversal avg':>18}"
    )
    for delay in (0.0, 0.5, 1.0, 5.0, 20.0):
        topology = Topology(
            (Stage((Router(),), Link(delay)), Stage((Router(),), Link())), dns=False
        )
        with Lab(topology, "f") as lab:
            out = lab.exec(
                "ping", "-q", "-c", str(COUNT), "-i", "0.005", lab.plan.target_address(4)
            ).stdout
        low, avg, high, mdev = map(
            float, re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+)", out).groups()
        )
        expected = 2 * delay
        print(
            f"{delay:10.1f} {expected:9.3f} {low:8.3f} {avg:8.3f} {high:8.3f} {mdev:7.3f} "
            f"{(avg - expected) / 2:+18.3f}"
        )


if __name__ == "__main__":
    main()
