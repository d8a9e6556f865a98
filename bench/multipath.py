"""Multipath discovery against scamper's tracelb, and the CPU of watching every branch.

    sudo .venv/bin/python bench/multipath.py --repeats 5

Builds the two-stage diamond of tests/test_lab_multipath.py (hop 2: two
routers, hop 4: three, Linux hashing flows on their ports) and, alternating,
runs ``scamper -c 'tracelb -P udp-dport'`` and ``tracetui -u --multipath -j
-c 1`` into it: interfaces found, probes, seconds to the end of discovery
(scamper's whole run; tracetui's ``multipath.seconds``). Then the CPU per
round of a run watching every branch (``-u --multipath -c N -i 0.02``)
against the same run without ``--multipath``, both as a whole process
(user + system, os.wait4), and the probes each sent on the wire (the
engine's own count is not exported: probes = rounds x hops, plus branches).
Every probe stays inside the lab namespaces.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.builder import Lab  # noqa: E402
from run import cpu_seconds, netns  # noqa: E402
from test_lab_multipath import DIAMOND, scamper_tracelb  # noqa: E402


def tracetui_discovery(lab: Lab, target: str) -> tuple[set[str], int, float]:
    argv = [sys.executable, "-m", "tracetui", "-u", "--multipath", "-n", "-j", "-c", "1"]
    done = lab.exec(*argv, target)
    found = json.loads(done.stdout)["report"]["tracetui"]["multipath"]
    interfaces = {i["address"] for hop in found["hops"] for i in hop["interfaces"]}
    return interfaces, found["probes"], found["seconds"]


def watching(lab: Lab, target: str, rounds: int, multipath: bool) -> tuple[float, float, str]:
    extra = ["--multipath"] if multipath else []
    argv = [sys.executable, "-m", "tracetui", "-u", "-n", "-j", "-c", str(rounds), "-i", "0.02"]
    return cpu_seconds(netns(lab, [*argv, *extra, target]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()
    with Lab(DIAMOND, "b") as lab, tempfile.TemporaryDirectory() as scratch:
        target = lab.plan.target_address(4)
        everything = set().union(*(lab.plan.hop_addresses(hop, 4) for hop in range(1, 7)))
        theirs, ours = [], []
        for _ in range(args.repeats):
            started = time.monotonic()
            found, probes = scamper_tracelb(lab, target, Path(scratch))
            theirs.append((len(found & everything), probes, time.monotonic() - started))
            found, probes, seconds = tracetui_discovery(lab, target)
            ours.append((len(found & everything), probes, seconds))
        print(f"diamond: {len(everything)} interfaces; {args.repeats} runs each, alternating")
        for name, runs in (("scamper tracelb", theirs), ("tracetui --multipath", ours)):
            found = [r[0] for r in runs]
            probes = [r[1] for r in runs]
            seconds = statistics.median(r[2] for r in runs)
            print(
                f"  {name:22s} interfaces {min(found)}-{max(found)}  probes "
                f"{min(probes)}-{max(probes)}  median {seconds:.2f} s to discovery"
            )
        plain, branches = [], []
        for _ in range(args.repeats):
            plain.append(watching(lab, target, args.rounds, False))
            branches.append(watching(lab, target, args.rounds, True))
        without = statistics.median(cpu for cpu, _, _ in plain)
        watched = statistics.median(cpu for cpu, _, _ in branches)
        report = json.loads(branches[-1][2])["report"]["tracetui"]["multipath"]
        watched_ = [i["branch"] for hop in report["hops"] for i in hop["interfaces"] if i["branch"]]
        count = len(watched_)
        hops = len(json.loads(plain[-1][2])["report"]["hubs"])
        print(
            f"watching: {args.rounds} rounds at 0.02 s, {hops} hops, {count} branches watched;"
            f" CPU median of {args.repeats}: {without:.2f} s without --multipath, "
            f"{watched:.2f} s with ({watched / without:.2f}x)"
        )
        extra = watched - without
        sent = sum(branch["Snt"] for branch in watched_)  # from the end of discovery on
        print(f"  per extra branch probe: {extra / sent * 1e6:.1f} us of CPU ({sent} probes)")


if __name__ == "__main__":
    main()
