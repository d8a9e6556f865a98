"""Verdicts on real Linux routers: rate limits, lossy links, silence, refusals, MTU, no reply."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.lab


def diagnose(lab, *args: str) -> dict:
    done = lab.tracetui("--json", "-n", *args)
    return json.loads(done.stdout)["report"]


def verdicts(report: dict) -> dict[int, str]:
    return {hub["count"]: hub["verdict"] for hub in report["hubs"]}


def test_loss_origin_rate_limit_and_silence_on_one_path(diagnose_lab):
    """Probing fast: hop 2's kernel limits its time-exceeded; 8 % is lost on the way into hop 4."""
    report = diagnose(
        diagnose_lab, "-c", "500", "-i", "0.01", "-Z", "1", diagnose_lab.plan.target_address(4)
    )
    assert verdicts(report) == {
        1: "ok",
        2: "rate-limited",
        3: "ok",
        4: "loss-origin",
        5: "silent",
        6: "loss-carried",
    }, [hub["verdict_reason"] for hub in report["hubs"]]
    hop2 = report["hubs"][1]
    assert hop2["Loss%"] > 80.0
    # the triage pings went through the limit and confirm it, without counting as probes
    assert "confirmed: it answered" in hop2["verdict_reason"], hop2["verdict_reason"]
    assert hop2["Snt"] == 500
    pings = report["tracetui"]["pings"][hop2["ip"]]
    assert pings["sent"] >= 3 and pings["received"] == pings["sent"]
    summary = " ".join(report["tracetui"]["summary"])
    assert "Loss begins at hop 4" in summary and "reaches the destination" in summary
    assert "Hop 2 (198.18.2.2) rate-limits ICMP; nothing is lost through it (confirmed" in summary
    assert report["tracetui"]["reached"] is True


def test_no_triage_sends_no_pings(diagnose_lab):
    report = diagnose(
        diagnose_lab,
        "--no-triage",
        "-c",
        "300",
        "-i",
        "0.01",
        "-Z",
        "1",
        diagnose_lab.plan.target_address(4),
    )
    assert report["tracetui"]["pings"] == {}
    assert verdicts(report)[2] == "rate-limited"


@pytest.mark.parametrize("family", [4, 6])
def test_a_clean_path_is_ok_everywhere(edge_lab, family):
    report = diagnose(
        edge_lab,
        f"-{family}",
        "-c",
        "200",
        "-i",
        "0.01",
        "-Z",
        "1",
        edge_lab.plan.target_address(family),
    )
    assert verdicts(report) == {1: "ok", 2: "ok", 3: "ok"}
    assert report["tracetui"]["events"] == []
    assert report["tracetui"]["summary"][0].startswith("The destination answers with no loss")


@pytest.mark.parametrize("kind,mark", [("net", "!N"), ("host", "!H"), ("admin", "!X")])
@pytest.mark.parametrize("family", [4, 6])
def test_a_router_without_a_way_to_the_target_is_unreachable(edge_lab, kind, mark, family):
    edge_lab.set_reject(2, kind)
    try:
        report = diagnose(
            edge_lab,
            f"-{family}",
            "-c",
            "20",
            "-i",
            "0.05",
            "-Z",
            "1",
            edge_lab.plan.target_address(family),
        )
    finally:
        edge_lab.set_reject(2, None)
    assert report["tracetui"]["reached"] is False
    hubs = report["hubs"]
    # traceroute's picture: TTL 2 expires at router 2, TTL 3 is refused by it
    assert [hub["count"] for hub in hubs] == [1, 2, 3]
    assert hubs[2]["ip"] == hubs[1]["ip"]
    assert hubs[2]["verdict"] == "unreachable" and hubs[2]["unreachable_code"] == mark
    assert f"reports the target unreachable ({mark}" in " ".join(report["tracetui"]["summary"])


def test_probes_too_big_for_a_link_are_refused_with_its_mtu(edge_lab):
    report = diagnose(
        edge_lab, "-s", "1400", "-c", "20", "-i", "0.05", "-Z", "1", edge_lab.plan.target_address(4)
    )
    hubs = report["hubs"]
    assert report["tracetui"]["reached"] is False
    assert [hub["count"] for hub in hubs] == [1, 2]
    refused = hubs[1]
    assert refused["verdict"] == "unreachable" and refused["unreachable_code"] == "!F"
    assert refused["ip"] == hubs[0]["ip"]  # router 1 refused to send it on
    assert refused["responders"][0]["mtu"] == 1280
    assert hubs[0]["verdict"] == "ok" and hubs[0]["Rcv"] == 20  # not given router 1's refusals
    assert (
        "Packets of 1400 bytes do not fit past hop 1 (198.18.1.2); path MTU 1280."
        in (report["tracetui"]["summary"])
    )
    # the kernel did not learn the smaller MTU and fragment later probes behind our back
    assert refused["Rcv"] == 20 and report["mtr"]["psize"] == "1400"


def test_the_same_size_fits_when_the_link_allows_it(edge_lab):
    report = diagnose(
        edge_lab, "-s", "1280", "-c", "10", "-i", "0.05", "-Z", "1", edge_lab.plan.target_address(4)
    )
    assert report["tracetui"]["reached"] is True and verdicts(report) == {1: "ok", 2: "ok", 3: "ok"}


@pytest.mark.parametrize("method", [[], ["-u"], ["-T"]])
def test_a_target_that_drops_everything_is_one_no_reply_row(edge_lab, method):
    edge_lab.set_target_drops_all(True)
    try:
        report = diagnose(
            edge_lab, *method, "-c", "10", "-i", "0.1", "-Z", "0.5", edge_lab.plan.target_address(4)
        )
    finally:
        edge_lab.set_target_drops_all(False)
    hubs = report["hubs"]
    assert report["tracetui"]["reached"] is False
    assert [hub["count"] for hub in hubs] == [1, 2, 3]
    assert [hub["verdict"] for hub in hubs] == ["ok", "ok", "no-reply"]
    assert hubs[2]["host"] == "???" and hubs[2]["ttls"] == 5
    assert "The target does not answer; the last hop that does is hop 2" in " ".join(
        report["tracetui"]["summary"]
    )


def test_the_silent_router_of_the_main_lab(main_lab):
    report = diagnose(
        main_lab, "-c", "40", "-i", "0.02", "-Z", "1", main_lab.plan.target_address(4)
    )
    assert verdicts(report)[4] == "silent"
    assert all(v == "ok" for hop, v in verdicts(report).items() if hop != 4)


def test_events_are_appended_to_a_file_as_json_lines(diagnose_lab, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text('{"kept": "a line from before"}\n')
    diagnose(
        diagnose_lab,
        "--events",
        str(events),
        "-c",
        "500",
        "-i",
        "0.01",
        "-Z",
        "1",
        diagnose_lab.plan.target_address(4),
    )
    lines = events.read_text().splitlines()
    assert lines[0] == '{"kept": "a line from before"}'  # appended, never rewritten
    records = [json.loads(line) for line in lines[1:]]
    assert [r["kind"] for r in records] == ["loss-start"]
    assert records[0]["hop"] == 4 and records[0]["time"].endswith("Z")
    assert records[0]["target"] == diagnose_lab.plan.target_address(4)
