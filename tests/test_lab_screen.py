"""End to end: the live screen in a real terminal (tmux), tracing the lab."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.lab


@pytest.fixture
def terminal():
    if shutil.which("tmux") is None:
        pytest.skip("tmux is needed to drive the live screen")
    name = f"tracetui-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


# tmux started without a terminal exports COLUMNS=80 and LINES=24 to its panes, and
# programs (Textual too) believe those over the real pane size
UNSET_SIZE = "env -u COLUMNS -u LINES"


def _capture(name: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, check=False
    ).stdout


def _round(screen: str) -> int:
    found = re.search(r"round (\d+)", screen)
    return int(found.group(1)) if found else 0


def _wait_for(name: str, predicate, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(name)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"screen never matched:\n{screen}")


def test_live_screen_shows_the_lab_routers_and_quits_cleanly(main_lab, terminal):
    plan = main_lab.plan
    command = (
        f"{UNSET_SIZE} ip netns exec {plan.client} {sys.executable} -m tracetui -i 0.2 -w 1 "
        f"{plan.topology.target_name}; echo EXITED $?; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", terminal, "-x", "120", "-y", "34", command],
        check=True,
    )
    # the system resolver (the lab's dnsmasq via /etc/netns) may prefer the AAAA record
    screen = _wait_for(terminal, lambda s: "target.lab.example (" in s and "round 5" in s)
    family = 6 if "(2001:db8:" in screen else 4
    hop1 = plan.hop_addresses(1, family).pop()
    assert f"r1.lab.example ({hop1})" in screen
    assert f"r2.lab.example ({plan.hop_addresses(2, family).pop()})" in screen
    assert "???" in screen  # the silent router
    assert "ICMP" in screen and "running" in screen
    subprocess.run(["tmux", "send-keys", "-t", terminal, "n"], check=True)
    _wait_for(terminal, lambda s: "r1.lab.example" not in s and f"  1 {hop1} " in s)
    subprocess.run(["tmux", "send-keys", "-t", terminal, "q"], check=True)
    screen = _wait_for(terminal, lambda s: "EXITED 0" in s)
    assert "Loss%" not in screen  # the terminal is back to the shell


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "ctrl-c"])
def test_live_screen_ends_cleanly_on_signals_and_ctrl_c(main_lab, terminal, tmp_path, how):
    plan = main_lab.plan
    pidfile = tmp_path / "pid"
    inner = (
        f"echo $$ > {pidfile}; exec {UNSET_SIZE} ip netns exec {plan.client} {sys.executable} "
        "-m tracetui "
        f"-n -i 0.2 {plan.target_address(4)}"
    )
    command = f"sh -c '{inner}'; echo EXITED $?; sleep 30"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", terminal, "-x", "100", "-y", "30", command],
        check=True,
    )
    _wait_for(terminal, lambda s: "round 3" in s)
    if how == "ctrl-c":
        subprocess.run(["tmux", "send-keys", "-t", terminal, "C-c"], check=True)
    else:
        os.kill(int(pidfile.read_text()), getattr(signal, how))
    screen = _wait_for(terminal, lambda s: "EXITED" in s)
    assert "EXITED 0" in screen
    assert "Loss%" not in screen and "round" not in screen  # the screen was restored


def test_live_screen_keeps_going_when_the_dns_server_dies(fault_lab, terminal):
    plan = fault_lab.plan
    command = (
        f"{UNSET_SIZE} ip netns exec {plan.client} {sys.executable} -m tracetui -i 0.1 -w 0.5 "
        f"{plan.target_address(4)}; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", terminal, "-x", "120", "-y", "34", command],
        check=True,
    )
    screen = _wait_for(terminal, lambda s: "f1.lab.example" in s)
    fault_lab.stop_dns()
    started = time.monotonic()
    before = _round(screen)
    screen = _wait_for(terminal, lambda s: _round(s) >= before + 50, timeout=20.0)
    # 10 rounds a second went on; the screen kept repainting with the names it had
    assert time.monotonic() - started < 8.0
    assert "f1.lab.example" in screen and "f2.lab.example" in screen
    subprocess.run(["tmux", "send-keys", "-t", terminal, "z"], check=True)
    # AS lookups now go to a dead server: the keypress is still answered at once
    _wait_for(terminal, lambda s: "AS???" in s, timeout=2.0)
