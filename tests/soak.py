"""Soak: hours of 1-second rounds on a 30-hop simulated path, in virtual time.

    .venv/bin/python tests/soak.py --hours 168      # a week (about 6 minutes of CPU)

Prints one JSON object: resident memory, open file descriptors and the size of
every container that could grow, at checkpoints. The test suite runs a shorter
soak through this same code and asserts that nothing grows after warm-up.
The path has loss, jitter, an ECMP hop, a silent hop, duplicates, late replies
and other programs' packets, so every bookkeeping branch is exercised.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
from dataclasses import replace
from datetime import UTC, datetime

from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.sim import SimHop, SimLink, SimNetwork, SimPath, SimRouter, SimScenario
from tracetui.probe.types import Family

HOPS = 30


def soak_scenario() -> SimScenario:
    hops = []
    for index in range(1, HOPS + 1):
        routers = [SimRouter(f"198.18.{index}.1", f"2001:db8:{index:x}::1", silent=index == 12)]
        if index == 8:
            routers.append(SimRouter("198.18.8.2", "2001:db8:8::2"))
        link = SimLink(
            0.5, jitter_ms=0.3 if index % 5 == 0 else 0.0, loss=0.01 if index == 20 else 0
        )
        hops.append(SimHop(tuple(routers), link))
    base = SimPath(tuple(hops))
    # a route change every 6 hours: hop 15 alternates between two routers
    alternate = list(hops)
    alternate[14] = replace(hops[14], routers=(SimRouter("198.18.15.9", "2001:db8:f::9"),))
    paths = tuple(base if i % 2 == 0 else SimPath(tuple(alternate)) for i in range(60))
    return SimScenario(
        paths=paths,
        changes=tuple(6 * 3600.0 * i for i in range(1, 60)),
        duplicate_rate=0.01,
        late_rate=0.002,
        late_ms=4000.0,
        foreign_per_second=2.0,
    )


def resident_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run(hours: float, checkpoints: int) -> dict:
    sim = SimNetwork(soak_scenario(), Family.V4, seed=11)
    settings = ProbeSettings(interval=1.0, timeout=2.0, max_ttl=HOPS)
    info = TraceInfo("soak", sim.target, sim.client, Family.V4, 1, HOPS, 1.0, 2.0, 64, None, None)
    model = PathModel(info, settings.method, lambda: datetime.now(UTC))
    engine = Engine(sim, sim.clock, settings, model.apply)
    start = sim.clock.now()
    points = []
    for step in range(1, checkpoints + 1):
        engine.run(until=start + hours * 3600 * step / checkpoints)
        view = model.snapshot()
        awaited, deadlines, settled = engine.ledger_sizes
        gc.collect()
        points.append(
            {
                "hours": round(hours * step / checkpoints, 2),
                "rounds": view.rounds,
                "probes": engine.sent,
                "rss_kib": resident_kib(),
                "fds": open_fds(),
                "inflight": awaited,
                "expiry": deadlines,
                "recent": settled,
                "sim_queue": len(sim._queue),
                "hops": len(model.hops),
                "max_responders": max(len(h.responders) for h in model.hops.values()),
                "history_len": max(len(h.history) for h in view.hops),
            }
        )
    return {
        "checkpoints": points,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "counters": dict(engine.ignored),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=168.0)
    parser.add_argument("--checkpoints", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(run(args.hours, args.checkpoints)))


if __name__ == "__main__":
    main()
