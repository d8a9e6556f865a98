"""Many targets: one tracetui process against one mtr process per target, on one lab path.

    sudo .venv/bin/python bench/targets.py --targets 10,100,500 --rounds 30
    sudo .venv/bin/python bench/targets.py --targets 1000 --interval 10 --rounds 12 \
        --no-mtr --capture

Builds the benchmark lab's 6-hop path and gives its target namespace extra
addresses (198.19.0.1 and up: the routers' default routes lead there, so every
one is reached through the same five routers). Then, for each N, runs
``tracetui -r`` over N of those addresses at one round every ``--interval``
seconds, and N ``mtr -r`` processes over the same addresses at the same time,
each for the same rounds, and prints CPU seconds (user + system, the processes
and what they waited for), the share of one core over the run's wall time, and
peak memory per target.

``--capture`` also captures the client's link while tracetui runs
(capture.py) and compares, for every target and hop, the report's Best with the
fastest round trip of that target's own probes on the wire: the accuracy check
of BENCHMARKS.md figure 3c, at scale (ICMP probes, so the capture can pair
them). Every probe stays inside the lab namespaces.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.builder import Lab  # noqa: E402
from run import (  # noqa: E402
    PATH_TOPOLOGY,
    TRACETUI,
    _start_capture,
    find_mtr,
    machine,
    netns,
)


def add_targets(lab: Lab, count: int) -> list[str]:
    """``count`` more addresses on the target (198.19.0.0/16): the same path to each."""
    plan = lab.plan
    wire = plan.upstream_wires(plan.target)[0]
    addresses = [f"198.19.{index // 250}.{index % 250 + 1}" for index in range(count)]
    batch = "".join(f"address add {a}/32 dev {wire.down_dev}\n" for a in addresses)
    subprocess.run(
        ["ip", "netns", "exec", plan.target, "ip", "-batch", "-"],
        input=batch,
        text=True,
        check=True,
    )
    return addresses


def run_tracetui(
    lab: Lab, targets: list[str], rounds: int, interval: str
) -> tuple[float, int, float, str]:
    """CPU seconds, peak RSS (KiB), wall seconds and the JSON report."""
    started = time.monotonic()
    process = subprocess.Popen(
        netns(lab, [*TRACETUI, "-n", "-j", "-c", str(rounds), "-i", interval, *targets]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    report = process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    wall = time.monotonic() - started
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss, wall, report


def wire_errors(report: str, packets: list[dict]) -> tuple[list[float], int]:
    """Per (target, hop): the report's Best minus the fastest round trip of that target's
    own probes to that hop on the wire; and how many hops the report has."""
    targets = {r["report"]["mtr"]["dst"] for r in json.loads(report)["reports"]}
    sent: dict[tuple[int, int], tuple[int, str, int]] = {}
    for p in packets:
        if p["out"] and p["type"] == 8 and p["dst"] in targets:
            sent[(p["id"], p["seq"])] = (p["t"], p["dst"], p["ttl"])
    # by the probe's TTL: a probe sent past the end of the path is answered by the
    # target too, but the report rightly never counts it
    fastest: dict[tuple[str, int], float] = {}
    for p in packets:
        if p["out"] or "id" not in p or p["type"] not in (0, 11):
            continue
        probe = sent.get((p["id"], p["seq"]))
        if probe is None or (p["type"] == 0 and p["src"] != probe[1]):
            continue  # not a probe of ours (a triage ping, say)
        key = (probe[1], probe[2])
        rtt = (p["t"] - probe[0]) / 1e6
        fastest[key] = min(rtt, fastest.get(key, rtt))
    errors = []
    hops = 0
    for entry in json.loads(report)["reports"]:
        target = entry["report"]["mtr"]["dst"]
        for hub in entry["report"]["hubs"]:
            if hub["host"] == "???":
                continue
            hops += 1
            wire = fastest.get((target, hub["count"]))
            if wire is not None:
                errors.append(hub["Best"] - wire)
                if abs(errors[-1]) > 0.05:
                    print(
                        f"  {target} hop {hub['count']} {hub['host']}: Best {hub['Best']} "
                        f"ms, wire {wire:.3f} ms, Snt {hub['Snt']} Loss {hub['Loss%']}"
                    )
    return errors, hops


def run_mtr(
    lab: Lab, mtr: str, targets: list[str], rounds: int, interval: str
) -> tuple[float, int]:
    processes = [
        subprocess.Popen(
            netns(lab, [mtr, "-n", "-r", "-c", str(rounds), "-i", interval, target]),
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
    parser.add_argument("--rounds", type=int, default=30, help="rounds per target")
    parser.add_argument("--interval", default="1", help="seconds between rounds (-i)")
    parser.add_argument("--no-mtr", action="store_true", help="tracetui alone")
    parser.add_argument("--capture", action="store_true", help="Best against the wire")
    parser.add_argument("--repeats", type=int, default=1, help="runs per N (a row each)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, raw sockets)")
    sizes = [int(n) for n in args.targets.split(",")]
    mtr = None if args.no_mtr else find_mtr()
    rows = []
    accuracy = []
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with Lab(PATH_TOPOLOGY, "n") as lab:
        addresses = add_targets(lab, max(sizes))
        for size in sizes:
            targets = addresses[:size]
            seconds = args.rounds * float(args.interval) + 30
            capture = _start_capture(lab, seconds) if args.capture else None
            lines: list[str] = []
            if capture is not None:  # read as it comes: a full pipe would stall the capture
                reader = threading.Thread(target=lines.extend, args=(capture.stdout,))
                reader.start()
            ours, our_rss, wall, report = run_tracetui(lab, targets, args.rounds, args.interval)
            if capture is not None:
                capture.terminate()
                reader.join()
                capture.wait()
                packets = [json.loads(line) for line in lines if line.strip()]
                errors, hops = wire_errors(report, packets)
                accuracy.append((size, errors, hops))
            theirs, their_rss = (
                run_mtr(lab, mtr, targets, args.rounds, args.interval) if mtr else (0.0, 0)
            )
            rows.append((size, ours, wall, theirs, our_rss, their_rss))
            for _ in range(args.repeats - 1):  # again, tracetui and mtr taking turns
                ours, our_rss, wall, _report = run_tracetui(
                    lab, targets, args.rounds, args.interval
                )
                theirs, their_rss = (
                    run_mtr(lab, mtr, targets, args.rounds, args.interval) if mtr else (0.0, 0)
                )
                rows.append((size, ours, wall, theirs, our_rss, their_rss))
    print(f"Measured {started} UTC on {machine()}.")
    flags = " --no-mtr" * args.no_mtr + " --capture" * args.capture
    flags += f" --repeats {args.repeats}" if args.repeats > 1 else ""
    command = (
        f"sudo .venv/bin/python bench/targets.py --targets {args.targets} "
        f"--rounds {args.rounds} --interval {args.interval}{flags}"
    )
    print(f"Command: `{command}`\n")
    print(
        "| N | tracetui CPU | share of a core | mtr CPU (N processes) | ratio "
        "| tracetui peak RSS | mtr RSS (sum) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size, ours, wall, theirs, our_rss, their_rss in rows:
        mtr_text = f"{theirs:.2f} s ({theirs / size * 1000:.0f} ms/target)" if theirs else "-"
        ratio = f"{ours / theirs:.2f}" if theirs else "-"
        mtr_rss = f"{their_rss / 1024:.0f} MB" if their_rss else "-"
        print(
            f"| {size} | {ours:.2f} s ({ours / size * 1000:.1f} ms/target) | "
            f"{ours / wall:.1%} over {wall:.0f} s | {mtr_text} | {ratio} | "
            f"{our_rss / 1024:.0f} MB | {mtr_rss} |"
        )
    for size, errors, hops in accuracy:
        worst = max((abs(e) for e in errors), default=float("nan"))
        mean = sum(errors) / len(errors) if errors else float("nan")
        print(
            f"\nN = {size}: Best minus the wire's fastest, over {len(errors)} (target, hop) "
            f"pairs ({hops} hops in the reports): worst "
            f"{worst:.3f} ms, mean {mean:+.3f} ms"
        )


if __name__ == "__main__":
    main()
