"""End to end: several targets from one process, over one set of raw sockets.

The lab's target and two of its routers are traced at once (three paths of 6, 2
and 5 hops). Each report must be what tracing that target alone gives (the same
hops, responders and reach), with no reply taken for another target's (no
foreign or stale packets counted): the shared sockets route every reply by what
it quotes. -F reads the targets from a file; CSV has mtr's header once; the
metrics endpoint serves every target, promtool-clean.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.lab

RUN = ["-n", "-c", "5", "-i", "0.1", "-Z", "1"]


def targets(lab, family: int) -> list[str]:
    plan = lab.plan
    return [
        plan.target_address(family),
        sorted(plan.hop_addresses(2, family))[0],
        sorted(plan.hop_addresses(5, family))[0],
    ]


def shape(report: dict) -> list[tuple[int, list[str]]]:
    """Each hop with the addresses that answered there (silent hops answer nothing)."""
    return [(hub["count"], sorted(r["ip"] for r in hub["responders"])) for hub in report["hubs"]]


@pytest.mark.parametrize(
    "family,method",
    [(4, []), (4, ["-u"]), (4, ["-T"]), (4, ["-T", "--vary-ports"]), (6, []), (6, ["-u"])],
    ids=["icmp4", "udp4", "tcp4", "tcp4-vary", "icmp6", "udp6"],
)
def test_each_targets_report_is_what_tracing_it_alone_gives(main_lab, family, method):
    addresses = targets(main_lab, family)
    together = json.loads(main_lab.tracetui("-j", *method, *RUN, *addresses).stdout)
    reports = [entry["report"] for entry in together["reports"]]
    assert [r["mtr"]["dst"] for r in reports] == addresses
    for address, report in zip(addresses, reports, strict=True):
        alone = json.loads(main_lab.tracetui("-j", *method, *RUN, address).stdout)["report"]
        # the same hops; at the ECMP pair (hop 3) each flow may take either branch
        assert [hop for hop, _ in shape(report)] == [hop for hop, _ in shape(alone)]
        for (hop, seen), (_, seen_alone) in zip(shape(report), shape(alone), strict=True):
            possible = main_lab.plan.hop_addresses(hop, family)
            assert set(seen) <= possible and set(seen_alone) <= possible, hop
            assert bool(seen) == bool(seen_alone), hop  # hop 4 is silent either way
        assert report["tracetui"]["reached"] and report["hubs"][-1]["ip"] == address
        assert report["hubs"][-1]["Loss%"] == 0.0 and report["hubs"][0]["Snt"] == 5
        assert report["tracetui"]["ignored_packets"] == {}  # nothing taken for another's


def test_targets_from_a_file_and_csv_with_one_header(main_lab, tmp_path):
    addresses = targets(main_lab, 4)
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# the lab\n{addresses[0]}\n\n  {addresses[1]}   # hop 2\n{addresses[2]}\n")
    done = main_lab.tracetui("-C", *RUN, "-F", str(listing))
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Mtr_Version,Start_Time,Status,Host,Hop,Ip,")
    assert sum(line.startswith("Mtr_Version") for line in lines) == 1
    rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
    assert [sum(1 for row in rows if row[3] == a) for a in addresses] == [6, 2, 5]
    text = main_lab.tracetui("-r", *RUN, *addresses).stdout
    assert text.count("Start: ") == 3 and text.count("HOST: ") == 3


def test_xml_output_and_events_with_several_targets(main_lab, tmp_path):
    """What one target has, several have: -x is one XML document (an <MTR> per target
    under <REPORTS>), --output writes it, --events is one file naming each target."""
    import xml.etree.ElementTree as ET

    addresses = targets(main_lab, 4)
    out, events = tmp_path / "report.xml", tmp_path / "events.jsonl"
    done = main_lab.tracetui("-x", *RUN, "--output", str(out), "--events", str(events), *addresses)
    assert done.stdout == "" and done.returncode == 0
    root = ET.fromstring(out.read_text())
    assert root.tag == "REPORTS"
    assert [m.get("DST") for m in root] == addresses
    assert [len(m.findall("HUB")) for m in root] == [6, 2, 5]
    alone = ET.fromstring(main_lab.tracetui("-x", *RUN, addresses[1]).stdout)
    assert alone.tag == "MTR" and len(alone.findall("HUB")) == 2  # one target: mtr's own
    assert events.exists()  # a clean lab may log nothing; every line names its target
    assert all(json.loads(line)["target"] in addresses for line in events.read_text().splitlines())


def test_each_line_of_a_file_may_probe_its_own_way(main_lab, tmp_path):
    """-F lines with their own method and port: TCP to port 80 of the target (its kernel
    answers with a reset), UDP to a router, ICMP as the command line says."""
    addresses = targets(main_lab, 4)
    listing = tmp_path / "targets.txt"
    listing.write_text(f"{addresses[0]} -T -P 80\n{addresses[1]} -u\n{addresses[2]}\n")
    done = main_lab.tracetui("-j", *RUN, "-F", str(listing))
    reports = [entry["report"] for entry in json.loads(done.stdout)["reports"]]
    assert [(r["mtr"]["method"], r["mtr"]["port"]) for r in reports] == [
        ("tcp", 80),
        ("udp", None),
        ("icmp", None),
    ]
    for report, hops in zip(reports, (6, 2, 5), strict=True):
        assert report["tracetui"]["reached"], report["mtr"]
        assert len(report["hubs"]) == hops and report["hubs"][-1]["Loss%"] == 0.0
        assert report["tracetui"]["ignored_packets"] == {}


def test_one_endpoint_serves_every_target(main_lab):
    addresses = targets(main_lab, 4)
    port = 19480
    tracer = main_lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.1",
        "--metrics", str(port), *addresses,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    fetch = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    )
    try:
        text = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = main_lab.exec(
                sys.executable, "-c", fetch, f"http://127.0.0.1:{port}/metrics", check=False
            )
            text = done.stdout
            if all(f'tracetui_destination_reached{{target="{a}"}} 1' in text for a in addresses):
                break
            time.sleep(0.5)
        for address, length in zip(addresses, (6, 2, 5), strict=True):
            assert f'tracetui_path_length{{target="{address}"}} {length}\n' in text
        checked = subprocess.run(
            ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
        )
        assert checked.returncode == 0 and not (checked.stdout + checked.stderr).strip()
    finally:
        tracer.send_signal(signal.SIGTERM)
        _out, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    assert err.startswith("tracetui: tracing 3 targets every 0.1s")


def test_live_screen_with_several_targets_at_80x24(main_lab, terminal, tmp_path):
    """The live screen over raw sockets: tabs, right and left, the list, and metrics and
    a stream for every target."""
    plan = main_lab.plan
    addresses = targets(main_lab, 4)
    port = 19481
    stream = tmp_path / "probes.jsonl"
    report = tmp_path / "report.json"
    events = tmp_path / "events.jsonl"
    command = (
        f"ip netns exec {plan.client} {sys.executable} -m tracetui -n -i 0.2 --events {events} "
        f"--metrics {port} --stream {stream} --report-on-exit json {' '.join(addresses)}"
        f" > {report}; echo EXITED $?; sleep 30"
    )
    term = terminal(command, 80, 24)
    tabs = [f"{n} ✓ {a}" for n, a in enumerate(addresses, start=1)]
    screen = term.wait_until(lambda s: all(tab in s.splitlines()[0] for tab in tabs), 30)
    assert f"tracetui → {addresses[0]} " in screen and "←/→ target" in screen
    term.keys("Right")
    screen = term.wait_until(lambda s: f"→ {addresses[1]} " in s)
    rows = [line for line in screen.splitlines() if re.match(r"\s+\d+ \d", line)]
    assert [line.split()[1] for line in rows[:2]] == [
        sorted(plan.hop_addresses(1, 4))[0],
        addresses[1],
    ]
    term.keys("Left", "Left")
    term.wait_until(lambda s: f"→ {addresses[2]} " in s)
    term.keys("l")
    listing = term.wait_until(lambda s: "Worst verdict" in s)
    for address, hops in zip(addresses, (6, 2, 5), strict=True):
        line = next(line for line in listing.splitlines() if f" {address} " in line)
        assert " yes " in line and line.split()[-1] == str(hops), line
    term.keys("Up", "Enter")
    term.wait_until(lambda s: f"→ {addresses[1]} " in s and "Worst verdict" not in s)
    fetch = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    )
    text = main_lab.exec(sys.executable, "-c", fetch, f"http://127.0.0.1:{port}/metrics").stdout
    for address, length in zip(addresses, (6, 2, 5), strict=True):
        assert f'tracetui_path_length{{target="{address}"}} {length}\n' in text
    term.keys("q")
    term.wait_until(lambda s: "EXITED 0" in s)
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    assert {line["target"] for line in lines if "rtt_ms" in line} == set(addresses)
    assert all(json.loads(line)["target"] in addresses for line in events.read_text().splitlines())
    reports = [entry["report"] for entry in json.loads(report.read_text())["reports"]]
    assert [(r["mtr"]["dst"], len(r["hubs"])) for r in reports] == list(
        zip(addresses, (6, 2, 5), strict=True)
    )


def test_one_stream_names_every_target(main_lab, tmp_path):
    """--stream with several targets: one file, each line naming its target; per target
    and hop, the replies and losses are the report's Rcv and Snt - Rcv."""
    addresses = targets(main_lab, 4)
    stream = tmp_path / "probes.jsonl"
    done = main_lab.tracetui("-j", *RUN, "--stream", str(stream), *addresses)
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    assert {line["target"] for line in lines} == set(addresses)
    for entry in json.loads(done.stdout)["reports"]:
        target = entry["report"]["mtr"]["dst"]
        mine = [line for line in lines if line["target"] == target and "ttl" in line]
        for hub in entry["report"]["hubs"]:
            at_hop = [line for line in mine if line["ttl"] == hub["count"]]
            replies = [line for line in at_hop if "rtt_ms" in line]
            assert len(replies) == hub["Rcv"], (target, hub["count"])
            lost = [line for line in at_hop if line.get("lost")]
            assert len(lost) == hub["Snt"] - hub["Rcv"], (target, hub["count"])


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("method", [[], ["-u"], ["-T"]], ids=["icmp", "udp", "tcp"])
def test_several_targets_without_root(main_lab, method):
    """As nobody: no raw sockets, so each target has its own (a ping socket, or a socket
    per probe); the scheduler turns them every read interval. Same paths, all reached."""
    addresses = targets(main_lab, 4)
    argv = [*NOBODY, sys.executable, "-m", "tracetui", "-j", *method, *RUN, *addresses]
    done = main_lab.exec(*argv)
    reports = [entry["report"] for entry in json.loads(done.stdout)["reports"]]
    for address, report, hops in zip(addresses, reports, (6, 2, 5), strict=True):
        assert report["mtr"]["dst"] == address and report["tracetui"]["sockets"] == "unprivileged"
        assert report["tracetui"]["reached"] and len(report["hubs"]) == hops, report["hubs"]
        assert report["hubs"][-1]["Loss%"] == 0.0


def test_ipv4_and_ipv6_targets_in_one_run(main_lab):
    """One hub per family, both read by the one scheduler thread."""
    four, six = targets(main_lab, 4), targets(main_lab, 6)
    addresses = [four[0], six[0], four[1], six[2]]
    done = main_lab.tracetui("-j", *RUN, *addresses)
    reports = [entry["report"] for entry in json.loads(done.stdout)["reports"]]
    assert [(r["mtr"]["dst"], r["mtr"]["family"], len(r["hubs"])) for r in reports] == [
        (four[0], 4, 6),
        (six[0], 6, 6),
        (four[1], 4, 2),
        (six[2], 6, 5),
    ]
    for report in reports:
        assert report["tracetui"]["reached"] and report["hubs"][-1]["Loss%"] == 0.0
        assert report["tracetui"]["ignored_packets"] == {}
