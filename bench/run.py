"""tracetui beside mtr on one lab network: CPU, accuracy, speed, start-up, memory, ceiling.

    sudo .venv/bin/python bench/run.py            # the full run, about 20 minutes
    sudo .venv/bin/python bench/run.py --quick    # a smoke run in under a minute

Builds the test lab's 6-hop path (5 routers and a target, 2 ms one-way per
link), runs tracetui and mtr side by side (alternating, or at the same time
where the comparison is about the network), and prints a Markdown table of
every figure with its target. Ratios come from one run, because absolute
times drift on these machines. Every probe stays inside the lab namespaces.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lab.builder import Lab  # noqa: E402
from lab.terminal import Terminal  # noqa: E402
from lab.topology import Link, Router, Stage, Topology  # noqa: E402

PATH_TOPOLOGY = Topology(tuple(Stage((Router(),), Link(delay_ms=2.0)) for _ in range(6)), dns=False)
LONG_TOPOLOGY = Topology(tuple(Stage((Router(),), Link()) for _ in range(17)), dns=False)
HOPS = 6
TRACETUI = [sys.executable, "-m", "tracetui"]
CAPTURE = [sys.executable, str(Path(__file__).with_name("capture.py"))]
TERMINAL = (120, 34)
PING_IDENT = 0xBE7C  # the echo identifier of the pings a capture watches


@dataclass
class Row:
    figure: str
    tracetui: str
    mtr: str
    target: str
    met: bool | None
    note: str = ""

    def markdown(self) -> str:
        verdict = {True: "yes", False: "**no**", None: "-"}[self.met]
        cells = (self.figure, self.tracetui, self.mtr, self.target, verdict, self.note)
        return "| " + " | ".join(cells) + " |"


def find_mtr() -> str:
    path = shutil.which("mtr")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "mtr-tiny"],
            env=env,
            check=False,
            capture_output=True,
        )
        path = shutil.which("mtr")
    if path is None:
        sys.exit("bench: mtr is missing (apt-get install mtr-tiny)")
    return path


def netns(lab: Lab, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", lab.plan.client, *argv]


def cpu_seconds(argv: list[str]) -> tuple[float, float, str]:
    """CPU of a command and everything it waited for (mtr's mtr-packet), and wall time."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read().decode() if process.stdout else ""
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime, time.monotonic() - started, out


# ------------------------------------------------------------------ process trees
def _stat(pid: int) -> tuple[int, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by a process and all its living descendants."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                parents[int(entry)], cpu[int(entry)] = stat
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return sum(cpu.get(pid, 0.0) for pid in members)


def tree_rss_kib(root: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid != root and (_stat(pid) or (0,))[0] != root:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+)", status)
        total += int(found.group(1)) if found else 0
    return total


# ---------------------------------------------------------------------- figures
def cpu_per_probe(lab: Lab, mtr: str, rounds: int, repeats: int) -> list[Row]:
    """Figure 1, CPU per probe of a whole report run (start-up included), and 1b, what a
    further probe costs: the difference between runs of twice and once ``rounds`` rounds,
    as in a monitor left running (each tool's start-up and final wait cancel out;
    Python's start-up and imports, about 0.1 s, are a sixth of figure 1)."""
    target = lab.plan.target_address(4)
    ours, theirs, ours_long, theirs_long = [], [], [], []
    for _ in range(repeats):
        for count, mtrs, tracetuis in (
            (rounds, theirs, ours),
            (2 * rounds, theirs_long, ours_long),
        ):
            cpu, _wall, _ = cpu_seconds(
                netns(lab, [mtr, "-n", "-r", "-c", str(count), "-i", "0.01", target])
            )
            mtrs.append(cpu)
            cpu, _wall, _ = cpu_seconds(
                netns(lab, [*TRACETUI, "-n", "-r", "-c", str(count), "-i", "0.01", target])
            )
            tracetuis.append(cpu)
    per = 1e6 / (rounds * HOPS)
    a, b = statistics.median(ours) * per, statistics.median(theirs) * per
    c = (statistics.median(ours_long) - statistics.median(ours)) * per
    d = (statistics.median(theirs_long) - statistics.median(theirs)) * per
    return [
        Row(
            f"1. CPU per probe, report, {rounds} rounds at 0.01 s (median of {repeats})",
            f"{a:.1f} us",
            f"{b:.1f} us",
            "ratio <= 1.0",
            a / b <= 1.0,
            f"ratio {a / b:.2f}",
        ),
        Row(
            f"1b. CPU per further probe: {2 * rounds} rounds less {rounds} (median of {repeats})",
            f"{c:.1f} us",
            f"{d:.1f} us",
            "-",
            None,
            f"ratio {c / d:.2f}",
        ),
    ]


def record_cost(lab: Lab, rounds: int, repeats: int) -> Row:
    """What ``--record`` adds per probe: the same report with and without it, alternating."""
    target = lab.plan.target_address(4)
    plain, recorded, sizes = [], [], []
    argv = [*TRACETUI, "-n", "-r", "-c", str(rounds), "-i", "0.01", target]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "run.pcapng"
        for _ in range(repeats):
            cpu, _wall, _ = cpu_seconds(netns(lab, argv))
            plain.append(cpu / (rounds * HOPS) * 1e6)
            cpu, _wall, _ = cpu_seconds(netns(lab, [*argv, "--record", str(path)]))
            recorded.append(cpu / (rounds * HOPS) * 1e6)
            sizes.append(path.stat().st_size / (rounds * HOPS))
    a, b = statistics.median(recorded), statistics.median(plain)
    return Row(
        f"8. CPU per probe with --record, {rounds} rounds at 0.01 s (median of {repeats})",
        f"{a:.1f} us",
        "-",
        "informational",
        None,
        f"{b:.1f} us without it in the same run; {statistics.median(sizes):.0f} bytes "
        "of pcapng per probe (probe and reply)",
    )


def screen_cpu(lab: Lab, mtr: str, seconds: float, repeats: int) -> tuple[Row, int, int]:
    """Each tool's live screen in turn, ``repeats`` times; the median of each."""
    target = lab.plan.target_address(4)
    results: dict[str, list[float]] = {"mtr": [], "tracetui": []}
    rss = {}
    for _ in range(repeats):
        for name, command in (
            ("mtr", f"{mtr} -n -i 0.1 {target}"),
            ("tracetui", " ".join([*TRACETUI, "-n", "-i", "0.1", target])),
        ):
            terminal = Terminal(" ".join(netns(lab, [command])), *TERMINAL)
            try:
                time.sleep(3.0)  # start-up is measured elsewhere
                before = tree_cpu(terminal.pid)
                time.sleep(seconds)
                results[name].append((tree_cpu(terminal.pid) - before) / seconds * 100)
                rss[name] = tree_rss_kib(terminal.pid)
            finally:
                terminal.close()
    ours, theirs = statistics.median(results["tracetui"]), statistics.median(results["mtr"])
    ratio = ours / theirs if theirs else float("inf")
    each = ", ".join(
        f"{a:.2f}/{b:.2f}" for a, b in zip(results["tracetui"], results["mtr"], strict=True)
    )
    row = Row(
        f"2. CPU of the live screen, -i 0.1, {seconds:.0f} s, {TERMINAL[0]}x{TERMINAL[1]}"
        f" (median of {repeats})",
        f"{ours:.2f} % of a core",
        f"{theirs:.2f} %",
        "ratio <= 1.0",
        ratio <= 1.0,
        f"ratio {ratio:.2f}; each run, tracetui/mtr: {each}",
    )
    return row, rss["tracetui"], rss["mtr"]


def _ping_summary(text: str) -> tuple[float, float]:
    low, avg = re.search(r"= ([\d.]+)/([\d.]+)/", text).groups()
    return float(low), float(avg)


def _ping(lab: Lab, address: str, count: int, interval: str, ident: int = 0) -> subprocess.Popen:
    """iputils ping; ``ident`` sets its echo identifier, so a capture can tell its packets."""
    ident_option = ["-e", str(ident)] if ident else []
    return subprocess.Popen(
        netns(lab, ["ping", "-q", "-n", *ident_option, "-c", str(count), "-i", interval, address]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _screen_report(lab: Lab, count: int, interval: str, target: str) -> list[dict]:
    """Hubs as the live screen has them when its rounds are done (via --report-on-exit)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "screen.json"
        command = (
            " ".join(
                netns(
                    lab,
                    [
                        *TRACETUI,
                        "-n",
                        "-c",
                        str(count),
                        "-i",
                        interval,
                        "--report-on-exit",
                        "json",
                        target,
                    ],
                )
            )
            + f" > {out}"
        )
        terminal = Terminal(command, *TERMINAL)
        try:
            terminal.wait_until(
                lambda screen: "■ done" in screen, timeout=count * float(interval) * 3 + 20
            )
            terminal.keys("q")
            deadline = time.monotonic() + 10
            while not out.stat().st_size and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            return json.loads(out.read_text())["report"]["hubs"]
        finally:
            terminal.close()


def _start_capture(lab: Lab, seconds: float, argv: Sequence[str] = ()) -> subprocess.Popen:
    """A passive capture on the client's link, listening when this returns; see capture.py."""
    device = lab.plan.downstream_wires(lab.plan.client)[0].up_dev
    capture = subprocess.Popen(
        netns(lab, [*CAPTURE, device, str(seconds), *argv]), stdout=subprocess.PIPE, text=True
    )
    capture.stdout.readline()  # {"ready": ...}
    return capture


def _wire_rtts(packets: list[dict], address: str, ping_ident: int) -> tuple[list, list]:
    """Round trips (ms) of echo probes answered from ``address``, as the client's link saw them.

    Echo requests and the replies or ICMP errors that quote them pair up by identifier and
    sequence; ping's (``ping_ident``) come first, then the tracer's.
    """
    sent = {(p["id"], p["seq"]): p["t"] for p in packets if p["out"] and p["type"] == 8}
    pings: list[float] = []
    probes: list[float] = []
    for p in packets:
        if p["out"] or p["src"] != address or "id" not in p:
            continue
        if (key := (p["id"], p["seq"])) in sent:
            (pings if p["id"] == ping_ident else probes).append((p["t"] - sent[key]) / 1e6)
    return pings, probes


def accuracy(lab: Lab, mtr: str, count: int) -> list[Row]:
    """Per hop, a ping to that hop runs beside one tracer at a time, which traces the path.

    One tracer and one ping at a time keep the lab's own queueing (every packet crosses
    one user-space forwarder) small and alike for both. A control run of two pings to
    the same hop shows how far ping agrees with itself here: the floor of this method.
    A passive capture on the client's link sees every probe leave and its answer
    arrive: the fastest round trip of a tool's own probes there is what its Best
    should be, free of the tool's own latency and of how differently a router
    answers a ping (echo reply) and a trace (time exceeded).
    """
    target = lab.plan.target_address(4)
    interval = "0.02"
    capture_seconds = count * float(interval) + 3.0
    errors: dict[str, list[tuple[float, float]]] = {
        "report": [],
        "screen": [],
        "mtr": [],
        "ping": [],
    }
    # each tool's Best (ping's min) minus the fastest round trip of its own probes on the wire
    wire: dict[str, list[float]] = {"report": [], "mtr": [], "ping": []}

    def tracer(argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(netns(lab, argv), stdout=subprocess.PIPE, text=True)

    for hop in range(1, HOPS + 1):
        address = lab.plan.hop_addresses(hop, 4).pop()
        runs = {
            "report": [*TRACETUI, "-n", "-j", "-c", str(count), "-i", interval, target],
            "mtr": [mtr, "-n", "-j", "-c", str(count), "-i", interval, target],
        }
        for name, argv in runs.items():
            capture = _start_capture(lab, capture_seconds)
            ping = _ping(lab, address, count, interval, PING_IDENT)
            hub = json.loads(tracer(argv).communicate()[0])["report"]["hubs"][hop - 1]
            low, avg = _ping_summary(ping.communicate()[0])
            errors[name].append((hub["Best"] - low, hub["Avg"] - avg))
            pings, probes = _wire_rtts(_packets(capture), address, PING_IDENT)
            wire[name].append(hub["Best"] - min(probes, default=float("nan")))
            if name == "report":
                wire["ping"].append(low - min(pings, default=float("nan")))
        ping = _ping(lab, address, count, interval)
        hub = _screen_report(lab, count, interval, target)[hop - 1]
        low, avg = _ping_summary(ping.communicate()[0])
        errors["screen"].append((hub["Best"] - low, hub["Avg"] - avg))
        first, second = _ping(lab, address, count, interval), _ping(lab, address, count, interval)
        (low1, avg1), (low2, avg2) = (_ping_summary(p.communicate()[0]) for p in (first, second))
        errors["ping"].append((low1 - low2, avg1 - avg2))

    def worst(name: str) -> tuple[float, float]:
        return (max(abs(b) for b, _ in errors[name]), max(abs(a) for _, a in errors[name]))

    def per_hop(name: str) -> str:
        return " ".join(f"{b:+.3f}/{a:+.3f}" for b, a in errors[name])

    def signed(name: str) -> str:
        return " ".join(f"{e:+.3f}" for e in wire[name])

    floor = "ping vs ping in the same way: {:.3f} / {:.3f} ms".format(*worst("ping"))
    rows = []
    for name, label in (("report", "report"), ("screen", "live screen")):
        best, avg = worst(name)
        mtr_text = "{:.3f} / {:.3f} ms".format(*worst("mtr")) if name == "report" else "-"
        rows.append(
            Row(
                f"3{'ab'[name == 'screen']}. RTT error vs ping, {label} (worst hop): Best / Avg",
                f"{best:.3f} / {avg:.3f} ms",
                mtr_text,
                "<= 0.02 / <= 0.05 ms",
                best <= 0.02 and avg <= 0.05,
                f"{count} probes per hop at {interval} s; Best/Avg error by hop {per_hop(name)} ms"
                + (f" (mtr {per_hop('mtr')})" if name == "report" else "")
                + f"; {floor}",
            )
        )
    ours, theirs = (max(abs(e) for e in wire[name]) for name in ("report", "mtr"))
    rows.append(
        Row(
            "3c. Best vs its own probes on the wire (capture on the client's link), report",
            f"{ours:.3f} ms",
            f"{theirs:.3f} ms",
            "diagnostic",
            None,
            "worst hop; Best minus the fastest round trip of the same tool's probes, by hop: "
            f"{signed('report')} (mtr {signed('mtr')}); "
            f"ping's min minus its own fastest: {signed('ping')} ms",
        )
    )
    return rows


def _packets(process: subprocess.Popen) -> list[dict]:
    out, _ = process.communicate()
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _launch_and_capture(lab: Lab, argv: list[str], seconds: float) -> tuple[int, list[dict]]:
    """Start ``argv`` from the capturing process itself, inside the namespace."""
    records = _packets(_start_capture(lab, seconds, argv))
    started = next(r["started"] for r in records if "started" in r)
    return started, [r for r in records if "t" in r]


def path_and_first_probe(lab: Lab, mtr: str, repeats: int) -> list[Row]:
    target = lab.plan.target_address(4)
    answers = {lab.plan.hop_addresses(hop, 4).pop() for hop in range(1, HOPS + 1)}
    path_rtt = lab.plan.rtt_ms(HOPS)
    results = {}
    for name, argv in (
        ("tracetui", [*TRACETUI, "-n", "-r", "-c", "2", target]),
        ("mtr", [mtr, "-n", "-r", "-c", "2", target]),
    ):
        started, packets = _launch_and_capture(lab, argv, 4.0)
        sent = [p["t"] for p in packets if p["out"]]
        first_answer: dict[str, int] = {}
        for packet in packets:
            if not packet["out"] and packet["src"] in answers:
                first_answer.setdefault(packet["src"], packet["t"])
        full = (max(first_answer.values()) - started) / 1e6 if len(first_answer) == HOPS else None
        first = (min(sent) - started) / 1e6 if sent else None
        results[name] = (full, first)
    ours_full, ours_first = results["tracetui"]
    mtr_full, mtr_first = results["mtr"]
    budget = path_rtt + 100

    def fmt(value: float | None) -> str:
        return f"{value:.0f} ms" if value is not None else "never"

    return [
        Row(
            f"4. Time to the full path from process start, defaults (median of {repeats})",
            fmt(ours_full),
            fmt(mtr_full),
            f"<= path RTT {path_rtt:.0f} ms + 100 ms",
            ours_full is not None and ours_full <= budget,
        ),
        Row(
            f"5b. Time to the first probe sent (median of {repeats})",
            fmt(ours_first),
            fmt(mtr_first),
            "< 300 ms",
            ours_first is not None and ours_first < 300,
        ),
    ]


def startup(lab: Lab, mtr: str, repeats: int) -> list[Row]:
    def best_wall(argv: list[str]) -> float:
        times = []
        for _ in range(repeats):
            started = time.monotonic()
            subprocess.run(argv, capture_output=True, check=False)
            times.append(time.monotonic() - started)
        return statistics.median(times) * 1000

    # what a user types: the installed command (python -m adds runpy's 15 ms)
    script = Path(sys.executable).with_name("tracetui")
    ours = [str(script)] if script.exists() else TRACETUI
    ours_help = best_wall([*ours, "--help"])
    mtr_help = best_wall([mtr, "--help"])
    ours_version = best_wall([*ours, "--version"])
    mtr_version = best_wall([mtr, "--version"])
    frames = {}
    target = lab.plan.target_address(4)
    for name, command, marker in (
        ("tracetui", " ".join([*ours, "-n", target]), "Hop"),
        ("mtr", f"{mtr} -n {target}", "Host"),
    ):
        samples = []
        for _ in range(repeats):
            terminal = Terminal(" ".join(netns(lab, [command])), *TERMINAL)
            try:
                terminal.wait_until(lambda s, m=marker: m in s, timeout=20.0, poll=0.005)
                samples.append((time.monotonic() - terminal.started) * 1000)
            finally:
                terminal.close()
        frames[name] = statistics.median(samples)
    return [
        Row(
            "5a. `--help`, wall time (median)",
            f"{ours_help:.0f} ms",
            f"{mtr_help:.0f} ms",
            "<= 50 ms",
            ours_help <= 50,
        ),
        Row(
            "5a. `--version`, wall time (median)",
            f"{ours_version:.0f} ms",
            f"{mtr_version:.0f} ms",
            "<= 50 ms",
            ours_version <= 50,
        ),
        Row(
            "5c. First frame of the live screen (median)",
            f"{frames['tracetui']:.0f} ms",
            f"{frames['mtr']:.0f} ms",
            "<= 400 ms",
            frames["tracetui"] <= 400,
            "launch to the table header on screen (tmux, polled every 5 ms)",
        ),
    ]


def _mb(kib: int | None) -> str:
    return f"{kib / 1024:.1f} MB" if kib is not None else "-"


def memory(hours: float, screen_rss: tuple[int | None, int | None]) -> Row:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "soak.py"),
            "--hours",
            str(hours),
            "--checkpoints",
            "8",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    points = json.loads(done.stdout)["checkpoints"]
    growth = (points[-1]["rss_kib"] - points[0]["rss_kib"]) / 1024
    return Row(
        f"6. Memory: live screen after 30 s; growth over {hours:g} h of 1 s rounds, 30 hops",
        f"{_mb(screen_rss[0])}; +{growth:.2f} MB",
        f"{_mb(screen_rss[1])}; -",
        "growth < 5 MB",
        growth < 5,
        f"simulated network, virtual time; growth from {points[0]['hours']} h to {hours:g} h",
    )


def _sustains(
    lab: Lab, argv: list[str], rounds: int, interval: float, hops: int, mtr: bool
) -> tuple[bool, float]:
    started = time.monotonic()
    done = subprocess.run(netns(lab, argv), capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    hubs = json.loads(done.stdout)["report"]["hubs"]
    complete = len(hubs) == hops and all(
        hub["Snt"] == rounds and (hub["Loss%"] == 0 if mtr else hub["Rcv"] == rounds)
        for hub in hubs
    )
    return complete, rounds * hops / wall


def ceiling(mtr: str, intervals: list[float], seconds: float) -> Row:
    hops = len(LONG_TOPOLOGY.stages)
    best: dict[str, float] = {"tracetui": 0.0, "mtr": 0.0}
    with Lab(LONG_TOPOLOGY, "c") as lab:
        target = lab.plan.target_address(4)
        for interval in intervals:
            rounds = max(20, int(seconds / interval))
            for name, argv in (
                (
                    "tracetui",
                    [
                        *TRACETUI,
                        "-n",
                        "-j",
                        "-c",
                        str(rounds),
                        "-i",
                        str(interval),
                        "-Z",
                        "1",
                        target,
                    ],
                ),
                ("mtr", [mtr, "-n", "-j", "-c", str(rounds), "-i", str(interval), target]),
            ):
                ok, rate = _sustains(lab, argv, rounds, interval, hops, name == "mtr")
                if ok:
                    best[name] = max(best[name], rate)
    return Row(
        f"7. Ceiling: probes/s on {hops} hops with every probe accounted",
        f"{best['tracetui']:.0f} /s",
        f"{best['mtr']:.0f} /s",
        "beat mtr",
        best["tracetui"] > best["mtr"],
        f"fastest of intervals {', '.join(f'{i:g}' for i in intervals)} s; rate = probes / wall",
    )


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mtr_version = subprocess.run(["mtr", "--version"], capture_output=True, text=True).stdout
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {mtr_version.strip()}"
    )


FIGURES = "12345678"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks it runs")
    parser.add_argument(
        "--only",
        default=FIGURES,
        metavar="FIGURES",
        help="the figures to measure, e.g. 2 or 1,2 (default: all)",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, raw sockets)")
    wanted = set(args.only.replace(",", ""))
    if not wanted or not wanted <= set(FIGURES):
        sys.exit(f"bench: --only takes figure numbers from 1 to 8, not {args.only!r}")
    mtr = find_mtr()
    quick = args.quick
    rows: list[Row] = []
    started = datetime.now(UTC)
    screen_rss: tuple[int | None, int | None] = (None, None)
    with Lab(PATH_TOPOLOGY, "b") as lab:
        if "1" in wanted:
            rows += cpu_per_probe(lab, mtr, 50 if quick else 1000, 1 if quick else 3)
        if "2" in wanted:
            screen_row, ours_rss, mtr_rss = screen_cpu(
                lab, mtr, 2.0 if quick else 30.0, 1 if quick else 3
            )
            rows.append(screen_row)
            screen_rss = (ours_rss, mtr_rss)
        if "3" in wanted:
            rows += accuracy(lab, mtr, 30 if quick else 500)
        if "4" in wanted:
            rows += path_and_first_probe(lab, mtr, 1 if quick else 5)
        if "5" in wanted:
            rows += startup(lab, mtr, 1 if quick else 5)
        if "8" in wanted:
            rows.append(record_cost(lab, 50 if quick else 1000, 1 if quick else 3))
    if "6" in wanted:
        rows.append(memory(0.2 if quick else 168.0, screen_rss))
    if "7" in wanted:
        rows.append(
            ceiling(mtr, [0.01] if quick else [0.01, 0.005, 0.002, 0.001], 1.0 if quick else 3.0)
        )
    command = "sudo .venv/bin/python bench/run.py" + (" --quick" if quick else "")
    if args.only != FIGURES:
        command += f" --only {args.only}"
    print(f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}.")
    print(f"Command: `{command}`\n")
    print("| figure | tracetui | mtr | target | met | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(row.markdown())


if __name__ == "__main__":
    main()
