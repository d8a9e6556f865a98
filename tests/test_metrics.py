"""The metrics a scrape returns say what the run's own snapshot says, in Prometheus' terms.

A simulated path with an ECMP pair, a silent router and a lossy link runs in
virtual time; every event goes to PathMetrics as it would from the report loop
or the screen; the exposition (prometheus_client's own text) is parsed back
and compared with the snapshot: per hop Snt, Rcv, loss; per responder the
replies, the histogram's count, last/best/worst; the verdicts; path length.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from simpaths import Diagnosed, Run, chain, router, scenario, with_link, with_routers

from tracetui.outputs.metrics import MAX_SERIES, PathMetrics
from tracetui.probe.types import ProbeMethod


def scrape(metrics: PathMetrics) -> dict[str, dict[tuple, float]]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)
    text = generate_latest(registry).decode()
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
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


def test_a_scrape_says_what_the_snapshot_says(diagnosed_run):
    metrics = PathMetrics("example.org")
    seen = 0
    view = None
    for _ in range(80):
        view = diagnosed_run.rounds(1)
        for event in diagnosed_run.run.events[seen:]:
            metrics.observe(event)
        seen = len(diagnosed_run.run.events)
        metrics.publish(view, diagnosed_run.diagnoser.new_events)
    samples = scrape(metrics)
    assert view is not None
    for hop in view.hops:
        key = _labels(target="example.org", ttl=str(hop.ttl), method="icmp")
        assert samples["tracetui_probes_sent_total"][key] == hop.sent
        assert samples["tracetui_probes_received_total"][key] == hop.received
        settled = hop.received + hop.lost
        assert samples["tracetui_loss_ratio"][key] == pytest.approx(hop.lost / settled)
        for responder in hop.responders:
            series = _labels(
                target="example.org", ttl=str(hop.ttl), method="icmp", responder=responder.address
            )
            assert samples["tracetui_responder_replies_total"][series] == responder.received
            assert samples["tracetui_rtt_seconds_count"][series] == responder.received
            assert samples["tracetui_rtt_best_seconds"][series] == pytest.approx(
                responder.rtt.best / 1000
            )
            assert samples["tracetui_rtt_worst_seconds"][series] == pytest.approx(
                responder.rtt.worst / 1000
            )
        verdict = view.diagnosis.of(hop.ttl).verdict
        states = {
            dict(k)["tracetui_hop_verdict"]: v
            for k, v in samples["tracetui_hop_verdict"].items()
            if dict(k)["ttl"] == str(hop.ttl)
        }
        assert states[str(verdict)] == 1 and sum(states.values()) == 1
    assert len([h for h in view.hops[1].responders]) == 2  # the ECMP pair: two series
    assert samples["tracetui_loss_ratio"][_labels(target="example.org", ttl="3", method="icmp")]
    assert samples["tracetui_path_length"][_labels(target="example.org")] == 6
    assert samples["tracetui_destination_reached"][_labels(target="example.org")] == 1
    silent = {dict(k)["tracetui_hop_verdict"]: v for k, v in samples["tracetui_hop_verdict"].items()
              if dict(k)["ttl"] == "4"}  # fmt: skip
    assert silent["silent"] == 1


def test_route_changes_count_the_diagnosis_events(diagnosed_run):
    from tracetui.path.diagnosis import PathEvent

    metrics = PathMetrics("t")
    view = diagnosed_run.rounds(2)
    stamp = view.taken
    events = [
        PathEvent(stamp, "responder-new", 3, "a new router at hop 3"),
        PathEvent(stamp, "path-longer", None, "longer"),
        PathEvent(stamp, "loss-start", 3, "loss"),
    ]
    metrics.publish(view, events)
    metrics.publish(view, events[:1])
    samples = scrape(metrics)
    assert samples["tracetui_route_changes_total"][_labels(target="t")] == 3
    kinds = samples["tracetui_path_events_total"]
    assert kinds[_labels(target="t", kind="responder-new")] == 2
    assert kinds[_labels(target="t", kind="loss-start")] == 1


def test_responder_series_are_bounded():
    from tracetui.probe.events import ProbeReplied, Restart, Restarted
    from tracetui.probe.types import ReplyKind

    metrics = PathMetrics("t")
    metrics.observe(Restarted(ProbeMethod.ICMP, Restart.START))
    for index in range(MAX_SERIES + 10):
        address = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
        metrics.observe(ProbeReplied(1, 1, address, 1.0, ReplyKind.TIME_EXCEEDED, 0))
    samples = scrape(metrics)
    assert len(samples["tracetui_rtt_seconds_count"]) == MAX_SERIES
    assert samples["tracetui_series_dropped_total"][_labels(target="t")] == 10


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
    probes = [line for line in lines if "ttl" in line]
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
        if "dropped" in record:
            dropped_lines.append(record["dropped"])
        else:
            received += 1
            assert record["method"] == "udp" and record["lost"] is True
    closer.join(30)
    assert received + writer.dropped == total
    assert sum(dropped_lines) == writer.dropped  # the reader is told, in the stream itself
