"""tracetui on a real multi-hop network of Linux routers (see tests/lab)."""

from __future__ import annotations

import json
import sys

import pytest

pytestmark = pytest.mark.lab

ECMP_HOP, SILENT_HOP, UNNAMED_HOP, TARGET_HOP = 3, 4, 5, 6
METHOD_FLAGS = {"icmp": [], "udp": ["-u"], "tcp": ["-T"]}

# The forwarder adds a mean of +0.06 ms per emulated one-way traversal (tests/lab/README.md):
# allow 0.1 ms per traversal, both ways over every emulated link, plus 0.2 ms of kernel time.
PER_TRAVERSAL_MS = 0.1


def trace(lab, *args: str) -> dict:
    done = lab.tracetui("--json", *args)
    return json.loads(done.stdout)["report"]


def responders(hub: dict) -> set[str]:
    return {r["ip"] for r in hub["responders"]}


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", sorted(METHOD_FLAGS))
def test_hops_and_responders_match_the_topology(main_lab, method, family):
    plan = main_lab.plan
    target = plan.target_address(family)
    report = trace(
        main_lab,
        *METHOD_FLAGS[method],
        f"-{family}",
        "-n",
        "-c",
        "4",
        "-i",
        "0.05",
        "-Z",
        "1",
        target,
    )
    hubs = report["hubs"]
    assert report["mtr"]["method"] == method and report["mtr"]["dst_ip"] == target
    assert [hub["count"] for hub in hubs] == list(range(1, TARGET_HOP + 1))
    for hub in hubs:
        hop = hub["count"]
        if hop == SILENT_HOP:
            assert hub["host"] == "???" and hub["Loss%"] == 100.0 and not hub["responders"]
            continue
        assert responders(hub) and responders(hub) <= plan.hop_addresses(hop, family), hub
        assert hub["Snt"] == 4 and hub["Rcv"] >= 3
    assert responders(hubs[-1]) == {target}
    # fixed flow (Paris): a load balancer keeps every probe of the run on one branch
    assert len(responders(hubs[ECMP_HOP - 1])) == 1


@pytest.mark.parametrize("method", ["udp", "tcp"])
def test_ecmp_hop_shows_both_routers_when_ports_vary(main_lab, method):
    plan = main_lab.plan
    report = trace(
        main_lab,
        *METHOD_FLAGS[method],
        "--vary-ports",
        "-n",
        "-c",
        "40",
        "-i",
        "0.02",
        "-Z",
        "1",
        plan.target_address(4),
    )
    ecmp = report["hubs"][ECMP_HOP - 1]
    assert responders(ecmp) == plan.hop_addresses(ECMP_HOP, 4)
    assert sum(r["Rcv"] for r in ecmp["responders"]) == ecmp["Rcv"]
    assert report["hubs"][-1]["Rcv"] >= 38


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize(
    "family, method, user",
    [(4, "icmp", "root"), (6, "icmp", "root"), (4, "udp", "nobody"), (4, "tcp", "nobody")],
)
def test_average_rtt_matches_configured_delays(main_lab, family, method, user):
    """Raw sockets, and without root the sockets per probe (kernel stamps for UDP and the
    routers' answers, TCP_INFO or the wake-up for the target's): the same tolerance."""
    plan = main_lab.plan
    argv = [
        *(NOBODY if user == "nobody" else []),
        sys.executable,
        "-m",
        "tracetui",
        "--json",
        *METHOD_FLAGS[method],
        f"-{family}",
        "-n",
        "-c",
        "100",
        "-i",
        "0.02",
        "-Z",
        "1",
        plan.target_address(family),
    ]
    report = json.loads(main_lab.exec(*argv).stdout)["report"]
    assert report["tracetui"]["sockets"] == ("raw" if user == "root" else "unprivileged")
    emulated = 0
    for hub in report["hubs"]:
        hop = hub["count"]
        emulated += plan.topology.stages[hop - 1].link.emulated
        if hop == SILENT_HOP:
            continue
        expected = plan.rtt_ms(hop)
        tolerance = 2 * emulated * PER_TRAVERSAL_MS + 0.2
        assert expected <= hub["Best"] + 0.01, (hop, hub["Best"], expected)
        assert abs(hub["Avg"] - expected) <= tolerance, (hop, hub["Avg"], expected, tolerance)


def test_loss_on_one_link_shows_at_that_hop_and_every_hop_after(lossy_lab):
    rounds = 600
    report = trace(
        lossy_lab,
        "-n",
        "-c",
        str(rounds),
        "-i",
        "0.01",
        "-Z",
        "0.5",
        lossy_lab.plan.target_address(4),
    )
    # 10 % forward loss into hop 3: a binomial with n=600, p=0.1 has sd 1.22 %;
    # +/- 5 sd keeps a false failure below one run in a million.
    for hub in report["hubs"]:
        assert hub["Snt"] == rounds
        if hub["count"] < 3:
            assert hub["Loss%"] <= 0.5, hub
        else:
            assert 10.0 - 6.1 <= hub["Loss%"] <= 10.0 + 6.1, hub


def test_silent_router_is_an_unknown_hop_and_the_path_continues(main_lab):
    done = main_lab.tracetui(
        "-r", "-n", "-c", "5", "-i", "0.05", "-Z", "0.5", main_lab.plan.target_address(4)
    )
    lines = done.stdout.splitlines()
    silent = next(line for line in lines if line.startswith(f"  {SILENT_HOP}.|--"))
    assert "???" in silent and "100.0 " in silent  # mtr's layout: no room for the sign
    hops = [line for line in lines if line[3:7] == ".|--"]
    assert hops[-1].startswith(f"  {TARGET_HOP}.|-- {main_lab.plan.target_address(4)}")


def test_names_from_the_lab_dns_server(main_lab):
    plan = main_lab.plan
    report = trace(main_lab, "-c", "3", "-i", "0.05", "-Z", "0.5", plan.topology.target_name)
    hubs = report["hubs"]
    assert report["mtr"]["dst"] == "target.lab.example"
    assert hubs[0]["hostname"] == "r1.lab.example" and hubs[0]["host"] == "r1.lab.example"
    assert hubs[1]["hostname"] == "r2.lab.example"
    assert hubs[ECMP_HOP - 1]["hostname"] in ("r3a.lab.example", "r3b.lab.example")
    assert hubs[UNNAMED_HOP - 1]["hostname"] is None  # NXDOMAIN: the address stands
    assert hubs[UNNAMED_HOP - 1]["host"] == hubs[UNNAMED_HOP - 1]["ip"]
    assert hubs[-1]["hostname"] == "target.lab.example"


def test_no_names_with_n(main_lab):
    text = main_lab.tracetui(
        "-r", "-n", "-c", "2", "-i", "0.05", "-Z", "0.5", main_lab.plan.target_address(4)
    ).stdout
    assert "lab.example" not in text
    report = trace(
        main_lab, "-n", "-c", "2", "-i", "0.05", "-Z", "0.5", main_lab.plan.target_address(4)
    )
    assert all(hub["hostname"] is None for hub in report["hubs"])


@pytest.mark.parametrize("family", [4, 6])
def test_as_numbers_from_the_lab_dns_server(main_lab, family):
    report = trace(
        main_lab,
        "-z",
        f"-{family}",
        "-c",
        "2",
        "-i",
        "0.05",
        "-Z",
        "0.5",
        main_lab.plan.target_address(family),
    )
    hubs = report["hubs"]
    assert (hubs[0]["ASN"], hubs[0]["as_name"]) == ("AS64501", "LAB-R1")
    assert hubs[1]["ASN"] == "AS64502"
    assert hubs[UNNAMED_HOP - 1]["ASN"] == "AS???"


def test_a_rate_limited_router_shows_loss_that_later_hops_do_not(rate_limited_lab):
    """mtr users know this picture: loss at one hop only is the router, not the path."""
    report = trace(
        rate_limited_lab,
        "-n",
        "-c",
        "200",
        "-i",
        "0.01",
        "-Z",
        "0.5",
        rate_limited_lab.plan.target_address(4),
    )
    hubs = report["hubs"]
    # the kernel's limit: a burst of about 6, then one message per second to our address
    assert hubs[1]["Loss%"] > 80.0, hubs[1]
    for hub in (hubs[0], *hubs[2:]):
        assert hub["Loss%"] == 0.0, hub
