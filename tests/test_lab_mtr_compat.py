"""mtr 0.95 and tracetui on the same real path: every parser written for mtr reads both.

Both run in the lab's client namespace against the main path (hop 3 an ECMP
pair, hop 4 silent), one after the other, with the same options. The parsers
(tests/mtr_parsers.py) are the kind scripts use on ``mtr`` output; none of
them knows tracetui.
"""

from __future__ import annotations

import csv
import io
import json
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from mtr_parsers import MTR_CSV_FIELDS, parse_json_typed, parse_raw, parse_split, parse_text

pytestmark = pytest.mark.lab

ECMP_HOP, SILENT_HOP = 3, 4
COMMON = ["-c", "5", "-i", "0.1"]


def both(lab, mtr: str, *args: str) -> tuple[str, str]:
    theirs = lab.exec(mtr, *args, check=True).stdout
    ours = lab.tracetui(*args, "-Z", "1", check=True).stdout
    return theirs, ours


def _hosts_agree(plan, hop: int, theirs: str, ours: str) -> None:
    if hop == ECMP_HOP:
        addresses = plan.hop_addresses(ECMP_HOP, 4)
        names = {"r3a.lab.example", "r3b.lab.example"}
        both = {f"{name} ({address})" for name in names for address in addresses}
        assert {theirs, ours} <= addresses | names | both, (theirs, ours)
    else:
        assert theirs == ours


@pytest.mark.parametrize(
    "options", [["-n"], [], ["-w"], ["-b"], ["-w", "-b"]], ids=["n", "names", "w", "b", "wb"]
)
def test_text_reports_parse_alike(main_lab, mtr, options):
    target = main_lab.plan.topology.target_name
    theirs, ours = both(main_lab, mtr, "-r", "-4", *options, *COMMON, target)
    rows_theirs, rows_ours = parse_text(theirs), parse_text(ours)
    assert [r["hop"] for r in rows_ours] == [r["hop"] for r in rows_theirs]
    if options != ["-b"]:  # mtr's own -b report cuts "name (addr" at 25 characters
        assert [r["hop"] for r in rows_ours] == list("123456")
    for mine, their in zip(rows_ours, rows_theirs, strict=True):
        _hosts_agree(main_lab.plan, int(mine["hop"]), their["host"], mine["host"])
        assert mine["snt"] == their["snt"] == "5"
    assert theirs.splitlines()[1] == ours.splitlines()[1]  # the HOST line, byte for byte


def test_as_numbers_in_the_text_report(main_lab, mtr):
    target = main_lab.plan.topology.target_name
    theirs, ours = both(main_lab, mtr, "-r", "-z", "-4", *COMMON, target)
    for their, mine in zip(theirs.splitlines()[2:], ours.splitlines()[2:], strict=False):
        assert their[:14] == mine[:14]  # " 1. AS64501  " and so on
    assert theirs.splitlines()[1] == ours.splitlines()[1]


def test_csv_reads_with_mtrs_column_names(main_lab, mtr):
    target = main_lab.plan.topology.target_name
    theirs, ours = both(main_lab, mtr, "-C", "-4", *COMMON, target)
    assert ours.splitlines()[0].startswith(theirs.splitlines()[0])
    rows = {}
    for name, text in (("mtr", theirs), ("tracetui", ours)):
        rows[name] = list(csv.DictReader(io.StringIO(text)))
        for row in rows[name]:
            values = [row[field] for field in MTR_CSV_FIELDS]
            assert values[0].startswith("MTR.") and values[2] == "OK"
            int(values[1]), int(values[4]), int(values[7]), int(values[8])
            [float(value) for value in (values[6], *values[9:])]
    assert [r["Hop"] for r in rows["tracetui"]] == [r["Hop"] for r in rows["mtr"]]
    assert [r["Host"] for r in rows["tracetui"]] == [r["Host"] for r in rows["mtr"]]


def test_json_decodes_with_mtrs_types(main_lab, mtr):
    target = main_lab.plan.topology.target_name
    theirs, ours = both(main_lab, mtr, "-j", "-4", *COMMON, target)
    report_theirs, report_ours = parse_json_typed(theirs), parse_json_typed(ours)
    assert report_ours.mtr.psize == report_theirs.mtr.psize == "64"
    assert report_ours.mtr.tests == report_theirs.mtr.tests == 5
    assert [h.count for h in report_ours.hubs] == [h.count for h in report_theirs.hubs]
    for mine, their in zip(report_ours.hubs, report_theirs.hubs, strict=True):
        _hosts_agree(main_lab.plan, mine.count, their.host, mine.host)


def test_xml_parses_alike(main_lab, mtr):
    target = main_lab.plan.topology.target_name
    theirs, ours = both(main_lab, mtr, "-x", "-4", *COMMON, target)
    mtr_root, our_root = ET.fromstring(theirs), ET.fromstring(ours)
    assert [h.attrib["COUNT"] for h in our_root] == [h.attrib["COUNT"] for h in mtr_root]
    for mine, their in zip(our_root, mtr_root, strict=True):
        assert [c.tag for c in mine] == [c.tag for c in their]


def test_raw_output_parses_alike(main_lab, mtr):
    address = main_lab.plan.target_address(4)
    theirs, ours = both(main_lab, mtr, "-l", "-n", "-c", "2", "-i", "0.1", address)
    lines_theirs, lines_ours = parse_raw(theirs), parse_raw(ours)
    for lines in (lines_theirs, lines_ours):
        kinds = {line[0] for line in lines}
        assert {"x", "h", "p"} <= kinds
        answered = {line[1] for line in lines if line[0] == "p"}
        # hop 4 (index 3) never answers; mtr also prints its first round's probes past the end
        assert {0, 1, 2, 4, 5} <= answered and 3 not in answered
    assert {line[1] for line in lines_ours if line[0] == "p"} == {0, 1, 2, 4, 5}


def test_split_output_parses_alike(main_lab, mtr):
    """mtr -p writes nothing unless its input is a terminal: it gets a pseudo-terminal."""
    target = main_lab.plan.topology.target_name
    args = ("-p", "-4", *COMMON, target)
    _controller, terminal = pty.openpty()
    theirs = subprocess.run(
        ["ip", "netns", "exec", main_lab.plan.client, mtr, *args],
        stdin=terminal,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    ours = main_lab.tracetui(*args, "-Z", "1", check=True).stdout
    final = {}
    for name, text in (("mtr", theirs), ("tracetui", ours)):
        last = {}
        for line in parse_split(text):
            if line["gone"]:
                last.pop(line["gone"], None)
            else:
                last[line["hop"]] = line
        final[name] = last
        assert SILENT_HOP not in {int(hop) for hop in last}
    assert final["tracetui"].keys() == final["mtr"].keys() == {"1", "2", "3", "5", "6"}
    for hop, mine in final["tracetui"].items():
        their = final["mtr"][hop]
        assert (mine["snt"], mine["rcv"], mine["loss"]) == (their["snt"], their["rcv"], "0")
        if int(hop) != ECMP_HOP:
            assert mine["host"] == their["host"]


@pytest.fixture
def udp_service(main_lab):
    """A service listening on UDP 33434 at the target: probes to that port get no answer."""
    code = (
        "import socket,sys,time\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "s.bind(('0.0.0.0',33434))\n"
        "print('ready',flush=True)\n"
        "time.sleep(600)\n"
    )
    service = subprocess.Popen(
        ["ip", "netns", "exec", main_lab.plan.target, sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert service.stdout is not None and service.stdout.readline() == "ready\n"
        yield
    finally:
        service.terminate()
        service.wait(timeout=10)


def test_udp_reaches_a_target_with_port_33434_open_like_mtr(main_lab, mtr, udp_service):
    address = main_lab.plan.target_address(4)
    theirs, ours = both(main_lab, mtr, "-j", "-u", "-n", *COMMON, address)
    mtr_hubs = json.loads(theirs)["report"]["hubs"]
    report = json.loads(ours)["report"]
    assert mtr_hubs[-1]["host"] == address  # mtr varies its port, so it gets there
    assert report["hubs"][-1]["host"] == address and report["tracetui"]["reached"]
    assert report["hubs"][-1]["Loss%"] == 0.0
    assert any("33434" in note for note in report["tracetui"]["notes"])
    text = main_lab.tracetui("-r", "-u", "-n", *COMMON, "-Z", "1", address)
    assert parse_text(text.stdout)[-1]["host"] == address
    assert text.stderr.startswith("tracetui: note: UDP probes past hop 5 vary")
    # with the port asked for explicitly, the flow stays fixed and the target stays silent
    fixed = json.loads(
        main_lab.tracetui("-j", "-u", "-n", "-P", "33434", *COMMON, "-Z", "1", address).stdout
    )["report"]
    assert not fixed["tracetui"]["reached"] and fixed["tracetui"]["notes"] == []
