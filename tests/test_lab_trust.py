"""Trust on a real network: other programs, faults, signals, privileges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracetui.run.headless import NAME_WAIT

pytestmark = pytest.mark.lab

SILENT_HOP = 4
PY = sys.executable


def _json(text: str) -> dict:
    return json.loads(text)["report"]


def _start(lab, *args: str) -> subprocess.Popen:
    return lab.popen(
        PY, "-m", "tracetui", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_concurrent_tracers_and_ping_each_count_only_their_own(main_lab):
    target = main_lab.plan.target_address(4)
    rounds = 100
    tracers = [
        # -w 3: a reply the busy lab forwarder holds up must not read as "stolen"
        _start(main_lab, "--json", "-n", "-c", str(rounds), "-i", "0.02", "-Z", "3", target)
        for _ in range(2)
    ]
    ping = main_lab.popen(
        "ping",
        "-q",
        "-i",
        "0.005",
        "-c",
        "500",
        target,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outputs = [p.communicate(timeout=60) for p in tracers]
    ping.wait(timeout=30)
    for (out, err), process in zip(outputs, tracers, strict=True):
        assert process.returncode == 0, err
        report = _json(out)
        for hub in report["hubs"]:
            assert hub["Snt"] == rounds
            expected = 0 if hub["count"] == SILENT_HOP else rounds
            assert hub["Rcv"] == expected, hub  # nothing stolen, nothing borrowed
        # the other tracer's and ping's replies reached this raw socket and were set aside
        assert report["tracetui"]["ignored_packets"]["foreign"] > 100


def test_path_goes_dark_and_comes_back(main_lab):
    target = main_lab.plan.target_address(4)
    rounds = 120
    process = _start(main_lab, "--json", "-n", "-c", str(rounds), "-i", "0.05", "-Z", "0.5", target)
    try:
        time.sleep(1.5)
        main_lab.set_link(2, up=False)
        time.sleep(2.0)
    finally:
        main_lab.set_link(2, up=True)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    hubs = _json(out)["hubs"]
    assert hubs[0]["Loss%"] == 0.0 and hubs[0]["Rcv"] == rounds
    for hub in hubs[1:]:
        if hub["count"] == SILENT_HOP:
            continue
        assert 15.0 <= hub["Loss%"] <= 50.0, hub  # dark for about a third of the run
        assert hub["Rcv"] >= 60, hub  # more than the ~30 rounds before the dark: it resumed
    assert len(hubs) == 6  # the path length survived the outage


def _timed(lab, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = lab.tracetui(*args)
    return done, time.monotonic() - started


def test_dns_server_dying_mid_run_costs_only_names(fault_lab):
    target = fault_lab.plan.topology.target_name
    address = fault_lab.plan.target_address(4)
    # ground truth from this run and machine: the same report without any name lookups
    _, without_names = _timed(
        fault_lab, "--json", "-n", "-c", "40", "-i", "0.05", "-Z", "2", address
    )
    started = time.monotonic()
    process = _start(fault_lab, "--json", "-c", "40", "-i", "0.05", "-Z", "2", address)
    time.sleep(0.4)
    fault_lab.stop_dns()
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - started
    assert process.returncode == 0, err
    hubs = _json(out)["hubs"]
    assert [hub["Rcv"] for hub in hubs] == [40, 40, 40]
    # names cost at most their bounded wait at the end (tracetui.run.headless.NAME_WAIT)
    assert elapsed < without_names + NAME_WAIT + 1.0, (elapsed, without_names)
    # a fresh run with the server gone: addresses, as soon as a run without names
    _, without_names = _timed(fault_lab, "-r", "-n", "-c", "3", "-i", "0.05", "-Z", "2", address)
    done, elapsed = _timed(fault_lab, "-r", "-c", "3", "-i", "0.05", "-Z", "2", address)
    assert elapsed < without_names + NAME_WAIT + 1.0, (elapsed, without_names)
    assert f"  3.|-- {address}" in done.stdout
    assert target not in done.stdout


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_end_a_report_cleanly_with_what_it_has(main_lab, signum):
    process = _start(
        main_lab,
        "-r",
        "-n",
        "-c",
        "1000",
        "-i",
        "0.05",
        "-Z",
        "0.5",
        main_lab.plan.target_address(4),
    )
    _wait_for_privilege_drop(process.pid)  # then its signal handlers are in place
    time.sleep(1.0)
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 128 + signum
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("Start: ") and [line[:6] for line in lines[2:8]] == [
        f"  {hop}.|-" for hop in range(1, 7)
    ]
    sent = int(lines[2].split()[3])
    assert 1 <= sent < 1000


def _status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _wait_for_privilege_drop(pid: int, timeout: float = 30.0) -> dict[str, str]:
    """The process's status once it has opened its sockets and shed its capabilities."""
    deadline = time.monotonic() + timeout
    while True:
        status = _status(pid)
        if int(status["CapEff"], 16) == 0 or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def test_sudo_run_drops_to_the_invoking_user_without_capabilities(main_lab, tmp_path):
    out_dir = Path(f"/tmp/tracetui-priv-{os.getpid()}")
    out_dir.mkdir(mode=0o777, exist_ok=True)
    out_dir.chmod(0o777)
    report = out_dir / "report.json"
    try:
        process = main_lab.popen(
            "env",
            "SUDO_UID=65534",
            "SUDO_GID=65534",
            PY,
            "-m",
            "tracetui",
            "--json",
            "-n",
            "-c",
            "40",
            "-i",
            "0.05",
            "-Z",
            "0.5",
            "--output",
            str(report),
            main_lab.plan.target_address(4),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # "env" execs python: same PID
        status = _wait_for_privilege_drop(process.pid)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert status["Uid"].split() == ["65534"] * 4
        assert status["Gid"].split() == ["65534"] * 4
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
        assert status["Groups"] == ""
        assert report.stat().st_uid == 65534 and report.stat().st_gid == 65534
        assert len(_json(report.read_text())["hubs"]) == 6
    finally:
        for path in out_dir.iterdir():
            path.unlink()
        out_dir.rmdir()


def _as_nobody(lab, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return lab.exec(
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        PY,
        "-m",
        "tracetui",
        *args,
        check=False,
        **kwargs,
    )


def _ping_group_range(lab, value: str) -> None:
    lab.exec("sysctl", "-qw", f"net.ipv4.ping_group_range={value}")


METHOD_FLAGS = {"icmp": [], "udp": ["-u"], "tcp": ["-T"]}


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", sorted(METHOD_FLAGS))
def test_every_method_without_privileges(main_lab, method, family):
    """ICMP through ping sockets, UDP and TCP through a socket per probe: the lab's path,
    every hop from the routers of the topology, round trips no shorter than the links."""
    plan = main_lab.plan
    _ping_group_range(main_lab, "0 2147483647")
    # -Z 2: the lab's links are a user-space forwarder, which a busy machine can hold up
    # for longer than half a second; this test is about privileges, not timing
    done = _as_nobody(
        main_lab,
        "--json",
        "-n",
        *METHOD_FLAGS[method],
        f"-{family}",
        "-c",
        "5",
        "-i",
        "0.05",
        "-Z",
        "2",
        plan.target_address(family),
    )
    assert done.returncode == 0, done.stderr
    report = _json(done.stdout)
    hubs = report["hubs"]
    assert report["tracetui"]["sockets"] == "unprivileged"
    assert report["tracetui"]["reached"] and len(hubs) == 6
    for hub in hubs:
        if hub["count"] == SILENT_HOP:
            assert hub["Rcv"] == 0
            continue
        assert {r["ip"] for r in hub["responders"]} <= plan.hop_addresses(hub["count"], family)
        assert hub["Rcv"] == 5 and hub["Failed"] == 0, hub
        assert hub["Best"] >= plan.rtt_ms(hub["count"]) - 0.05, hub
    assert not report["tracetui"]["ignored_packets"]
    limits = [note for note in report["tracetui"]["notes"] if "Without root" in note]
    assert bool(limits) == (method != "icmp")


def test_udp_and_tcp_need_no_ping_sockets(main_lab):
    plan = main_lab.plan
    _ping_group_range(main_lab, "1 0")
    try:
        for flag in ("-u", "-T"):
            done = _as_nobody(
                main_lab,
                "--json",
                "-n",
                flag,
                "-c",
                "3",
                "-i",
                "0.05",
                "-Z",
                "2",
                plan.target_address(4),
            )
            assert done.returncode == 0, done.stderr
            report = _json(done.stdout)
            assert report["tracetui"]["reached"]
            # triage pings need ICMP: without ping sockets none are sent, none are lost
            assert report["tracetui"]["pings"] == {}
    finally:
        _ping_group_range(main_lab, "0 2147483647")


@pytest.mark.parametrize("mode", [["--report", "-c", "1"], []])
def test_icmp_without_any_privilege_is_one_clear_line(main_lab, mode):
    _ping_group_range(main_lab, "1 0")
    try:
        done = _as_nobody(main_lab, *mode, "-n", main_lab.plan.target_address(4))
    finally:
        _ping_group_range(main_lab, "0 2147483647")
    assert done.returncode == 1
    assert done.stdout == ""  # no partial screen, no escape codes
    assert done.stderr.count("\n") == 1
    for remedy in ('sudo "$(command -v tracetui)"', "ping_group_range", "(-u)", "(-T)"):
        assert remedy in done.stderr
    assert "setcap" not in done.stderr  # raw sockets for every Python program: never advised
