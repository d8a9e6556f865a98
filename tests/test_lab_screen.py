"""End to end: the live screen in a real terminal (tmux), tracing the lab."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest
from lab.terminal import contrast, parse_cells

pytestmark = pytest.mark.lab


def _tracetui(plan, options: str) -> str:
    """The shell command that starts tracetui in the lab's client namespace."""
    return f"ip netns exec {plan.client} {sys.executable} -m tracetui {options}"


def _round(screen: str) -> int:
    found = re.search(r"round (\d+)", screen)
    return int(found.group(1)) if found else 0


def test_live_screen_shows_the_lab_routers_and_quits_cleanly(main_lab, terminal):
    plan = main_lab.plan
    tracetui = _tracetui(plan, f"-i 0.2 -Z 1 {plan.topology.target_name}")
    command = f"{tracetui}; echo EXITED $?; sleep 30"
    term = terminal(command, 120, 34)
    # the system resolver (the lab's dnsmasq via /etc/netns) may prefer the AAAA record
    screen = term.wait_until(lambda s: "target.lab.example (" in s and "round 5" in s)
    family = 6 if "(2001:db8:" in screen else 4
    hop1 = plan.hop_addresses(1, family).pop()
    assert "r1.lab.example " in screen and "r2.lab.example " in screen  # names, as mtr shows
    term.keys("a")  # addresses, then both (mtr's -b; its b key is the bit pattern)
    term.keys("a")
    term.wait_until(lambda s: f"r1.lab.example ({hop1})" in s)
    assert "???" in screen  # the silent router
    assert "ICMP" in screen and "running" in screen
    term.keys("n")
    term.wait_until(lambda s: "r1.lab.example" not in s and f"  1 {hop1} " in s)
    term.keys("q")
    screen = term.wait_until(lambda s: "EXITED 0" in s)
    assert "Loss%" not in screen  # the terminal is back to the shell


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "ctrl-c"])
def test_live_screen_ends_cleanly_on_signals_and_ctrl_c(main_lab, terminal, tmp_path, how):
    plan = main_lab.plan
    pidfile = tmp_path / "pid"
    tracetui = _tracetui(plan, f"-n -i 0.2 {plan.target_address(4)}")
    inner = f"echo $$ > {pidfile}; exec {tracetui}"
    command = f"sh -c '{inner}'; echo EXITED $?; sleep 30"
    term = terminal(command, 100, 30)
    term.wait_until(lambda s: "round 3" in s)
    if how == "ctrl-c":
        term.keys("C-c")
    else:
        os.kill(int(pidfile.read_text()), getattr(signal, how))
    screen = term.wait_until(lambda s: "EXITED" in s)
    assert "EXITED 0" in screen
    assert "Loss%" not in screen and "round" not in screen  # the screen was restored


def _seconds_for_rounds(term, rounds: int) -> tuple[float, str]:
    """How long the screen takes to show ``rounds`` more rounds, and the screen then."""
    start_round = _round(term.screen())
    started = time.monotonic()
    screen = term.wait_until(lambda s: _round(s) >= start_round + rounds, timeout=60.0)
    return time.monotonic() - started, screen


def _seconds_for_key(term, key: str, shows) -> float:
    started = time.monotonic()
    term.keys(key)
    term.wait_until(shows, timeout=30.0)
    return time.monotonic() - started


def test_live_screen_keeps_going_when_the_dns_server_dies(fault_lab, terminal):
    plan = fault_lab.plan
    command = _tracetui(plan, f"-i 0.1 -Z 0.5 {plan.target_address(4)}") + "; sleep 30"
    term = terminal(command, 120, 34)
    term.wait_until(lambda s: "f1.lab.example" in s)
    # ground truth from this run: how fast rounds and a keypress show with DNS alive
    alive, _ = _seconds_for_rounds(term, 20)
    key_alive = _seconds_for_key(term, "j", lambda s: "Jttr" in s)
    fault_lab.stop_dns()
    dead, screen = _seconds_for_rounds(term, 20)
    # rounds went on at their pace; the screen kept repainting with the names it had
    assert dead < 2 * alive + 1.0, (dead, alive)
    assert "f1.lab.example" in screen and "f2.lab.example" in screen
    # AS lookups now go to a dead server: the keypress is still answered at once
    key_dead = _seconds_for_key(term, "z", lambda s: "AS???" in s)
    assert key_dead < 2 * key_alive + 1.0, (key_dead, key_alive)


def test_closing_the_terminal_ends_the_process(main_lab, terminal, tmp_path):
    """The terminal vanishes (its server is killed): tracetui must not linger, probing."""
    plan = main_lab.plan
    pidfile = tmp_path / "pid"
    tracetui = _tracetui(plan, f"-n -i 0.05 {plan.target_address(4)}")
    term = terminal(f"sh -c 'echo $$ > {pidfile}; exec {tracetui}'", 100, 30)
    term.wait_until(lambda s: "round 3" in s)
    pid = int(pidfile.read_text())
    term.close()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "tracetui outlived its terminal"


def test_live_screen_switches_methods_without_root(main_lab, terminal):
    """u, t and i as user nobody: each method reaches the target, and the header says
    which way the probes go without root."""
    plan = main_lab.plan
    main_lab.exec("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    target = plan.target_address(4)
    nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups"
    command = (
        f"ip netns exec {plan.client} {nobody} {sys.executable} -m tracetui "
        f"-n -i 0.1 -Z 1 {target}; echo EXITED $?; sleep 30"
    )
    term = terminal(command, 120, 34)
    reached = re.compile(rf"^\s*6 {re.escape(target)}\s+\S+\s+0\.0%", re.MULTILINE)
    term.wait_until(lambda s: reached.search(s) and "ICMP through ping sockets" in s)
    for key, header in (("u", "a port per probe"), ("t", "a port per probe"), ("I", "ping")):
        term.keys(key)
        start = _round(term.screen())
        screen = term.wait_until(
            lambda s, header=header, start=start: (
                header in s and _round(s) >= start + 5 and reached.search(s) is not None
            )
        )
        assert "not sent" not in screen, screen
    term.keys("q")
    term.wait_until(lambda s: "EXITED 0" in s)


def test_without_colour_loss_stays_legible(terminal):
    """NO_COLOR: the terminal's own escape codes (tmux capture-pane -e) show loss as bold,
    lost probes as bold reverse, and every character at a readable contrast (WCAG: 4.5:1,
    3:1 for bold text)."""
    term = terminal(f"NO_COLOR=1 {sys.executable} -m tracetui --demo; sleep 30", 120, 34)
    term.wait_until(lambda s: _round(s) >= 12 and "edge1.dc.example" in s)
    rows = parse_cells(term.styled_screen())
    header = next(
        i for i, row in enumerate(rows) if "".join(c.char for c in row).startswith(" Hop")
    )
    loss_column = "".join(c.char for c in rows[header]).index("Loss%")
    marks = lossy = 0
    for row in rows[header + 1 : header + 11]:
        text = "".join(cell.char for cell in row)
        for cell in row:
            if cell.char.strip():
                needed = 3.0 if cell.bold else 4.5
                assert contrast(cell.fg, cell.bg) >= needed, (text, cell)
        loss = re.search(r"(\d+\.\d)%", text[loss_column - 2 : loss_column + 6])
        quiet = "silent" in text or "ratelimit" in text
        if loss and float(loss.group(1)) >= 5 and not quiet:
            lossy += 1
            start = loss_column - 2 + loss.start()
            assert all(c.bold or c.reverse for c in row[start : start + len(loss.group(0))]), text
        history = text.rfind("  ") + 2
        for cell in row[history:]:
            if cell.char == "?" and not quiet:
                marks += 1
                assert cell.bold and cell.reverse, text
    assert lossy >= 2 and marks >= 2  # the demo's lossy hops were there to be checked


def test_report_on_exit_prints_the_report_of_what_the_screen_showed(main_lab, terminal, tmp_path):
    plan = main_lab.plan
    target = plan.target_address(4)
    report = tmp_path / "report.json"
    tracetui = _tracetui(plan, f"-n -c 5 -i 0.1 --report-on-exit json {target}")
    term = terminal(f"{tracetui} > {report}; echo EXITED $?; sleep 30", 80, 24)
    term.wait_until(lambda s: "EXITED 0" in s, 30)  # -c 5: the screen ends, as mtr's does
    hubs = json.loads(report.read_text())["report"]["hubs"]
    assert len(hubs) == 6 and hubs[-1]["host"] == target and hubs[0]["Snt"] == 5
