"""Multipath discovery on a real two-stage diamond of Linux routers, against scamper.

Hop 2 is two routers and hop 4 three, each hashing flows on their ports (the
lab sets fib_multipath_hash_policy 1). The single routers after them answer
from the interface their reply leaves by, so hops 3 and 5 show two and three
interfaces: both tools see interfaces, not routers. scamper's ``tracelb`` (the
MDA as CAIDA ships it, Debian's ``scamper``) runs in the same lab first.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lab.builder import Lab
from lab.topology import Link, Router, Stage, Topology

pytestmark = pytest.mark.usefixtures("module_lab_ready")

DIAMOND = Topology(
    stages=(
        Stage(link=Link(delay_ms=0.5)),
        Stage((Router(), Router()), Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
        Stage((Router(), Router(), Router()), Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
    ),
    dns=False,
)


@pytest.fixture(scope="module")
def diamond_lab():
    if shutil.which("scamper") is None:
        pytest.fail("scamper is missing (apt-get install scamper; tests/run.sh installs it)")
    with Lab(DIAMOND, "y") as lab:
        yield lab


def scamper_tracelb(lab: Lab, target: str, tmp_path: Path) -> tuple[set[str], int]:
    """Every interface scamper's tracelb finds, and its probe count."""
    warts = tmp_path / "tracelb.warts"
    lab.exec("scamper", "-O", "warts", "-o", str(warts), "-c", "tracelb -P udp-dport", "-i", target)
    dumped = subprocess.run(
        ["sc_warts2json", str(warts)], capture_output=True, text=True, check=True
    ).stdout
    record = next(json.loads(line) for line in dumped.splitlines() if '"type":"tracelb"' in line)
    found = set()
    for node in record["nodes"]:
        found.add(node["addr"])
        for link in node.get("links", []):
            found.update(hop["addr"] for hop in link)
    return found, record["probec"]


ATTEMPTS = 3
"""The MDA misses an interface with a chance up to 1 - confidence at each hop, by design
(scamper's and ours alike: each run's source port draws other flows through the
routers' hashes). So another attempt, in fresh flows, tells such a miss from a
systematic one; both tools run again. Two were not enough: a fresh-clone CI run of
2026-12-08 missed hop 4's third branch with -T twice in a row (then passed 3 times of 3)."""


def tracetui_search(lab: Lab, method: str, target: str, *more: str) -> dict:
    argv = (method, "--multipath", *more, "-n", "--json", "-c", "2", "-i", "0.5", target)
    done = lab.tracetui(*argv)
    return json.loads(done.stdout)["report"]["tracetui"]["multipath"]


@pytest.mark.parametrize("method", ["-u", "-T"])
def test_every_interface_scamper_finds_is_found_with_a_stated_confidence(
    diamond_lab, method, tmp_path
):
    plan = diamond_lab.plan
    target = plan.target_address(4)
    everything = set().union(*(plan.hop_addresses(hop, 4) for hop in range(1, 7)))
    for _ in range(ATTEMPTS):
        theirs, their_probes = scamper_tracelb(diamond_lab, target, tmp_path)
        found = tracetui_search(diamond_lab, method, target)
        ours = {i["address"] for hop in found["hops"] for i in hop["interfaces"]}
        if ours >= theirs:
            break
    assert ours >= theirs, (ours, theirs)
    assert ours <= everything  # nothing that is not there
    assert found["probes"] <= their_probes, (found["probes"], their_probes)
    assert found["done"] and found["complete"] and found["confidence"] == 95
    by_ttl = {hop["ttl"]: hop for hop in found["hops"]}
    assert sorted(by_ttl) == list(range(1, 7))
    assert all(hop["confident"] and not hop["per_packet"] for hop in found["hops"])
    text = diamond_lab.tracetui(
        method, "--multipath", "-n", "-r", "-c", "2", "-i", "0.5", target
    ).stdout
    assert "Multipath (MDA, 95 %): " in text and "next hops, 95 %: no more" in text


LOSSY_BRANCH = Topology(
    stages=(
        *DIAMOND.stages[:3],
        Stage(
            (Router(), Router(link=Link(delay_ms=0.5, loss_forward_pct=10.0)), Router()),
            Link(delay_ms=0.5),
        ),
        *DIAMOND.stages[4:],
    ),
    dns=False,
)
"""The diamond with 10 % loss on the link into hop 4's second router."""


def test_a_branch_losing_ten_percent_is_named_and_the_others_are_ok(module_lab_ready):
    with Lab(LOSSY_BRANCH, "w") as lab:
        plan = lab.plan
        target = plan.target_address(4)
        lossy = next(
            wire.address("down", 4)
            for wire in plan.wires
            if wire.link.loss_forward_pct and wire.downstream.endswith("r4b")
        )
        for _ in range(ATTEMPTS):  # 99 %: every branch of hop 4 must be among those found
            argv = ("-u", "--multipath", "--multipath-confidence", "99", "-n", "--json")
            done = lab.tracetui(*argv, "-c", "400", "-i", "0.05", target)
            report = json.loads(done.stdout)["report"]["tracetui"]
            found = {i["address"] for hop in report["multipath"]["hops"] for i in hop["interfaces"]}
            if plan.hop_addresses(4, 4) <= found:
                break
        verdicts = {
            (hop["ttl"], i["address"]): i["branch"]["verdict"]
            for hop in report["multipath"]["hops"]
            for i in hop["interfaces"]
            if i["branch"] is not None
        }
        assert verdicts.pop((4, lossy)) == "loss", verdicts
        # hop 5's interface whose flow crossed the lossy branch carries its loss
        assert set(verdicts.values()) <= {"ok", "carried"}, verdicts
        assert list(verdicts.values()).count("carried") <= 1
        assert all(v == "ok" for (ttl, _), v in verdicts.items() if ttl < 4), verdicts
        said = [s for s in report["summary"] if "branch" in s]
        assert said == [
            f"hop 4: the branch through {lossy} loses "
            f"{said[0].split('loses ')[1].split(' %')[0]} %; the other two are clean"
        ]
        loss = float(said[0].split("loses ")[1].split(" %")[0])
        assert 4.0 < loss < 20.0
