"""``--events FILE``: JSON Lines appended as they happen, never rewritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tracetui.cli import parse_config
from tracetui.diagnose import PathEvent
from tracetui.outputs.event_log import EventLog
from tracetui.run.startup import SetupError, open_event_log


def test_events_are_appended_one_line_each(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("earlier\n")
    log = EventLog(str(path), "www.example")
    at = datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)
    log.write([PathEvent(at, "loss-start", 4, "loss begins at hop 4: 7.0%")])
    # line-buffered: on disk before close (a kill loses nothing already written)
    assert path.read_text().splitlines()[1].startswith("{")
    log.write([PathEvent(at, "path-shorter", 5, "the path is now 5 hops long (was 8)")])
    log.close()
    lines = path.read_text().splitlines()
    assert lines[0] == "earlier"
    first = json.loads(lines[1])
    assert first == {
        "time": "2026-11-22T12:00:05Z",
        "kind": "loss-start",
        "hop": 4,
        "message": "loss begins at hop 4: 7.0%",
        "target": "www.example",
    }
    assert json.loads(lines[2])["kind"] == "path-shorter"


def test_several_targets_share_one_file_each_line_naming_its_target(tmp_path):
    path = tmp_path / "events.jsonl"
    log = EventLog(str(path), "a.example")
    at = datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)
    first, second = log.for_target("a.example"), log.for_target("b.example")
    second.write([PathEvent(at, "loss-start", 2, "loss begins at hop 2: 5.0%")])
    first.write([PathEvent(at, "path-longer", 7, "the path is now 7 hops long (was 6)")])
    second.close()  # a target's share closes nothing: the others still write
    first.write([PathEvent(at, "loss-end", 7, "loss ended")])
    log.close()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["target"], r["kind"]) for r in records] == [
        ("b.example", "loss-start"),
        ("a.example", "path-longer"),
        ("a.example", "loss-end"),
    ]


def test_a_killed_run_keeps_every_line_it_wrote(tmp_path):
    path = tmp_path / "events.jsonl"
    code = (
        "import os, sys\n"
        "from datetime import UTC, datetime\n"
        "from tracetui.diagnose import PathEvent\n"
        "from tracetui.outputs.event_log import EventLog\n"
        f"log = EventLog({str(path)!r}, 't')\n"
        "at = datetime.now(UTC)\n"
        "for hop in range(3):\n"
        "    log.write([PathEvent(at, 'loss-start', hop, 'x')])\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False)
    assert done.returncode == -9
    assert [json.loads(line)["hop"] for line in path.read_text().splitlines()] == [0, 1, 2]
    assert os.stat(path).st_size > 0


def test_a_file_that_cannot_be_written_is_one_setup_error_in_every_mode(tmp_path):
    config = parse_config(["--demo", "--events", str(tmp_path / "events.jsonl")])
    config = config._replace(events_file=str(tmp_path))  # a directory: open() refuses it
    with pytest.raises(SetupError) as refused:
        open_event_log(config, "www.example")
    assert str(refused.value).startswith(f"cannot write {tmp_path}: ")
    assert refused.value.usage
