"""Report formats: mtr-compatible JSON, stable CSV, the text table, Markdown."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from mtr_parsers import MTR_CSV_FIELDS
from simpaths import Run, chain, router, scenario, with_routers

from tracetui.path.snapshot import NameInfo
from tracetui.report import FORMATS, ReportOptions, render
from tracetui.report.as_csv import EXTRA_COLUMNS
from tracetui.textsafe import printable


@pytest.fixture(scope="module")
def view():
    path = with_routers(chain(5), 3, router(3, 1), router(3, 2))
    path = with_routers(path, 4, router(4, silent=True))
    names = {
        "198.18.1.1": NameInfo("gw.example", 64500, "EXAMPLE-NET", "198.18.0.0/15"),
        "198.18.5.1": NameInfo("target.example"),
    }
    run = Run(scenario(path), count=40, interval=0.1)
    run.run()
    return run.model.snapshot(names.get)._replace(ignored={"foreign": 3})


def test_json_keeps_mtr_shape_and_types(view):
    report = json.loads(render(view, "json"))["report"]
    mtr = report["mtr"]
    assert {"src", "dst", "tos", "tests", "psize", "bitpattern"} <= set(mtr)
    assert mtr["tests"] == 40 and mtr["psize"] == "64"  # a string, as mtr 0.95 writes it
    hubs = report["hubs"]
    assert [hub["count"] for hub in hubs] == [1, 2, 3, 4, 5]
    for hub in hubs:
        for key in ("Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev", "Javg", "Jmax"):
            assert isinstance(hub[key], (int, float)), key
    assert hubs[0]["host"] == "gw.example"
    assert (hubs[0]["ip"], hubs[0]["hostname"]) == ("198.18.1.1", "gw.example")
    assert {r["ip"] for r in hubs[2]["responders"]} == {"198.18.3.1", "198.18.3.2"}
    assert sum(r["Rcv"] for r in hubs[2]["responders"]) == hubs[2]["Rcv"] == 40
    assert hubs[3]["host"] == "???" and hubs[3]["Loss%"] == 100.0 and hubs[3]["ip"] is None
    assert mtr["start"].endswith("Z") and mtr["end"].endswith("Z")


def test_json_times_have_microsecond_precision(view):
    hubs = json.loads(render(view, "json"))["report"]["hubs"]
    avg = hubs[1]["Avg"]
    assert avg == round(view.hops[1].rtt.avg, 3)
    assert avg == pytest.approx(4.02, abs=0.001)


def test_json_without_names_has_no_hostnames(view):
    hubs = json.loads(render(view, "json", ReportOptions(show_names=False)))["report"]["hubs"]
    assert hubs[0]["host"] == "198.18.1.1" and hubs[0]["hostname"] is None


def test_json_as_fields_when_asked(view):
    hubs = json.loads(render(view, "json", ReportOptions(show_asn=True)))["report"]["hubs"]
    assert hubs[0]["ASN"] == "AS64500" and hubs[0]["as_name"] == "EXAMPLE-NET"
    assert hubs[1]["ASN"] == "AS???"
    plain = json.loads(render(view, "json"))["report"]["hubs"]
    assert "ASN" not in plain[0]


def test_csv_one_row_per_hop_with_mtrs_columns_then_ours(view):
    rows = list(csv.DictReader(io.StringIO(render(view, "csv"))))
    assert tuple(rows[0])[:15] == (*MTR_CSV_FIELDS, "")
    assert tuple(rows[0])[15:] == EXTRA_COLUMNS
    assert [row["Hop"] for row in rows] == ["1", "2", "3", "4", "5"]
    ecmp = rows[2]["responders"].split(";")
    assert sorted(entry.split(":")[0] for entry in ecmp) == ["198.18.3.1", "198.18.3.2"]
    assert sum(int(entry.split(":")[1]) for entry in ecmp) == 40
    assert rows[3]["Ip"] == "???" and rows[3]["Loss%"] == "100.00" and rows[3]["ip"] == ""
    assert rows[0]["Ip"] == "gw.example" and rows[0]["hostname"] == "gw.example"
    assert all(len(row["Avg"].split(".")[1]) == 2 for row in rows)
    assert all(len(row["jttr_ms"].split(".")[1]) == 3 for row in rows)


def test_text_table_is_mtrs(view):
    text = render(view, "text")
    lines = text.splitlines()
    assert lines[0].startswith("Start: ")
    assert lines[1].startswith("HOST: ") and lines[1].endswith(
        " Loss%   Snt   Last   Avg  Best  Wrst StDev"
    )
    assert lines[2].startswith("  1.|-- gw.example                 0.0%    40")
    assert "  4.|-- ???                       100.0    40" in text
    assert re.search(r"^ {8}198\.18\.3\.[12] +$", text, re.MULTILINE)


def test_markdown_table(view):
    text = render(view, "markdown", ReportOptions(show_asn=True))
    assert "| Hop | Host | ASN | Loss% |" in text
    ecmp = next(line for line in text.splitlines() if line.startswith("| 3 |"))
    hosts = ecmp.split(" | ")[1].split("<br>")
    assert sorted(hosts) == ["198.18.3.1", "198.18.3.2"]  # raw, it reads as it renders
    assert ecmp.split(" | ")[2] == "AS???"
    first = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert first.split(" | ")[1:3] == ["gw.example (198.18.1.1)", "AS64500"]


MARKUP = "*a* _b_ `c` [d](e) <i>f</i> ~~g~~ &amp; h|i \\j"


@pytest.mark.parametrize("name", [MARKUP, "# heading", "- item", "1. first", "+ plus", "=x"])
def test_markdown_escapes_just_enough_to_render_names_literally(view, name):
    """A real Markdown renderer (markdown-it-py, GitHub's flavour of tables) shows each
    host name exactly as given: no emphasis, code, link, HTML, entity or extra column."""
    from markdown_it import MarkdownIt

    responder = view.hops[0].responders[0]._replace(names=NameInfo(name))
    hop = view.hops[0]._replace(responders=(responder,))
    text = render(view._replace(hops=(hop, *view.hops[1:])), "markdown", ReportOptions())
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    cells = [t for t in tokens if t.type == "inline" and t.map and t.map[0] >= 4]
    first = cells[[c.content for c in cells].index("1") + 1]  # the cell after Hop 1's
    assert [child.type for child in first.children] == ["text"], first.children
    assert first.children[0].content == f"{name} (198.18.1.1)"


HOSTILE = "\x1b]0;pwned\x07evil\x1b[2J|name\n<b>[x](y)</b>\u202e"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_hostile_names_are_rendered_harmlessly(view, fmt):
    responder = view.hops[0].responders[0]._replace(names=NameInfo(HOSTILE, 1, HOSTILE))
    hostile_hop = view.hops[0]._replace(responders=(responder,))
    hostile = view._replace(hops=(hostile_hop, *view.hops[1:]))
    text = render(hostile, fmt, ReportOptions(show_asn=True))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert all(len(row) == len(rows[0]) for row in rows)
    if fmt == "json":
        hub = json.loads(text)["report"]["hubs"][0]
        # the decoded strings are as harmless as the file: escapes shown, never sent
        assert hub["host"] == hub["hostname"] == printable(HOSTILE)
        assert hub["responders"][0]["hostname"] == printable(HOSTILE)
        assert "\x1b" not in hub["host"] and "\\x1b" in hub["host"]
    if fmt in ("text", "markdown"):
        assert "\\x1b" in text
    if fmt == "markdown":
        row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
        assert row.count(" | ") == 9  # the name's "|" cannot add a column


@pytest.fixture(scope="module")
def diagnosed_view():
    """Hop 2 rate-limits, hop 4 is silent, loss starts on the link into hop 5."""
    from simpaths import Diagnosed, with_link

    path = with_routers(chain(7), 2, router(2, reply_loss=0.5))
    path = with_routers(path, 4, router(4, silent=True))
    path = with_link(path, 5, loss=0.08)
    run = Diagnosed(Run(scenario(path), count=None, interval=1.0, timeout=1.0, seed=6))
    return run.rounds(150)


def test_json_carries_verdicts_summary_and_events(diagnosed_view):
    report = json.loads(render(diagnosed_view, "json"))["report"]
    verdicts = [hub["verdict"] for hub in report["hubs"]]
    assert verdicts == [
        "ok",
        "rate-limited",
        "ok",
        "silent",
        "loss-origin",
        "loss-carried",
        "loss-carried",
    ]
    assert all(isinstance(hub["verdict_reason"], str) for hub in report["hubs"])
    tracetui = report["tracetui"]
    assert tracetui["reached"] is True
    assert tracetui["summary"][0].startswith("Loss begins at hop 5 (198.18.5.1)")
    assert [event["kind"] for event in tracetui["events"]] == ["loss-start"]
    event = tracetui["events"][0]
    assert event["hop"] == 5 and event["time"].endswith("Z")
    assert tracetui["pings"]["198.18.2.1"]["received"] >= 3


def test_csv_has_the_verdict_after_the_measures_then_the_extensions_and_the_place(
    diagnosed_view,
):
    rows = list(csv.DictReader(io.StringIO(render(diagnosed_view, "csv"))))
    columns = list(rows[0])
    assert columns.index("verdict") == columns.index("end") + 1
    assert columns[-7:-2] == ["mpls", "if_index", "if_address", "if_name", "if_mtu"]
    assert columns[-2:] == ["country", "city"]  # new columns come last: indexes stay
    assert [row["verdict"] for row in rows][:5] == [
        "ok",
        "rate-limited",
        "ok",
        "silent",
        "loss-origin",
    ]


def test_text_and_markdown_show_verdicts_and_the_summary(diagnosed_view):
    assert "rate-limited" not in render(diagnosed_view, "text")  # mtr's report by default
    text = render(diagnosed_view, "text", ReportOptions(extra=True))
    lines = text.splitlines()
    assert lines[3].endswith("rate-limited") and lines[6].endswith("loss-origin")
    assert "  Loss begins at hop 5 (198.18.5.1) and reaches the destination" in text
    markdown = render(diagnosed_view, "markdown")
    assert "| Verdict |" in markdown and "loss-origin |" in markdown
    assert "- Loss begins at hop 5" in markdown
