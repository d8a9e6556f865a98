"""A month of one path in a few minutes: what the model holds after 30 days at 1 s rounds.

    .venv/bin/python bench/soak.py                    # 30 days, 30 hops, 1 s rounds
    .venv/bin/python bench/soak.py --days 2 --hops 15

Feeds a PathModel the events the engine would give it for a path of ``--hops``
hops, one round a second for ``--days`` days on the engine's clock (virtual
time: no packet leaves), every hop answering with an RTT that wanders and 2 %
loss, and prints, every simulated day, the resident set of this process (its
growth since the model was made), the bytes held by the hops' history arrays,
and the CPU per result; at the end, what the timeline pane costs a frame.
The history is bounded by its tiers (tracetui/path/
history.py), so the resident set should stop growing after day 30 whatever
the run length; the test suite's soak test measures the same model at 600 s
rounds by what it holds (tests/test_history.py).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracetui.path.history import bucket_seconds
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.events import ProbeLost, ProbeReplied, ProbeSent, RoundStarted
from tracetui.probe.types import Family, ProbeMethod, ReplyKind

DAY = 86400


def resident_kib() -> int:
    """This process's resident set now (Linux: /proc), in KiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--hops", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    info = TraceInfo(
        "soak", "198.18.0.30", "198.18.0.1", Family.V4, 1, args.hops, args.interval, 2.0, 64, 0, 0
    )
    model = PathModel(info, ProbeMethod.UDP, lambda: datetime(2026, 1, 1, tzinfo=UTC))
    start_kib = resident_kib()
    rng = random.Random(1)
    apply = model.apply
    responders = [f"198.18.0.{ttl}" for ttl in range(1, args.hops + 1)]
    rounds = int(args.days * DAY / args.interval)
    per_day = int(DAY / args.interval)
    cpu = time.process_time()
    print("day  resident growth MiB  history arrays MiB  CPU us/result")
    for round_ in range(1, rounds + 1):
        at = round_ * args.interval
        apply(RoundStarted(round_, at))
        for ttl in range(1, args.hops + 1):
            apply(ProbeSent(ttl, round_))
            if rng.random() < 0.02:
                apply(ProbeLost(ttl, round_))
            else:
                rtt = ttl + rng.random() * 3.0
                apply(
                    ProbeReplied(ttl, round_, responders[ttl - 1], rtt, ReplyKind.TIME_EXCEEDED, 0)
                )
        if round_ % per_day == 0:
            used = time.process_time() - cpu
            arrays = sum(hop.recent.nbytes() for hop in model.hops.values())
            print(
                f"{round_ // per_day:3d}  {(resident_kib() - start_kib) / 1024:19.2f}"
                f"  {arrays / 2**20:18.2f}  {used / (per_day * args.hops) * 1e6:13.2f}",
                flush=True,
            )
            cpu = time.process_time()
    month = model.snapshot(focus=(0.0, rounds * args.interval))
    print(f"whole span: {month.hops[0].sent} results at hop 1, {rounds} rounds")
    print("the timeline pane's cost per frame (every hop, 60 cells):")
    for span in (600.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0):
        if span > rounds * args.interval:
            break
        started = time.perf_counter()
        for _ in range(10):
            model.timeline(model.now - span, model.now, bucket_seconds(span, 60))
        print(f"  {span / 3600:6.1f} h: {(time.perf_counter() - started) * 100:.1f} ms")


if __name__ == "__main__":
    main()
