"""mtr's common command lines, as scripts and its man page write them, run by mtr 0.95 and
by tracetui on the same lab path: none hangs, and each prints what mtr prints.

Every run has a terminal on its standard input (as a script started from a shell has)
and its standard output captured (as ``> file`` does), under ``timeout``: a command
line that opens the live screen and never ends fails here instead of in a user's cron.
Where mtr writes a report, tracetui's is read by the same parser; where mtr shows its
screen and ends after ``-c`` rounds, tracetui's screen ends too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest
from mtr_parsers import parse_text

pytestmark = pytest.mark.lab

LIMIT = 90
"""Seconds before ``timeout`` ends a run: ten times what the slowest line needs here."""

TIMEOUT_EXIT = 124


class Line(NamedTuple):
    args: tuple[str, ...]
    prints: str
    """What mtr prints: a text report, json, csv, xml, or its screen."""


def _line(command: str, prints: str) -> Line:
    return Line(tuple(command.split()), prints)


# {t} is the target's name; -i 0.1 keeps each run short (both allow it as root)
LINES = [
    _line("-r -c 3 -i 0.1 {t}", "text"),
    _line("-rw -c 3 -i 0.1 {t}", "text"),
    _line("-w -c 3 -i 0.1 {t}", "text"),  # -w alone is the wide report
    _line("-wc 3 -i 0.1 {t}", "text"),
    _line("--report --report-cycles 3 -i 0.1 {t}", "text"),
    _line("--report-wide --report-cycles=3 -i 0.1 {t}", "text"),
    _line("-rn -c 3 -i 0.1 {t}", "text"),
    _line("-r -b -c 3 -i 0.1 {t}", "text"),
    _line("-j -c 3 -i 0.1 {t}", "json"),
    _line("-w -j -c 3 -i 0.1 {t}", "json"),  # the last of -w and -j wins
    _line("--csv -c 3 -i 0.1 {t}", "csv"),
    _line("-x -c 3 -i 0.1 {t}", "xml"),
    _line("-c 3 -i 0.1 {t}", "screen"),
    _line("-t -c 3 -i 0.1 {t}", "screen"),
    _line("-r -t -c 3 -i 0.1 {t}", "screen"),  # the last of -r and -t wins
]


class Run(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def _run_on_a_terminal(client: str, argv: list[str]) -> Run:
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            ["ip", "netns", "exec", client, "timeout", str(LIMIT), *argv],
            stdin=terminal,
            capture_output=True,
            text=True,
            errors="replace",
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
            timeout=LIMIT + 30,
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    return Run(done.returncode, done.stdout, done.stderr)


def _text(theirs: str, ours: str) -> None:
    rows_theirs, rows_ours = parse_text(theirs), parse_text(ours)
    assert rows_ours and [r["hop"] for r in rows_ours] == [r["hop"] for r in rows_theirs]
    assert [r["snt"] for r in rows_ours] == [r["snt"] for r in rows_theirs]
    assert ours.splitlines()[1] == theirs.splitlines()[1]  # the HOST line, byte for byte


def _json(theirs: str, ours: str) -> None:
    hubs = [json.loads(text)["report"]["hubs"] for text in (theirs, ours)]
    assert [h["count"] for h in hubs[1]] == [h["count"] for h in hubs[0]]
    assert [h["Snt"] for h in hubs[1]] == [h["Snt"] for h in hubs[0]]


def _csv(theirs: str, ours: str) -> None:
    rows = [list(csv.reader(io.StringIO(text))) for text in (theirs, ours)]
    assert rows[1][0][: len(rows[0][0])] == rows[0][0]  # mtr's header, then our extras
    assert [row[4] for row in rows[1][1:]] == [row[4] for row in rows[0][1:]]  # Hop


def _xml(theirs: str, ours: str) -> None:
    roots = [ET.fromstring(text) for text in (theirs, ours)]
    assert [h.attrib["COUNT"] for h in roots[1]] == [h.attrib["COUNT"] for h in roots[0]]


def _screen(theirs: str, ours: str) -> None:
    """Both showed a screen and ended: mtr's curses writes it to standard output, and
    tracetui's to the terminal, so a ``> file`` holds no report from either."""
    assert parse_text(ours) == [] and parse_text(theirs) == []


CHECKS: dict[str, Callable[[str, str], None]] = {
    "text": _text,
    "json": _json,
    "csv": _csv,
    "xml": _xml,
    "screen": _screen,
}


def test_mtrs_command_lines_end_and_print_what_mtr_prints(main_lab, mtr):
    target = main_lab.plan.topology.target_name
    client = main_lab.plan.client

    tools = ([mtr], [sys.executable, "-m", "tracetui"])
    runs = [
        [*tool, "-4", *(arg.format(t=target) for arg in line.args)]
        for line in LINES
        for tool in tools
    ]
    # mostly waiting (mtr's 5 s of grace after the last round): all at once, nearly
    with ThreadPoolExecutor(max_workers=10) as pool:
        done = list(pool.map(lambda argv: _run_on_a_terminal(client, argv), runs))
    failures = []
    for line, theirs, ours in zip(LINES, done[::2], done[1::2], strict=True):
        command = " ".join(line.args)
        assert theirs.returncode == 0, f"mtr {command}: {theirs.returncode} {theirs.stderr}"
        if ours.returncode == TIMEOUT_EXIT:
            failures.append(f"tracetui {command}: still running after {LIMIT} s")
            continue
        if ours.returncode != 0:
            failures.append(f"tracetui {command}: exit {ours.returncode}: {ours.stderr[-300:]}")
            continue
        try:
            CHECKS[line.prints](theirs.stdout, ours.stdout)
        except AssertionError as exc:
            failures.append(f"tracetui {command}: prints unlike mtr: {exc}")
    assert not failures, "\n".join(failures)
