"""Closed sets are complete: each member of a set (verdicts, report formats, probe
methods) has its row in every table that describes it, and the places that list
them (the command line, the README, the export dialog) list them all. A new member
without its rows fails here, not in front of a user."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from simpaths import Run, chain, scenario

from tracetui.cli import build_parser, parse_config
from tracetui.diagnose.overview import SEVERITY
from tracetui.path.diagnosis import Verdict
from tracetui.probe.methods import METHODS
from tracetui.probe.types import ProbeMethod
from tracetui.report import FORMATS, render
from tracetui.report.several import combined_reports
from tracetui.tui.keys import APP_BINDINGS
from tracetui.tui.palette import COLOUR
from tracetui.tui.verdicts import GLOSSARY, LOOKS, QUIET_LOSS

README = (Path(__file__).parent.parent / "README.md").read_text()


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_its_look_severity_and_documentation(verdict):
    look = LOOKS[verdict]
    assert hasattr(COLOUR, look.style), look.style
    assert SEVERITY.count(verdict) == 1
    assert (look.legend, look.meaning) in GLOSSARY
    assert (verdict in QUIET_LOSS) == look.quiet
    # the README's verdict table: the value JSON and CSV carry, and the look on screen
    row = next(line for line in README.splitlines() if line.startswith(f"| `{verdict}` |"))
    shown = look.label.format(code="!H")
    assert f"| `{shown}` |" in row, row


def test_the_tables_hold_nothing_else():
    assert set(LOOKS) == set(Verdict) and len(SEVERITY) == len(Verdict)
    assert len(GLOSSARY) == len(Verdict)


@pytest.fixture(scope="module")
def views():
    out = []
    for hops in (3, 5):
        run = Run(scenario(chain(hops)), count=5, interval=0.1)
        run.run()
        out.append(run.model.snapshot())
    return out


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_report_format_is_an_option_a_file_and_a_combined_document(name, views):
    fmt = FORMATS[name]
    for flag in fmt.flags:
        given = [flag, "out.html"] if fmt.file_argument else [flag]
        assert parse_config([*given, "h"]).report_format == name, flag
    assert f"`{fmt.flags[0]}`" in README, fmt.flags  # the options table
    assert parse_config(["--report-on-exit", name, "h"]).report_on_exit == name
    one, two = (render(view, name) for view in views)
    assert one and two and fmt.extension
    both = combined_reports([one, two], name)
    if name == "json":
        assert len(json.loads(both)["reports"]) == 2
    elif name == "csv":
        rows = list(csv.reader(io.StringIO(both)))
        assert rows[0] == next(csv.reader(io.StringIO(one))) and len(rows) == 1 + 3 + 5
    elif name == "xml":
        assert [len(report) for report in ET.fromstring(both)] == [3, 5]
        assert ET.fromstring(one).tag == "MTR"
    elif name == "html":  # one page, a section per target
        assert both.count("<!DOCTYPE html>") == 1 and both.count("<h1>") == 2
    else:  # text and Markdown: one after the other
        assert one in both and two in both


def test_the_parser_has_no_report_option_outside_the_table():
    report_flags = {
        option
        for action in build_parser()._actions
        if action.dest == "format" and action.const not in ("raw", "split", None)  # None: -t
        for option in action.option_strings
    }
    assert report_flags == {flag for fmt in FORMATS.values() for flag in fmt.flags}


@pytest.mark.parametrize("method", list(ProbeMethod))
def test_every_probe_method_has_its_spec_key_and_option(method):
    spec = METHODS[method]
    assert spec.method is method and spec.label and spec.description
    keys = [other.key for other in METHODS.values()]
    assert keys.count(spec.key) == 1
    assert any(spec.key in re.split(r"[ ,]", binding.key) for binding in APP_BINDINGS), spec.key
    assert parse_config([f"--{method}", "h"]).settings.method is method
