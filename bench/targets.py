"""Many targets: one tracetui process against one mtr process per target, on one lab path.

    sudo .venv/bin/python bench/targets.py --targets 10,100 --rounds 30

Builds the benchmark lab's 6-hop path and gives its target namespace extra
addresses (198.18.6.10 and up, in the target's own subnet, so every one is
reached through the same five routers). Then, for each N, runs ``tracetui -r``
over N of those addresses at one round a second, and N ``mtr -r`` processes
over the same addresses at the same time, each for the same rounds, and prints
CPU seconds (user + system, the processes and what they waited for) and peak
memory per target. Every probe stays inside the lab namespaces.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.builder import Lab, ip  # noqa: E402
from run import PATH_TOPOLOGY, TRACETUI, find_mtr, machine, netns  # noqa: E402


def add_targets(lab: Lab, count: int) -> list[str]:
    """``count`` more addresses on the target, in its subnet: the same path to each."""
    plan = lab.plan
    wire = plan.upstream_wires(plan.target)[0]
    base = wire.address("down", 4).rsplit(".", 1)[0]
    addresses = [f"{base}.{10 + index}" for index in range(count)]
    for address in addresses:
        ip("addr", "add", f"{address}/32", "dev", wire.down_dev, ns=plan.target)
    return addresses


def run_tracetui(lab: Lab, targets: list[str], rounds: int) -> tuple[float, int]:
    process = subprocess.Popen(
        netns(lab, [*TRACETUI, "-n", "-r", "-c", str(rounds), "-i", "1", *targets]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_mtr(lab: Lab, mtr: str, targets: list[str], rounds: int) -> tuple[float, int]:
    processes = [
        subprocess.Popen(
            netns(lab, [mtr, "-n", "-r", "-c", str(rounds), "-i", "1", target]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for target in targets
    ]
    cpu = 0.0
    peak = 0
    for process in processes:
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        cpu += usage.ru_utime + usage.ru_stime
        peak += usage.ru_maxrss
    return cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="10,100", help="values of N, e.g. 10,100,500")
    parser.add_argument("--rounds", type=int, default=30, help="rounds at one a second")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, raw sockets)")
    sizes = [int(n) for n in args.targets.split(",")]
    mtr = find_mtr()
    rows = []
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with Lab(PATH_TOPOLOGY, "n") as lab:
        addresses = add_targets(lab, max(sizes))
        for size in sizes:
            targets = addresses[:size]
            ours, our_rss = run_tracetui(lab, targets, args.rounds)
            theirs, their_rss = run_mtr(lab, mtr, targets, args.rounds)
            rows.append((size, ours, theirs, our_rss, their_rss))
    print(f"Measured {started} UTC on {machine()}.")
    command = f"sudo .venv/bin/python bench/targets.py --targets {args.targets}"
    print(f"Command: `{command} --rounds {args.rounds}`\n")
    print(
        "| N | tracetui CPU | mtr CPU (N processes) | ratio | tracetui peak RSS | mtr RSS (sum) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for size, ours, theirs, our_rss, their_rss in rows:
        print(
            f"| {size} | {ours:.2f} s ({ours / size * 1000:.0f} ms/target) | "
            f"{theirs:.2f} s ({theirs / size * 1000:.0f} ms/target) | {ours / theirs:.2f} | "
            f"{our_rss / 1024:.0f} MB | {their_rss / 1024:.0f} MB |"
        )


if __name__ == "__main__":
    main()
