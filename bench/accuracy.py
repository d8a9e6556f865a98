"""How often the diagnosis is right, on a matrix of simulated conditions with their ground truth.

    .venv/bin/python bench/accuracy.py [--seeds 20] [--jobs 2] [--only TEXT] [--verbose]

Every condition of ``tests/conditions.py`` (clean paths, loss on the first,
middle and last link, one-way and bursty loss, rate limits by rate, refusals,
a target answering from another address, changes over time, short runs) is
played with each seed on virtual time, diagnosed every round as the live
screen does, and judged (see ``tests/conditions.judge``). Prints, per
condition, the runs that were right, the median seconds until each expected
verdict first showed, and one reason a run was wrong; then the confusion
matrix of the verdicts a report prints at the end (expected by row, printed
by column, over every hop of every run) and the share of runs right.
No root and no network: nothing leaves the process.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conditions import Trial, conditions, judge, rounds_to_verdict

VERDICTS = [
    "ok",
    "pending",
    "loss-origin",
    "loss-carried",
    "rate-limited",
    "silent",
    "no-reply",
    "unreachable",
]


def _one(task: tuple[int, int]) -> tuple[int, int, list[str], dict[int, float], list[tuple]]:
    index, seed = task
    condition = conditions()[index]
    record = Trial(condition, seed).play()
    wrong = judge(record)
    pairs = []
    last = condition.phases[-1]
    hops = condition.hops or max(record.final, default=0)
    for ttl in range(1, hops + 1):
        accepted = last.accepted(ttl)
        expected = sorted(accepted - {"pending"} or accepted)[0]
        got = record.final.get(ttl, "missing")
        pairs.append((expected, got if got not in accepted else expected))
    return index, seed, wrong, rounds_to_verdict(record), pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="conditions whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="every wrong run's reasons")
    args = parser.parse_args()
    matrix = conditions()
    chosen = [i for i, c in enumerate(matrix) if args.only in c.name]
    tasks = [(i, seed) for i in chosen for seed in range(args.seeds)]
    started = time.perf_counter()
    results: dict[int, list] = {i: [] for i in chosen}
    with ProcessPoolExecutor(args.jobs) as pool:
        for result in pool.map(_one, tasks, chunksize=1):
            results[result[0]].append(result)
    confusion: Counter[tuple[str, str]] = Counter()
    right_total = 0
    print(f"{'condition':62} {'right':>7}  seconds to verdict (median)  a reason when wrong")
    group = None
    for index in chosen:
        condition = matrix[index]
        if condition.group != group:
            group = condition.group
            print(f"-- {group}")
        runs = results[index]
        right = sum(1 for r in runs if not r[2])
        right_total += right
        times: dict[int, list[float]] = {}
        for run in runs:
            for ttl, seconds in run[3].items():
                times.setdefault(ttl, []).append(seconds)
            confusion.update(run[4])
        speed = ", ".join(
            f"{ttl}:{_median(values)}" for ttl, values in sorted(times.items()) if ttl
        )
        reason = next((r[2][0] for r in runs if r[2]), "")
        print(f"{condition.name[:62]:62} {right:3}/{len(runs):<3}  {speed[:28]:28} {reason[:90]}")
        if args.verbose:
            for run in runs:
                if run[2]:
                    print(f"      seed {run[1]}: " + "; ".join(run[2][:4]))
    total = len(tasks)
    print()
    print("final verdicts (report), expected by row, printed by column:")
    present = [v for v in VERDICTS if any(k[0] == v or k[1] == v for k in confusion)]
    extra = sorted({k[1] for k in confusion} - set(VERDICTS))
    columns = present + extra
    print(f"{'':14}" + "".join(f"{c[:12]:>13}" for c in columns))
    for expected in present:
        row = [confusion.get((expected, got), 0) for got in columns]
        print(f"{expected:14}" + "".join(f"{n:13}" for n in row))
    share = 100.0 * right_total / total if total else 0.0
    elapsed = time.perf_counter() - started
    print()
    print(
        f"right: {right_total} of {total} runs ({share:.1f} %), "
        f"{len(chosen)} conditions x {args.seeds} seeds, {elapsed:.0f} s"
    )


def _median(values: list[float]) -> str:
    found = [v for v in values if math.isfinite(v)]
    missed = len(values) - len(found)
    text = f"{statistics.median(found):.0f}" if found else "-"
    return text + (f"({missed} never)" if missed else "")


if __name__ == "__main__":
    main()
