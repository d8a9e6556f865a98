"""End to end: record real lab runs, replay them offline, compare, and read them with tcpdump.

Every probe method and family with raw sockets, and the unprivileged sockets
(one per probe, ping sockets) as nobody: the replay, run as nobody outside the
lab (no privileges, no network, no DNS), prints the recorded run's JSON report
byte for byte: hops, responders, names, Snt/Rcv, Loss%, every RTT, verdicts,
summary, start and end. A recording killed mid-write replays up to its last
whole packet; the size limit holds; the file is the sudo user's.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from lab.terminal import Terminal, have_tmux
from unavailable import unavailable

from tracetui.recording.pcapng import read_blocks

pytestmark = pytest.mark.lab

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
RUN = ["-c", "5", "-i", "0.1", "-Z", "1"]
SOURCE = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared_dir():
    """A directory nobody may write to and read from (pytest's own is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="tracetui-rec-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


def replay(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Replay as nobody, in the host's namespace: no lab, no privileges, no network."""
    return subprocess.run(
        [*NOBODY, sys.executable, "-m", "tracetui", "--replay", str(path), *args],
        capture_output=True, text=True, cwd=SOURCE, timeout=120, check=False,
    )  # fmt: skip


def tcpdump_lines(path: Path) -> list[str]:
    done = subprocess.run(
        ["tcpdump", "-nn", "-r", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


CASES = [(4, []), (4, ["-u"]), (4, ["-T"]), (6, []), (6, ["-u"]), (6, ["-T"])]


@pytest.mark.parametrize(
    "family,method", CASES, ids=["icmp4", "udp4", "tcp4", "icmp6", "udp6", "tcp6"]
)
def test_a_replay_prints_the_recorded_report(main_lab, shared_dir, family, method):
    path = shared_dir / "run.pcapng"
    target = main_lab.plan.target_address(family)
    recorded = main_lab.tracetui("-j", *method, *RUN, "--record", str(path), target)
    replayed = replay(path, "-j")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout
    report = json.loads(replayed.stdout)["report"]
    assert report["tracetui"]["reached"] and report["hubs"][0]["hostname"] == "r1.lab.example"
    lines = tcpdump_lines(path)
    packets = [block for block in read_blocks(str(path))[1] if not block.custom]
    assert len(lines) == len(packets) > 60
    probe = {(): "ICMP", ("-u",): "UDP", ("-T",): "Flags [S]"}[tuple(method)]
    assert sum(probe in line for line in lines) >= 30
    assert sum("time exceeded" in line for line in lines) >= 10


@pytest.mark.parametrize("method", [[], ["-u"], ["-T"]], ids=["icmp", "udp", "tcp"])
def test_unprivileged_runs_replay_too(lossy_lab, shared_dir, method):
    """Ping sockets and a socket per probe hand over no packets: the recording rebuilds
    them from what the error queue said, and the replay reads them as they were."""
    path = shared_dir / "run.pcapng"
    target = lossy_lab.plan.target_address(4)
    argv = [*NOBODY, sys.executable, "-m", "tracetui", "-j", *method, "-c", "20", "-i", "0.05"]
    recorded = lossy_lab.exec(*argv, "-Z", "1", "--record", str(path), target)
    assert json.loads(recorded.stdout)["report"]["tracetui"]["sockets"] != "raw"
    replayed = replay(path, "-j")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout
    assert len(tcpdump_lines(path)) > 100


def test_icmp_extensions_and_text_reports_replay(extension_lab, shared_dir):
    path = shared_dir / "run.pcapng"
    target = extension_lab.plan.target_address(4)
    recorded = extension_lab.tracetui("-r", "-e", *RUN, "--record", str(path), target)
    replayed = replay(path, "-r", "-e")
    assert replayed.stdout == recorded.stdout and "[MPLS: Lbl" in replayed.stdout


def test_a_recording_killed_mid_write_replays_to_its_last_whole_packet(main_lab, shared_dir):
    path = shared_dir / "run.pcapng"
    target = main_lab.plan.target_address(4)
    argv = [sys.executable, "-m", "tracetui", "-j", "-c", "1000", "-i", "0.05", "-Z", "1"]
    process = main_lab.popen(
        *argv, "--record", str(path), target, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while process.poll() is None and (not path.exists() or path.stat().st_size < 60_000):
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    cut = shared_dir / "cut.pcapng"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) - 7])  # and certainly half a block at the end
    for recording in (path, cut):
        replayed = replay(recording, "-j")
        assert replayed.returncode == 0, replayed.stderr
        hubs = json.loads(replayed.stdout)["report"]["hubs"]
        assert hubs[0]["Snt"] >= 5 and hubs[0]["Rcv"] >= 5
        assert hubs[-1]["ip"] == target
    done = subprocess.run(["tcpdump", "-nn", "-r", str(cut)], capture_output=True, text=True)
    assert len(done.stdout.splitlines()) > 100 and "truncated" in done.stderr  # as tools do


def test_the_record_limit_holds_and_the_run_says_so(main_lab, shared_dir):
    path = shared_dir / "run.pcapng"
    target = main_lab.plan.target_address(4)
    done = main_lab.tracetui(
        "-r", "-c", "20", "-i", "0.05", "-Z", "1", "--record", str(path),
        "--record-limit", "16k", target,
    )  # fmt: skip
    assert path.stat().st_size <= 16 * 1024
    assert "stopped at its limit of 16,384 bytes" in done.stderr
    assert "|-- target.lab.example" in done.stdout  # probing went on to the end
    replayed = replay(path, "-r")
    assert replayed.returncode == 0, replayed.stderr


def test_the_recording_belongs_to_the_user_who_ran_sudo(main_lab, shared_dir):
    path = shared_dir / "run.pcapng"
    target = main_lab.plan.target_address(4)
    main_lab.exec(
        "env", "SUDO_UID=65534", "SUDO_GID=65534", sys.executable, "-m", "tracetui",
        "-j", *RUN, "--record", str(path), target,
    )  # fmt: skip
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_the_live_screen_replays_the_run_as_it_happened(main_lab, shared_dir):
    if not have_tmux():
        unavailable("tmux is not installed")
    path = shared_dir / "run.pcapng"
    target = main_lab.plan.target_address(4)
    argv = ["-j", "-c", "24", "-i", "0.25", "-Z", "1", "--record", str(path), target]
    report = json.loads(main_lab.tracetui(*argv).stdout)["report"]
    command = " ".join(
        shlex.quote(part)
        for part in (*NOBODY, sys.executable, "-m", "tracetui", "--replay", str(path))
    )
    inner = f"cd {shlex.quote(str(SOURCE))} && {command} --replay-speed 1"
    term = Terminal(f"sh -c {shlex.quote(inner)}", 120, 34)
    try:
        running = term.wait_until(lambda s: "replay ×1" in s and "r1.lab.example" in s, 60)
        assert "round 24" not in running  # it plays out at the recorded pace, not at once
        done = term.wait_until(lambda s: "■ done" in s, 60)
        first = next(line for line in done.splitlines() if " r1.lab.example " in line)
        assert f" {report['hubs'][0]['Snt']} " in first
        term.keys("q")
    finally:
        term.close()
    assert os.path.exists(path)
