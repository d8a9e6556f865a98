"""The metrics a scrape returns say what the run's own snapshot says, in Prometheus' terms,
at a size a fleet can afford.

A simulated path with an ECMP pair, a silent router and a lossy link runs in
virtual time; every event goes to PathMetrics as it would from the report loop
or the screen; the exposition (prometheus_client's own text) is parsed back
and compared with the snapshot: per hop Snt, Rcv and the mean round trip, the
responders, the verdicts; per target the path, the destination's round trips,
the events. Then what a fleet needs: series per hop and per target, counters
that never go back, responders that go, one bound for the agent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from simpaths import Diagnosed, Run, chain, router, scenario, with_link, with_routers

from tracetui.outputs.metrics import METRIC_EVENT_KINDS, MetricsAgent, PathMetrics
from tracetui.probe.types import ProbeMethod


def exposition(source) -> str:
    """What the agent serves: its own text, read back by prometheus_client's parser."""
    agent = source if isinstance(source, MetricsAgent) else MetricsAgent([source])
    return agent.exposition()


def scrape(collector) -> dict[str, dict[tuple, float]]:
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(exposition(collector)):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def _labels(**labels) -> tuple:
    return tuple(sorted(labels.items()))


@pytest.fixture
def diagnosed_run():
    path = with_link(chain(6, delay_ms=2.0), 3, delay_ms=2.0, loss=0.1)
    path = with_routers(path, 2, router(2, 1), router(2, 2))
    path = with_routers(path, 4, router(4, silent=True))
    run = Run(scenario(path), interval=0.5, timeout=1.0)
    return Diagnosed(run)


def _feed(diagnosed_run, metrics: PathMetrics, rounds: int, seen: int = 0):
    view = None
    for _ in range(rounds):
        view = diagnosed_run.rounds(1)
        for event in diagnosed_run.run.events[seen:]:
            metrics.observe(event)
        seen = len(diagnosed_run.run.events)
        metrics.publish(view, diagnosed_run.diagnoser.new_events)
    assert view is not None
    return view, seen


def test_a_scrape_says_what_the_snapshot_says(diagnosed_run):
    metrics = PathMetrics("example.org")
    view, _ = _feed(diagnosed_run, metrics, 80)
    samples = scrape(metrics)
    for hop in view.hops:
        key = _labels(target="example.org", ttl=str(hop.ttl))
        assert samples["tracetui_probes_sent_total"][key] == hop.received + hop.lost
        assert samples["tracetui_probes_received_total"][key] == hop.received
        assert samples["tracetui_hop_rtt_seconds_count"][key] == hop.received
        if hop.received:
            mean = samples["tracetui_hop_rtt_seconds_sum"][key] / hop.received
            assert mean == pytest.approx(hop.rtt.avg / 1000, rel=1e-6)
        verdicts = [dict(k)["verdict"] for k in samples["tracetui_hop_verdict"]
                    if dict(k)["ttl"] == str(hop.ttl)]  # fmt: skip
        assert verdicts == [str(view.diagnosis.of(hop.ttl).verdict)]
        responders = {dict(k)["responder"] for k in samples["tracetui_responder_info"]
                      if dict(k)["ttl"] == str(hop.ttl)}  # fmt: skip
        assert responders == {r.address for r in hop.responders if r.current}
    assert len(view.hops[1].responders) == 2  # the ECMP pair: two responder series
    target = _labels(target="example.org")
    assert samples["tracetui_path_length"][target] == 6
    assert samples["tracetui_round_lateness_seconds_count"][()] == view.rounds  # every round
    assert samples["tracetui_destination_reached"][target] == 1
    assert samples["tracetui_destination_rtt_seconds_count"][target] == view.hops[-1].received
    info = _labels(target="example.org", address=view.info.target, method="icmp", family="ipv4")
    assert samples["tracetui_target_info"][info] == 1
    assert samples["tracetui_hop_verdict"][_labels(target="example.org", ttl="4",
                                                    verdict="silent")] == 1  # fmt: skip


def test_series_per_hop_and_per_target_fit_a_fleet(diagnosed_run):
    """At most 8 series per hop and 25 per target (each histogram bucket is a series)."""
    metrics = PathMetrics("example.org")
    _feed(diagnosed_run, metrics, 40)
    per_hop: Counter[str] = Counter()
    per_target = 0
    for family in text_string_to_metric_families(exposition(metrics)):
        for sample in family.samples:
            if "ttl" in sample.labels:
                per_hop[sample.labels["ttl"]] += 1
            elif "target" in sample.labels:
                per_target += 1
    assert per_hop and max(per_hop.values()) <= 8
    assert per_hop["2"] == 7 and per_hop["1"] == 6  # the ECMP pair has one more
    assert per_target == 25


def test_counters_never_go_back_and_count_from_zero(diagnosed_run):
    """A window or a reset changes the snapshot, never a counter; every event kind is
    exported from 0, so increase() sees the first one."""
    from tracetui.path.diagnosis import PathEvent

    metrics = PathMetrics("t")
    first = scrape(metrics)
    assert {dict(k)["kind"] for k in first["tracetui_path_events_total"]} == set(METRIC_EVENT_KINDS)
    assert set(first["tracetui_path_events_total"].values()) == {0}
    view, _ = _feed(diagnosed_run, metrics, 30)
    before = scrape(metrics)["tracetui_probes_sent_total"]
    windowed = diagnosed_run.run.model.snapshot(None, 5.0)._replace(diagnosis=view.diagnosis)
    metrics.publish(windowed, [PathEvent(view.taken, "loss-start", 3, "loss")])
    after = scrape(metrics)
    assert after["tracetui_probes_sent_total"] == before
    assert after["tracetui_path_events_total"][_labels(target="t", kind="loss-start")] == 1


def test_a_gone_responder_loses_its_series_within_an_hour(diagnosed_run):
    now = [0.0]
    metrics = PathMetrics("t", clock=lambda: now[0])
    view, _ = _feed(diagnosed_run, metrics, 10)
    gone = view.hops[0].responders[0]._replace(current=False)
    hops = (view.hops[0]._replace(responders=(gone,)), *view.hops[1:])
    now[0] = 1800.0
    metrics.publish(view._replace(hops=hops))
    assert (
        _labels(target="t", ttl="1", responder=gone.address)
        in (scrape(metrics)["tracetui_responder_info"])
    )
    now[0] = 3601.0
    metrics.publish(view._replace(hops=hops))
    assert (
        _labels(target="t", ttl="1", responder=gone.address)
        not in (scrape(metrics)["tracetui_responder_info"])
    )


def test_the_agent_has_one_bound_and_says_what_it_left_out(diagnosed_run):
    view, _ = _feed(diagnosed_run, PathMetrics("x"), 10)
    parts = []
    for name in ("a", "b", "c"):
        part = PathMetrics(name)
        part.publish(view)
        parts.append(part)
    agent = MetricsAgent(parts)
    agent.stream_dropped = lambda: 7
    everything = scrape(agent)
    assert everything["tracetui_series_dropped"][()] == 0
    assert everything["tracetui_stream_lines_dropped_total"][()] == 7
    hops = len(everything["tracetui_probes_sent_total"]) // 3
    bounded = scrape(MetricsAgent(parts, limit=3 * 25 + 2 * hops * 6))
    targets = {dict(k)["target"] for k in bounded["tracetui_probes_sent_total"]}
    assert len(targets) < 3 and bounded["tracetui_series_dropped"][()] > 0
    assert {dict(k)["target"] for k in bounded["tracetui_target_info"]} == {"a", "b", "c"}
    build = next(iter(everything["tracetui_build_info"]))
    assert dict(build)["version"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--metrics", "99999", "--demo"], "port from 1 to 65535"),
        (["--metrics", "example.org:9464", "--demo"], "not an IP address to listen on"),
        (["--headless", "--report-on-exit", "json", "--demo"], "--report-on-exit"),
    ],
)
def test_bad_monitoring_options_get_one_line(tmp_path, args, message):
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", *args], capture_output=True, text=True, cwd=tmp_path,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_headless_demo_logs_and_stops_with_its_rounds(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--headless", "-c", "3", "-i", "0.1"],
        capture_output=True, text=True, cwd=Path(tmp_path), timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "tracetui: tracing www.demo.example (198.18.9.10) with ICMP every 0.1s"
    assert lines[-1] == "tracetui: stopped after 3 rounds"


# ------------------------------------------------------------------------ --stream
def test_the_stream_has_a_line_for_every_settled_probe(tmp_path):
    stream = tmp_path / "probes.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--headless", "-j", "-c", "8", "-i", "0.1",
         "--stream", str(stream)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    hubs = json.loads(done.stdout)["report"]["hubs"]
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    assert {(line["v"], line["type"]) for line in lines} <= {(1, "probe"), (1, "event")}
    probes = [line for line in lines if line["type"] == "probe"]
    assert {line["target"] for line in lines} == {"www.demo.example"}
    for hub in hubs:
        mine = [line for line in probes if line["ttl"] == hub["count"]]
        replies = [line for line in mine if "rtt_ms" in line]
        assert len(replies) == hub["Rcv"]
        assert len([line for line in mine if line.get("lost")]) == hub["Snt"] - hub["Rcv"]
        if replies:
            assert min(line["rtt_ms"] for line in replies) == pytest.approx(hub["Best"], abs=0.001)
    assert all(line["time"].endswith("Z") and line["method"] == "icmp" for line in probes)


def test_a_reader_that_stops_reading_costs_lines_not_probing():
    """The writer blocks on a full pipe; the probing side goes on, drops and counts."""
    import os
    import threading

    from tracetui.outputs.json_stream import QUEUED_LINES, ProbeStream
    from tracetui.probe.events import ProbeLost, Restart, Restarted

    read_end, write_end = os.pipe()
    writer = ProbeStream(os.fdopen(write_end, "w"), owned=True)
    stream = writer.target("t")
    stream.observe(Restarted(ProbeMethod.UDP, Restart.START))
    total = QUEUED_LINES * 3

    def probe() -> None:
        for index in range(total):
            stream.observe(ProbeLost(1 + index % 30, index))

    prober = threading.Thread(target=probe)
    prober.start()
    prober.join(60)
    assert not prober.is_alive()  # every observe returned though nobody reads
    assert writer.dropped > 0
    reader = os.fdopen(read_end)
    received = 0
    dropped_lines = []
    closer = threading.Thread(target=writer.close)
    closer.start()
    for line in reader:
        record = json.loads(line)
        if record["type"] == "dropped":
            dropped_lines.append(record["dropped"])
        else:
            received += 1
            assert record["method"] == "udp" and record["lost"] is True
    closer.join(30)
    assert received + writer.dropped == total
    assert sum(dropped_lines) == writer.dropped  # the reader is told, in the stream itself


def test_sighup_reopens_the_stream_and_events_files_and_the_agent_goes_on(tmp_path):
    """logrotate moves the files away and sends SIGHUP: the agent writes to new files
    under the old names, and stops only when asked to (SIGTERM)."""
    import os
    import signal
    import time

    stream, events = tmp_path / "probes.jsonl", tmp_path / "events.jsonl"
    agent = subprocess.Popen(
        [sys.executable, "-m", "tracetui", "--demo", "--headless", "-i", "0.05",
         "--stream", str(stream), "--events", str(events)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (stream.exists() and stream.stat().st_size):
            time.sleep(0.1)
        os.rename(stream, tmp_path / "probes.jsonl.1")
        os.rename(events, tmp_path / "events.jsonl.1")
        agent.send_signal(signal.SIGHUP)
        while time.monotonic() < deadline and not (
            stream.exists() and stream.stat().st_size and events.exists()
        ):
            time.sleep(0.1)
        assert agent.poll() is None  # still running
        assert events.exists()  # opened again, under its name
        fresh = [json.loads(line) for line in stream.read_text().splitlines()]
        assert fresh and all(line["v"] == 1 for line in fresh)
    finally:
        agent.send_signal(signal.SIGTERM)
        _out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert err.splitlines()[-1].startswith("tracetui: stopped after")


def test_the_exposition_is_the_official_format_whatever_the_target_is_called(diagnosed_run):
    """promtool reads it without a complaint, and a target named with quotes, backslashes
    and a newline comes back exactly; the served answer is gzipped when asked."""
    import gzip
    import shutil

    from unavailable import unavailable

    from tracetui.outputs.metrics import _wsgi_app

    hostile = 'we"ird\\name\nx.example'
    metrics = PathMetrics(hostile)
    _feed(diagnosed_run, metrics, 10)
    text = exposition(metrics)
    targets = {
        sample.labels["target"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if "target" in sample.labels
    }
    assert targets == {hostile}
    promtool = shutil.which("promtool")
    if promtool is None:
        unavailable("promtool (Debian's prometheus package) checks the exposition")
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0 and not checked.stdout + checked.stderr, checked.stderr
    answers: list = []
    app = _wsgi_app(MetricsAgent([metrics]))
    asked = {"PATH_INFO": "/metrics", "HTTP_ACCEPT_ENCODING": "gzip"}
    body = b"".join(app(asked, lambda status, headers: answers.append((status, dict(headers)))))
    status, headers = answers[0]
    assert status == "200 OK" and headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    served = gzip.decompress(body).decode()
    assert served.startswith(text) and "process_resident_memory_bytes" in served


def test_an_agents_name_is_on_every_series(diagnosed_run):
    """--agent NAME: fifty agents in one Prometheus told apart whatever address they are
    scraped at; the process's own series too."""
    from tracetui.outputs.metrics import _wsgi_app

    metrics = PathMetrics("example.org", agent="fra-1")
    _feed(diagnosed_run, metrics, 5)
    agent = MetricsAgent([metrics], agent="fra-1")
    body = b"".join(_wsgi_app(agent)({"PATH_INFO": "/metrics"}, lambda *_: None)).decode()
    names = set()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            assert sample.labels.get("agent") == "fra-1", sample
            names.add(sample.name)
    assert "process_resident_memory_bytes" in names and "tracetui_probes_sent_total" in names
    assert "tracetui_round_lateness_seconds_bucket" in names


@pytest.mark.parametrize("name", ["", ".x", "a b", "é", "x" * 64])
def test_a_bad_agent_name_is_one_line(name, capsys):
    from tracetui.cli import main

    assert main(["--agent", name, "--headless", "h"]) == 2
    assert "--agent takes a name of letters" in capsys.readouterr().err
