"""One agent, a thousand targets, a real Prometheus: scrapes that succeed and cost little.

    sudo .venv/bin/python bench/fleet.py --targets 1000 --minutes 10

Builds a 15-hop lab path with two ECMP pairs (hops 4 and 9) and gives its target
namespace ``--targets`` addresses (the same path to each, as bench/targets.py
does). Runs ``tracetui --headless -n -i 10 -F FILE --metrics`` on them with
Debian's ``prometheus`` scraping it every 15 s with a
10 s timeout (as a default scrape config would, and Prometheus asks: OpenMetrics
first, gzip). After ``--minutes``, asks Prometheus how its scrapes went (``up``,
``scrape_duration_seconds``, ``scrape_samples_scraped``), fetches ``/metrics``
five more times itself as Prometheus does and takes the agent's CPU over each
fetch (less what probing costs over the same time, measured just before), and
asks how late rounds left over the run (the agent's own histogram,
``tracetui_round_lateness_seconds``: scrapes and probing share one process).
Every probe stays inside the lab namespaces.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.builder import Lab  # noqa: E402
from lab.topology import Link, Router, Stage, Topology  # noqa: E402
from run import TRACETUI, machine, netns  # noqa: E402
from targets import add_targets  # noqa: E402

FLEET_TOPOLOGY = Topology(
    tuple(
        Stage((Router(), Router()) if hop in (4, 9) else (Router(),), Link())
        for hop in range(1, 16)
    ),
    dns=False,
)
METRICS_PORT = 19471
PROMETHEUS_PORT = 19091
INTERVAL = 10.0
SCRAPE_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
FETCH = """
import sys, time, urllib.request
request = urllib.request.Request(sys.argv[1], headers={
    "Accept": sys.argv[2], "Accept-Encoding": "gzip"})
started = time.monotonic()
body = urllib.request.urlopen(request, timeout=30).read()
print(time.monotonic() - started, len(body))
"""


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(lab: Lab, url: str) -> str:
    code = "import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]).read().decode())"
    return lab.exec(sys.executable, "-c", code, url).stdout


def _query(lab: Lab, promql: str) -> list[dict]:
    query = urllib.parse.urlencode({"query": promql})
    answer = json.loads(_get(lab, f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query?{query}"))
    return answer["data"]["result"]


def _probing_only(lab: Lab, agent: subprocess.Popen, args: argparse.Namespace, started: str):
    """Probing alone: CPU over the last minute, memory, how late rounds left."""
    time.sleep(max(0.0, args.minutes * 60 - 60))
    before, at = _cpu(agent.pid), time.monotonic()
    time.sleep(60)
    probing = (_cpu(agent.pid) - before) / (time.monotonic() - at)
    status = Path(f"/proc/{agent.pid}/status").read_text().splitlines()
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    late: dict[str, float] = {}
    for line in _get(lab, f"http://127.0.0.1:{METRICS_PORT}/metrics").splitlines():
        if line.startswith("tracetui_round_lateness_seconds_bucket"):
            late[line.split('le="')[1].split('"')[0]] = float(line.split()[-1])
    print(f"Measured {started} UTC on {machine()}.")
    print(f"Command: `sudo .venv/bin/python bench/fleet.py {' '.join(sys.argv[1:])}`\n")
    print("| figure | value |\n| --- | --- |")
    print(
        f"| targets (15 hops, ECMP at hops 4, 9), a round every {INTERVAL:g} s | {args.targets} |"
    )
    print(f"| agent CPU for probing, last minute (share of one core) | {probing * 100:.1f} % |")
    print(f"| agent memory (RSS) after {args.minutes:g} min | {rss / 1e6:.2f} GB |")
    share = " / ".join(
        f"{(late['+Inf'] - late[bound]) / late['+Inf'] * 100:.2f} %"
        for bound in ("0.01", "0.1", "1.0")
    )
    print(f"| rounds more than 10 ms / 100 ms / 1 s late (of {late['+Inf']:.0f}) | {share} |")


def _collect(agent: subprocess.Popen, log: list[tuple[float, str]]) -> None:
    assert agent.stderr is not None
    for line in agent.stderr:
        log.append((time.monotonic(), line))


def _reload(
    lab: Lab, agent: subprocess.Popen, log: list[tuple[float, str]], file: Path, targets: list[str]
) -> tuple[float, bool]:
    """SIGHUP with ``targets`` in the file (half of them new): the seconds until the agent
    says it reloaded, and whether a kept target's counters went on from where they were."""
    url = f"http://127.0.0.1:{METRICS_PORT}/metrics"
    kept = targets[0]
    marker = f'tracetui_probes_sent_total{{target="{kept}",ttl="1"}} '

    def sent() -> int:
        line = next(x for x in _get(lab, url).splitlines() if x.startswith(marker))
        return int(line.split()[-1])

    before = sent()
    file.write_text("\n".join(targets) + "\n")
    said = len(log)
    signalled = time.monotonic()
    agent.send_signal(signal.SIGHUP)
    while time.monotonic() - signalled < 60:
        reloaded = [at for at, line in log[said:] if "reload:" in line]
        if reloaded:
            break
        time.sleep(0.005)
    took = (reloaded[0] if reloaded else float("nan")) - signalled
    time.sleep(2 * INTERVAL)
    return took, sent() >= before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--probing-only",
        action="store_true",
        help="no Prometheus and no scrape costs: the agent's probing CPU, memory and late "
        "rounds over the last minute (for targets past what one Prometheus scrape holds)",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, raw sockets)")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    work = Path(tempfile.mkdtemp(prefix="tracetui-fleet-"))
    os.chmod(work, 0o755)
    with Lab(FLEET_TOPOLOGY, "f") as lab:
        spare = args.targets // 2  # for the reload: half the targets replaced
        everything = add_targets(lab, args.targets + spare)
        addresses = everything[: args.targets]
        (work / "targets.txt").write_text("\n".join(addresses) + "\n")
        agent = subprocess.Popen(
            netns(lab, [*TRACETUI, "--headless", "-n", "-i", str(INTERVAL), "-F",
                        str(work / "targets.txt"), "--metrics", f"127.0.0.1:{METRICS_PORT}"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        log: list[tuple[float, str]] = []  # (when, line) of what the agent says
        reader = threading.Thread(target=_collect, args=(agent, log), daemon=True)
        reader.start()
        if args.probing_only:
            try:
                _probing_only(lab, agent, args, started)
            finally:
                agent.terminate()
                agent.wait(timeout=120)
            return
        config = work / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 15s, scrape_timeout: 10s}\n"
            "scrape_configs:\n  - job_name: tracetui\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{METRICS_PORT}']}}]\n"
        )
        prometheus = subprocess.Popen(
            netns(lab, ["prometheus", f"--config.file={config}",
                        f"--storage.tsdb.path={work / 'data'}",
                        f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}", "--log.level=warn"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(args.minutes * 60)
            span = f"{int(args.minutes * 60)}s"
            raw = _query(lab, f"up[{span}]")
            scrapes = [float(at) for at, _ in raw[0]["values"]] if raw else []
            failed = sum(1 for _, up in raw[0]["values"] if up != "1") if raw else 0
            durations = [
                float(value)
                for _, value in _query(lab, f"scrape_duration_seconds[{span}]")[0]["values"]
            ]
            samples = _query(lab, "scrape_samples_scraped")[0]["value"][1]
            own = _get(lab, f"http://127.0.0.1:{PROMETHEUS_PORT}/metrics").splitlines()
            series = next(x.split()[1] for x in own if x.startswith("prometheus_tsdb_head_series "))
            rss = _query(lab, 'process_resident_memory_bytes{job="tracetui"}')[0]["value"][1]
            late = {
                r["metric"]["le"]: float(r["value"][1])
                for r in _query(lab, f"increase(tracetui_round_lateness_seconds_bucket[{span}])")
            }
            # the agent's CPU per scrape: probing's rate first, then five fetches
            before, at = _cpu(agent.pid), time.monotonic()
            time.sleep(5.0)
            probing = (_cpu(agent.pid) - before) / (time.monotonic() - at)
            costs, sizes = [], []
            url = f"http://127.0.0.1:{METRICS_PORT}/metrics"
            for _ in range(5):
                before, at = _cpu(agent.pid), time.monotonic()
                out = lab.exec(sys.executable, "-c", FETCH, url, SCRAPE_ACCEPT).stdout.split()
                spent = time.monotonic() - at
                costs.append(_cpu(agent.pid) - before - probing * spent)
                sizes.append(int(out[1]))
                time.sleep(2.0)
            plain = len(_get(lab, url).encode())
            reload_seconds, kept_on = _reload(
                lab, agent, log, work / "targets.txt", everything[spare:]
            )
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=60)
            agent.terminate()
            agent.wait(timeout=60)
            reader.join(timeout=10)
            err = "".join(line for _, line in log)
    print(f"Measured {started} UTC on {machine()}.")
    print(f"Command: `sudo .venv/bin/python bench/fleet.py {' '.join(sys.argv[1:])}`\n")
    ms = 1000
    rows = [
        (f"targets (15 hops, ECMP at hops 4 and 9), a round every {INTERVAL:g} s", args.targets),
        ("scrapes (every 15 s, 10 s timeout) / failed", f"{len(scrapes)} / {failed}"),
        (
            "scrape duration seen by Prometheus, median / max",
            f"{statistics.median(durations) * ms:.0f} / {max(durations) * ms:.0f} ms",
        ),
        ("samples per scrape / Prometheus head series", f"{samples} / {series}"),
        (
            "agent CPU per scrape (gzip, as Prometheus asks), median of 5",
            f"{statistics.median(costs):.3f} s",
        ),
        (
            "body per scrape: gzipped / plain",
            f"{statistics.median(sizes) / 1e6:.2f} / {plain / 1e6:.1f} MB",
        ),
        ("agent CPU for probing (share of one core)", f"{probing * 100:.1f} %"),
        ("agent memory (RSS)", f"{int(rss) / 1e6:.0f} MB"),
        (
            f"SIGHUP with {spare} targets removed and {spare} added: until the agent "
            "says it reloaded / kept targets' counters went on",
            f"{reload_seconds:.2f} s / {'yes' if kept_on else 'NO'}",
        ),
        (
            "rounds that left more than 10 ms / 50 ms / 100 ms late (of all, over the run)",
            " / ".join(
                f"{(late['+Inf'] - late[bound]) / late['+Inf'] * 100:.2f} %"
                for bound in ("0.01", "0.05", "0.1")
            )
            + f" (of {late['+Inf']:.0f})",
        ),
    ]
    print("| figure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if "Traceback" in err:
        print(err)


if __name__ == "__main__":
    main()
