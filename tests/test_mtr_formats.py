"""mtr 0.95's report formats, against outputs of the real mtr kept as fixtures.

The fixtures in tests/fixtures/mtr were written by Debian's mtr-tiny 0.95 on the
lab's main path (tests/conftest.py MAIN_TOPOLOGY, host "vm"). Here tracetui
renders a simulated path of the same shape, names and addresses, and every
format is held to mtr's: the same lines and columns in the text report, the
same header and types in CSV, the same keys and types in JSON, the same
elements in XML, the same line kinds in raw. tests/test_lab_mtr_compat.py does
the same with both programs on one real path.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mtr_parsers import (
    HOP_LINE,
    MTR_CSV_FIELDS,
    mtr_s_bit,
    parse_json_typed,
    parse_raw,
    parse_split,
    parse_text,
)
from sim_run import raw_lines, run_path

from tracetui.path.model import PathModel
from tracetui.path.snapshot import NO_NAME, NameInfo, TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.sim import SimHop, SimLink, SimNetwork, SimPath, SimRouter, SimScenario
from tracetui.probe.types import Family
from tracetui.report import ReportOptions, render

FIXTURES = Path(__file__).parent / "fixtures" / "mtr"
NAMES = {
    "198.18.1.2": NameInfo("r1.lab.example", 64501, country="ZZ"),
    "198.18.2.2": NameInfo("r2.lab.example", 64502, country="ZZ"),
    "198.18.3.2": NameInfo("r3a.lab.example", 64503, country="ZZ"),
    "198.18.4.2": NameInfo("r3b.lab.example", 64503, country="ZZ"),
    "198.18.8.2": NameInfo("target.lab.example"),
}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def lab_like_view(count: int = 5, ecmp: bool = False):
    """The lab's main path, simulated: hop 3 an ECMP pair, hop 4 silent, hop 6 the target."""
    hop3 = [SimRouter("198.18.3.2", "2001:db8:3::2")]
    if ecmp:
        hop3.append(SimRouter("198.18.4.2", "2001:db8:4::2"))
    hops = (
        SimHop((SimRouter("198.18.1.2", "2001:db8:1::2"),), SimLink(1.0)),
        SimHop((SimRouter("198.18.2.2", "2001:db8:2::2"),), SimLink(2.0)),
        SimHop(tuple(hop3), SimLink(1.0)),
        SimHop((SimRouter("198.18.6.2", "2001:db8:6::2", silent=True),), SimLink(0.0)),
        SimHop((SimRouter("198.18.7.2", "2001:db8:7::2"),), SimLink(1.0)),
        SimHop((SimRouter("198.18.8.2", "2001:db8:8::2"),), SimLink(0.5)),
    )
    sim = SimNetwork(SimScenario(paths=(SimPath(hops),)), Family.V4)
    settings = ProbeSettings(interval=0.2, timeout=1.0, count=count, vary_ports=ecmp)
    if ecmp:
        settings = settings._replace(method=settings.method.UDP)
    info = TraceInfo(
        "target.lab.example",
        sim.target,
        sim.client,
        Family.V4,
        1,
        30,
        0.2,
        1.0,
        64,
        None,
        count,
        local_host="vm",
    )
    started = datetime(2026, 11, 22, 18, 9, 0, tzinfo=UTC)
    model = PathModel(info, settings.method, lambda: started)
    Engine(sim, sim.clock, settings, model.apply).run()
    return model.snapshot(NAMES.get)


def numeric_ends(line: str) -> list[int]:
    """Where each number of a hop line ends: mtr's right-aligned columns."""
    return [m.end() for m in re.finditer(r"\d+\.\d+%?|\d+(?=\s|$)", line)][1:]


TEXT_CASES = [
    ("r_n.txt", ReportOptions(show_names=False)),
    ("r.txt", ReportOptions()),
    ("rw.txt", ReportOptions(wide=True)),
    ("rb.txt", ReportOptions(show_ips=True)),
    ("rz.txt", ReportOptions(show_asn=True)),
    ("r_o.txt", ReportOptions(show_names=False, order="LSD NBAW")),
    ("r_all.txt", ReportOptions(show_names=False, order="LDRSNBAWVGJMXI")),
    ("r_wbz.txt", ReportOptions(wide=True, show_ips=True, show_asn=True)),
    ("r_y2.txt", ReportOptions(ipinfo=2)),
]


@pytest.mark.parametrize("name,options", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_text_report_lays_out_every_line_as_mtr_does(name, options):
    mtr = fixture(name).splitlines()
    ours = render(lab_like_view(), "text", options).splitlines()
    assert ours[0].startswith("Start: 2026-11-22T") and re.match(r".*[+-]\d{4}$", ours[0])
    assert ours[1] == mtr[1]  # the HOST line: same columns, same titles, same place
    assert len(ours) == len(mtr)
    for theirs, mine in zip(mtr[2:], ours[2:], strict=True):
        # the hop number and host column are the same text; the numbers end where mtr's do
        host_end = HOST_COLUMN_END.get(name, 33)
        assert mine[:host_end] == theirs[:host_end], (mine, theirs)
        assert numeric_ends(mine) == numeric_ends(theirs), (mine, theirs)


HOST_COLUMN_END = {"rw.txt": 28, "r_wbz.txt": 46}


def test_the_common_mtr_regex_reads_every_hop_line():
    for options in (ReportOptions(), ReportOptions(show_names=False), ReportOptions(wide=True)):
        ours = render(lab_like_view(), "text", options)
        assert len(parse_text(ours)) == 6
    assert len(parse_text(fixture("r.txt"))) == 6
    assert all(HOP_LINE.match(line) for line in fixture("r_n.txt").splitlines()[2:])


def test_extra_responders_are_listed_as_mtr_lists_them():
    mtr = fixture("r_u.txt").splitlines()
    ours = render(lab_like_view(count=20, ecmp=True), "text", ReportOptions(show_names=False))
    extra = [line for line in ours.splitlines() if line.startswith("        ")]
    assert len(extra) == 1 and re.fullmatch(r" {8}198\.18\.[34]\.2 {23}", extra[0])
    assert len(extra[0]) == len(mtr[5]) and mtr[5].startswith(" " * 8 + "198.18.3.2")


def test_report_extra_adds_verdicts_only_when_asked():
    from tracetui.diagnose import Diagnoser

    view = lab_like_view(count=10)
    view = view._replace(diagnosis=Diagnoser().update(view, final=True))
    plain = render(view, "text", ReportOptions())
    extra = render(view, "text", ReportOptions(extra=True))
    assert "ok" not in plain and "silent" not in plain
    assert "silent" in extra and len(parse_text(extra)) == 6


def test_csv_header_and_types_are_mtrs():
    mtr_rows = list(csv.reader(io.StringIO(fixture("csv.txt"))))
    ours_rows = list(csv.reader(io.StringIO(render(lab_like_view(), "csv", ReportOptions()))))
    assert ours_rows[0][: len(mtr_rows[0])] == mtr_rows[0]  # mtr's header, trailing comma too
    for theirs, mine in zip(mtr_rows[1:], ours_rows[1:], strict=True):
        assert len(mine) > len(theirs)
        for index, value in enumerate(theirs):
            assert _kind(mine[index]) == _kind(value), (index, mine[index], value)
    reader = csv.DictReader(io.StringIO(render(lab_like_view(), "csv", ReportOptions())))
    for row in reader:
        assert {name: row[name] for name in MTR_CSV_FIELDS}
    z_header = next(csv.reader(io.StringIO(fixture("csv_z.txt"))))
    ours_z = next(
        csv.reader(io.StringIO(render(lab_like_view(), "csv", ReportOptions(show_asn=True))))
    )
    assert ours_z[: len(z_header)] == z_header


def _kind(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return "int"
    if re.fullmatch(r"-?\d+\.\d\d", value):
        return "float2"
    return "text"


@pytest.mark.parametrize(
    "name,options",
    [
        ("json.txt", ReportOptions()),
        ("json_z.txt", ReportOptions(show_asn=True)),
        ("json_b.txt", ReportOptions(show_ips=True)),
    ],
)
def test_json_decodes_with_mtrs_types_and_keeps_its_key_order(name, options):
    theirs = parse_json_typed(fixture(name))
    ours_text = render(lab_like_view(), "json", options)
    ours = parse_json_typed(ours_text)
    assert [hub.host for hub in ours.hubs] == [hub.host for hub in theirs.hubs]
    raw_theirs = json.loads(fixture(name))["report"]
    raw_ours = json.loads(ours_text)["report"]
    assert list(raw_ours["mtr"])[: len(raw_theirs["mtr"])] == list(raw_theirs["mtr"])
    first_theirs, first_ours = raw_theirs["hubs"][0], raw_ours["hubs"][0]
    assert list(first_ours)[: len(first_theirs)] == list(first_theirs)
    assert ours_text.startswith('{\n    "report": {\n        "mtr": {\n')


def test_xml_has_mtrs_elements():
    theirs = ET.fromstring(fixture("xml.txt"))
    ours = ET.fromstring(render(lab_like_view(), "xml", ReportOptions()))
    assert ours.tag == theirs.tag == "MTR"
    assert set(ours.attrib) == set(theirs.attrib)
    assert [hub.attrib["HOST"] for hub in ours] == [hub.attrib["HOST"] for hub in theirs]
    for mine, their in zip(ours, theirs, strict=True):
        assert [child.tag for child in mine] == [child.tag for child in their]
        assert [len(child.text) for child in mine] == [len(child.text) for child in their]


def test_raw_lines_parse_like_mtrs():
    from tracetui.probe.events import ProbeReplied, ProbeSent
    from tracetui.probe.types import ReplyKind
    from tracetui.report.mtr_streams import RawStream

    lines: list[str] = []
    stream = RawStream(lines.append, {"198.18.1.2": NameInfo("r1.lab.example")}.get)
    stream.observe(ProbeSent(1, 1))
    stream.observe(ProbeReplied(1, 1, "198.18.1.2", 2.268, ReplyKind.TIME_EXCEEDED, 0))
    stream.observe(ProbeSent(2, 1))
    ours = parse_raw("".join(lines))
    theirs = parse_raw(fixture("raw_n.txt"))
    assert {kind for kind, *_ in ours} <= {kind for kind, *_ in theirs} | {"d"}
    assert ours[:4] == [
        ("x", 0, "33000"),
        ("h", 0, "198.18.1.2"),
        ("d", 0, "r1.lab.example"),
        ("p", 0, "2268", "33000"),
    ]


def _last_lines(lines: list[dict]) -> dict[str, dict]:
    last: dict[str, dict] = {}
    for line in lines:
        if line["gone"]:
            last.pop(line["gone"], None)
        else:
            last[line["hop"]] = line
    return last


@pytest.mark.parametrize(
    "name, names, ips",
    [("split_n.txt", False, False), ("split.txt", True, False), ("split_b.txt", True, True)],
)
def test_split_lines_are_mtrs(name, names, ips):
    """-p: the same lines as mtr's once the rounds are done, and never a line for a hop
    that has not answered (mtr's lines start out as ???)."""
    from tracetui.report.mtr_streams import SplitStream

    out: list[str] = []
    stream = SplitStream(out.append, names, ips)
    for rounds in range(1, 6):
        view = lab_like_view(rounds)
        stream.update(view if names else view._replace(hops=_unnamed(view.hops)))
    ours, theirs = parse_split("".join(out)), parse_split(fixture(name))
    assert _last_lines(ours) == _last_lines(theirs)
    assert not any(line["hop"] == "4" for line in ours)


def _unnamed(hops):
    return tuple(
        hop._replace(responders=tuple(r._replace(names=NO_NAME) for r in hop.responders))
        for hop in hops
    )


def test_split_counts_down_when_the_path_gets_shorter():
    from tracetui.report.mtr_streams import SplitStream, mtr_loss

    out: list[str] = []
    stream = SplitStream(out.append, False, False)
    view = lab_like_view(2)
    stream.update(view)
    stream.update(view._replace(hops=view.hops[:3]))
    assert out[-3:] == ["-6\n", "-5\n", "-4\n"]  # from the highest line printed, as mtr
    assert mtr_loss(1, 3) == 66666 and mtr_loss(2, 3) == 33333 and mtr_loss(0, 0) == 0


# ------------------------------------------------------------------ -e (MPLS)
def extension_like_view(count: int = 5):
    """The lab's extension path (tests/conftest.py EXTENSION_TOPOLOGY), simulated: hops 2
    and 3 answer with the label stacks tests/lab/extension_router.py sends."""
    from tracetui.icmp_extensions import IcmpExtensions, MplsLabel, encode

    def labels(stage: int) -> bytes:
        stack = (MplsLabel(24000 + stage, 5, False, 1), MplsLabel(16 + stage, 5, True, 1))
        return encode(IcmpExtensions(stack))

    hops = (
        SimHop((SimRouter("198.18.1.2", "2001:db8:1::2"),), SimLink(1.0)),
        SimHop((SimRouter("198.18.2.2", "2001:db8:2::2", extensions=labels(2)),), SimLink(1.0)),
        SimHop((SimRouter("198.18.3.2", "2001:db8:3::2", extensions=labels(3)),), SimLink(0.0)),
        SimHop((SimRouter("198.18.4.2", "2001:db8:4::2"),), SimLink(0.5)),
    )
    return run_path(hops, count, "198.18.4.2")


def test_mpls_lines_sit_where_mtr_puts_them():
    mtr = [mtr_s_bit(line) for line in fixture("mpls_rz.txt").splitlines()]
    view, _ = extension_like_view()
    ours = render(view, "text", ReportOptions(show_names=False, show_asn=True, mpls=True))
    ours_lines = ours.splitlines()
    assert len(ours_lines) == len(mtr)
    for theirs, mine in zip(mtr[2:], ours_lines[2:], strict=True):
        if theirs.lstrip().startswith("[MPLS"):
            assert mine == theirs
        else:
            assert mine[:33] == theirs[:33] and numeric_ends(mine) == numeric_ends(theirs)


def test_mtr_prints_no_mpls_lines_without_z_and_tracetui_does():
    # a bug of mtr 0.95's report (the lines are printed only with IP information on)
    assert "MPLS" not in fixture("mpls_r.txt")
    view, _ = extension_like_view()
    ours = render(view, "text", ReportOptions(show_names=False, mpls=True))
    assert ours.count("[MPLS: Lbl ") == 4


def test_raw_m_lines_are_mtrs():
    _, events = extension_like_view(count=2)
    ours = raw_lines(events, mpls=True)
    theirs = fixture("mpls_raw.txt").splitlines()
    # every m line follows an h line of its hop, with the same label stack as mtr's
    for text in (ours, theirs):
        for at, line in enumerate(text):
            if line.startswith("m "):
                assert text[at - 1].split()[:2] in (["h", line.split()[1]], ["m", line.split()[1]])
    assert {line for line in ours if line.startswith("m ")} == {
        line for line in theirs if line.startswith("m ")
    }
