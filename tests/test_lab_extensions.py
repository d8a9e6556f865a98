"""End to end: routers that attach ICMP extensions (MPLS labels, their interface).

Hops 2 and 3 of the extension lab answer through tests/lab/extension_router.py
with an RFC 4950 label stack and an RFC 5837 incoming-interface object in every
time-exceeded. tracetui must show both in every output, for every probe method
and both families; real mtr 0.95 on the same path must see the same labels.
"""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest
from lab.terminal import Terminal, have_tmux
from mtr_parsers import mtr_s_bit
from unavailable import unavailable

pytestmark = pytest.mark.lab

MPLS_HOPS = (2, 3)
COMMON = ["-n", "-c", "4", "-i", "0.1", "-Z", "1"]


def expected(lab, hop: int, family: int) -> tuple[list[dict], dict]:
    """The label stack and interface the lab's router at ``hop`` sends (see the topology)."""
    node = lab.plan.stage_nodes[hop - 1][0]
    settings = lab.plan.extension_settings(node)
    labels = settings["labels"]
    stack = [
        {"label": label, "tc": settings["tc"], "s": int(i == len(labels) - 1), "ttl": 1}
        for i, label in enumerate(labels)
    ]
    interface = {
        "role": "incoming",
        "index": lab.ifindex(node, settings["dev"]),
        "address": settings[f"address{family}"],
        "name": settings["ifname"],
        "mtu": settings["mtu"],
    }
    return stack, interface


@pytest.mark.parametrize(
    "family,method",
    [(4, []), (4, ["-u"]), (4, ["-T"]), (6, []), (6, ["-u"])],
    ids=["icmp4", "udp4", "tcp4", "icmp6", "udp6"],
)
def test_json_carries_each_routers_labels_and_interface(extension_lab, family, method):
    target = extension_lab.plan.target_address(family)
    done = extension_lab.tracetui("-j", *method, *COMMON, target)
    hubs = json.loads(done.stdout)["report"]["hubs"]
    assert [hub["host"] for hub in hubs][-1] == target
    for hub in hubs:
        responder = hub["responders"][0]
        if hub["count"] in MPLS_HOPS:
            stack, interface = expected(extension_lab, hub["count"], family)
            assert responder["mpls"] == stack
            assert responder["interface"] == interface
        else:
            assert responder["mpls"] == [] and responder["interface"] is None


def test_csv_and_text_and_raw_show_the_labels(extension_lab):
    target = extension_lab.plan.target_address(4)
    rows = list(csv.DictReader(io.StringIO(extension_lab.tracetui("-C", *COMMON, target).stdout)))
    stack, interface = expected(extension_lab, 2, 4)
    assert rows[1]["mpls"] == " ".join(f"{m['label']}:{m['tc']}:{m['s']}:{m['ttl']}" for m in stack)
    assert rows[1]["if_name"] == interface["name"] and rows[1]["if_mtu"] == "1500"
    text = extension_lab.tracetui("-r", "-e", *COMMON, target).stdout.splitlines()
    at = next(i for i, line in enumerate(text) if line.startswith("  2.|-- "))
    assert text[at + 1] == f"       [MPLS: Lbl {stack[0]['label']} TC 5 S 0 TTL 1]"
    assert text[at + 2] == f"       [MPLS: Lbl {stack[1]['label']} TC 5 S 1 TTL 1]"
    raw = extension_lab.tracetui("-l", "-e", *COMMON, target).stdout.splitlines()
    assert f"m 1 {stack[0]['label']} 5 0 1" in raw and f"m 2 {24003} 5 0 1" in raw


def test_mtr_reads_the_same_labels(extension_lab, mtr):
    target = extension_lab.plan.target_address(4)
    theirs = extension_lab.exec(mtr, "-l", "-e", "-n", "-c", "3", "-i", "0.1", target).stdout
    ours = extension_lab.tracetui("-l", "-e", *COMMON, target).stdout
    labels = {line for line in theirs.splitlines() if line.startswith("m ")}
    assert labels and labels == {line for line in ours.splitlines() if line.startswith("m ")}
    report = extension_lab.exec(mtr, "-r", "-e", "-z", "-n", "-c", "3", "-i", "0.1", target).stdout
    mtr_lines = [mtr_s_bit(line) for line in report.splitlines() if "[MPLS" in line]
    ours_report = extension_lab.tracetui("-r", "-e", "-z", *COMMON, target).stdout
    assert mtr_lines == [line for line in ours_report.splitlines() if "[MPLS" in line]


def test_live_screen_shows_labels_and_the_interface(extension_lab):
    if not have_tmux():
        unavailable("tmux is needed to drive the live screen")
    plan = extension_lab.plan
    target = plan.target_address(4)
    command = f"ip netns exec {plan.client} {sys.executable} -m tracetui -n -e -i 0.2 {target}"
    term = Terminal(command, 120, 34)
    try:
        stack, interface = expected(extension_lab, 2, 4)
        label = f"[MPLS: Lbl {stack[0]['label']} TC 5 S 0 TTL 1]"
        term.wait_until(lambda s: label in s and "round 3" in s)
        term.keys("Down")  # hop 2 in the detail pane
        screen = term.wait_until(lambda s: "Hop 2 " in s and "incoming interface" in s)
        assert f"incoming interface {interface['name']} ({interface['address']}" in screen
        assert f"ifindex {interface['index']}, MTU 1500)" in screen
        term.keys("e")  # as mtr's e: the rows under the hops go away
        term.wait_until(lambda s: label not in s.split("────")[0])
        term.keys("x")  # the packet inspector: the router's reply, as scapy reads it
        screen = term.wait_until(lambda s: f"Latest reply from {interface['address']}" in s)
        assert "###[ IP ]###" in screen and "time-exceeded" in screen
        term.keys("Escape")
        term.wait_until(lambda s: "Latest reply from" not in s)
    finally:
        term.close()
