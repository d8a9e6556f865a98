"""What an operator installs (deploy/), checked by the tools that will read it.

The alerting rules by Prometheus' own promtool (syntax, then unit tests that play a
clean day followed by an episode); the systemd unit by ``systemd-analyze verify``;
the unit's command line by tracetui itself.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from unavailable import unavailable

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "tracetui-rules.yml"
UNIT = DEPLOY / "systemd" / "tracetui.service"


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        unavailable("promtool (Debian's prometheus package) checks the rules")
    return path


def test_the_alerting_rules_are_valid():
    done = subprocess.run(
        [_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_the_alerting_rules_fire_on_a_fresh_episode_and_never_on_a_rate_limiter():
    """deploy/prometheus/tracetui-rules.test.yml: loss beginning after a clean day fires
    5 minutes in; a rate-limited hop never fires; unreachable, route change, refused
    sends and a target in error each fire once they have lasted, and not before."""
    done = subprocess.run(
        [_promtool(), "test", "rules", "tracetui-rules.test.yml"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=RULES.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _exec_start(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_systemd_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze checks the unit")
    argv = _exec_start(UNIT.read_text())
    assert argv[0] == "/opt/tracetui/bin/tracetui"
    here = f"{sys.executable} -m tracetui"  # the unit names where the README installs it
    unit = tmp_path / "tracetui.service"
    unit.write_text(UNIT.read_text().replace(argv[0], here))
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_units_command_line_is_one_tracetui_takes(tmp_path):
    argv = _exec_start(UNIT.read_text())
    targets = tmp_path / "targets.txt"
    targets.write_text("example.org\nexample.net -T -P 443\n")
    args = [
        str(targets)
        if arg == "/etc/tracetui/targets.txt"
        else arg.replace("/var/log", str(tmp_path))
        for arg in argv[1:]
    ]
    (tmp_path / "tracetui").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--print-config", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "headless = true" in done.stdout and 'metrics = "127.0.0.1:9464"' in done.stdout
