"""Long runs: memory, descriptors and every container stay flat (tests/soak.py, virtual time).

The suite soaks 12 virtual hours (about 40 s of CPU); TRACETUI_SOAK_HOURS=168 runs the
week that BENCHMARKS.md reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HOURS = float(os.environ.get("TRACETUI_SOAK_HOURS", "12"))
GROWTH_LIMIT_KIB = 2048


def test_a_long_run_keeps_memory_and_state_flat():
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("soak.py")),
            "--hours",
            str(HOURS),
            "--checkpoints",
            "6",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    result = json.loads(done.stdout)
    points = result["checkpoints"]
    warm = points[0]
    last = points[-1]
    assert last["rounds"] >= HOURS * 3600 - 2
    assert last["rss_kib"] - warm["rss_kib"] < GROWTH_LIMIT_KIB, points
    for point in points:
        assert point["fds"] == warm["fds"]
        assert point["inflight"] <= 30 * 3  # 30 hops, at most ~2 s of rounds in flight
        assert point["expiry"] <= 30 * 3 + 30 * 3  # answered entries linger until they expire
        assert point["recent"] <= 8192
        assert point["sim_queue"] <= 200
        assert point["hops"] <= 30
        assert point["max_responders"] <= 16
        assert point["history_len"] <= 240
    counters = result["counters"]
    assert counters["duplicate"] > 0 and counters["late"] > 0 and counters["foreign"] > 0
