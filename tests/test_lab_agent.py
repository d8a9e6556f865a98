"""End to end: the agent on a lab network, its targets changed by SIGHUP, a name in error.

tracetui --headless -F runs in the main lab's client namespace. The file names
the target (by address), a router, and a name the lab's DNS does not know. The
test reads the metrics endpoint as Prometheus would, rewrites the file, sends
SIGHUP as `systemctl reload` does, and checks: the kept target's counters go on
from where they were (never back), the removed one's series are gone, the added
one is traced, the unknown name stays in error without ending the run, and the
stream file reopened by the same SIGHUP (logrotate) gets the lines from then on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_lab_metrics import _wait_for

pytestmark = pytest.mark.lab

PORT = 19471
FETCH = (
    "import sys, urllib.request; "
    "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
)


def _scrape(lab) -> str:
    done = lab.exec(sys.executable, "-c", FETCH, f"http://127.0.0.1:{PORT}/metrics", check=False)
    return done.stdout if done.returncode == 0 else ""


def _sent(text: str, target: str, ttl: int) -> int | None:
    pattern = rf'tracetui_probes_sent_total\{{target="{re.escape(target)}",ttl="{ttl}"\}} (\d+)'
    found = re.search(pattern, text)
    return int(found.group(1)) if found else None


def _serving(lab, target: str, ttl: int) -> str:
    """The scrape once ``target`` has sent more than 5 probes at ``ttl``, else ''."""
    text = _scrape(lab)
    return text if (_sent(text, target, ttl) or 0) > 5 else ""


def test_sighup_changes_the_targets_and_a_name_in_error_never_ends_the_run(main_lab):
    plan = main_lab.plan
    target, router = plan.target_address(4), sorted(plan.hop_addresses(2, 4))[0]
    added = plan.target_address(6)
    work = Path(tempfile.mkdtemp(prefix="tracetui-agent-"))
    os.chmod(work, 0o777)
    targets, stream = work / "targets.txt", work / "probes.jsonl"
    targets.write_text(f"{target}\n{router}\nnowhere.lab.example\n")
    agent = main_lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.2", "-Z", "1",
        "--metrics", f"127.0.0.1:{PORT}", "--stream", str(stream), "-F", str(targets),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = _wait_for(lambda: _serving(main_lab, router, 2), 60)
        assert first, "the agent never served both targets"
        assert 'tracetui_target_in_error{target="nowhere.lab.example"} 1' in first
        kept_before = _sent(first, target, 1)
        assert kept_before is not None
        # logrotate moves the stream away, the targets change, one SIGHUP for both
        stream.rename(work / "probes.jsonl.1")
        targets.write_text(f"{target}\nnowhere.lab.example\n{added}\n")
        agent.send_signal(signal.SIGHUP)
        after = _wait_for(lambda: _serving(main_lab, added, 1), 60)
        assert after, "the added target was never traced"
        assert _sent(after, target, 1) > kept_before  # counting on, never from 0 again
        assert f'target="{router}"' not in after  # gone with the next scrape
        assert 'tracetui_target_in_error{target="nowhere.lab.example"} 1' in after
        assert _wait_for(lambda: stream.exists() and stream.stat().st_size > 0, 10)
        assert agent.poll() is None  # SIGHUP never ends it
    finally:
        agent.send_signal(signal.SIGTERM)
        _out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    lines = err.splitlines()
    assert any(
        line.startswith("tracetui: nowhere.lab.example: ") and "trying again in 10s" in line
        for line in lines
    ), err
    assert (
        f"tracetui: reload: 1 target added ({added}), 1 target removed ({router}), "
        "2 kept as they were"
    ) in lines, err
    assert "Traceback" not in err
    rotated = (work / "probes.jsonl.1").read_text()
    assert f'"target":"{router}"' in rotated.replace(" ", "")
    assert f'"target":"{added}"' in stream.read_text().replace(" ", "")
