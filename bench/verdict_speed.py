"""How many rounds each verdict needs, and how often a clean path raises anything.

    .venv/bin/python bench/verdict_speed.py [--seeds N]

Runs the simulated network on virtual time (no root, no network), diagnosing
after every round as the live screen does at the default interval (1 s), and
prints, per scenario, the rounds until the expected verdict first shows at the
expected hop (median and worst over the seeds), and for the clean paths the
share of hop-rounds that showed anything but ``ok`` once settled.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from simpaths import Diagnosed, Run, chain, router, scenario, with_link, with_routers

SCENARIOS = {
    "loss-origin, 5% round trip": (with_link(chain(8), 4, loss=0.0253), 4, "loss-origin"),
    "loss-origin, 10% round trip": (with_link(chain(8), 4, loss=0.0513), 4, "loss-origin"),
    "rate-limited, 30% of replies": (
        with_routers(chain(8), 3, router(3, reply_loss=0.3)),
        3,
        "rate-limited",
    ),
    "silent": (with_routers(chain(8), 3, router(3, silent=True)), 3, "silent"),
    "unreachable": (with_routers(chain(8), 3, router(3, rejects="host")), 4, "unreachable"),
    "no-reply": (with_routers(chain(8), 8, router(8, silent=True)), 8, "no-reply"),
}
CLEAN = {
    "clean 30 hops": with_link(chain(30, delay_ms=0.5), 2, jitter_ms=2.0),
    "0.2% loss (below the 1% floor)": with_link(chain(10), 4, loss=0.001),
}


def rounds_until(path, ttl: int, verdict: str, seed: int, limit: int = 600) -> int | None:
    run = Diagnosed(Run(scenario(path), seed=seed, interval=1.0, timeout=1.0, max_ttl=40))
    for round_ in range(1, limit + 1):
        view = run.rounds(1)
        if run.verdicts(view).get(ttl) == verdict:
            return round_
    return None


def false_alarms(path, seed: int, rounds: int) -> tuple[int, int, int]:
    run = Diagnosed(Run(scenario(path), seed=seed, interval=1.0, timeout=1.0, max_ttl=40))
    run.rounds(rounds)
    settled = run.history[10:]
    flagged = sum(1 for verdicts in settled for v in verdicts.values() if v != "ok")
    return flagged, sum(len(v) for v in settled), len(run.events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--clean-rounds", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'scenario':34} {'median':>7} {'worst':>6}  (rounds at -i 1, {args.seeds} seeds)")
    for name, (path, ttl, verdict) in SCENARIOS.items():
        found = [rounds_until(path, ttl, verdict, seed) for seed in range(args.seeds)]
        missed = sum(1 for f in found if f is None)
        seen = [f for f in found if f is not None]
        median = statistics.median(seen) if seen else float("nan")
        worst = max(seen) if seen else float("nan")
        note = f"  ({missed} seeds never within 600 rounds)" if missed else ""
        print(f"{name:34} {median:7.0f} {worst:6.0f}{note}")
    for name, path in CLEAN.items():
        flagged = total = events = 0
        for seed in range(max(1, args.seeds // 4)):
            f, t, e = false_alarms(path, seed, args.clean_rounds)
            flagged, total, events = flagged + f, total + t, events + e
        print(
            f"{name:34} {flagged} of {total} settled hop-rounds not ok "
            f"({100.0 * flagged / total:.3f}%), {events} events"
        )


if __name__ == "__main__":
    main()
