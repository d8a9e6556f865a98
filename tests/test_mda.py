"""Multipath discovery (probe/mda.py) on simulated load-balanced paths, through the engine."""

from __future__ import annotations

import pytest
from simpaths import Run, chain, router, scenario

from tracetui.path.snapshot import multipath_sentences
from tracetui.probe.events import BranchesFound, DiscoveryEnded, FlowNote
from tracetui.probe.mda import SILENT_FLOWS, probes_to_rule_out
from tracetui.probe.sim import SimBranches, SimHop, SimPath
from tracetui.probe.types import ProbeMethod

# Augustin et al. (E2EMON 2007) and scamper's tracelb: probes to rule out one more next hop
PUBLISHED_95 = [6, 11, 16, 21, 27, 33, 38, 44, 51, 57, 63, 70, 76, 83, 90, 96]
PUBLISHED_99 = [8, 15, 21, 28, 36, 43, 51, 58, 66, 74, 82, 90, 98, 106, 115, 123]


def test_the_stopping_points_are_the_published_ones():
    assert [probes_to_rule_out(k, 0.95) for k in range(1, 17)] == PUBLISHED_95
    assert [probes_to_rule_out(k, 0.99) for k in range(1, 17)] == PUBLISHED_99


def _branches(*first: int, per_packet: bool = False) -> SimBranches:
    return SimBranches(tuple((SimHop((router(i),)),) for i in first), per_packet=per_packet)


def diamond() -> SimPath:
    """Hop 2: two routers; hop 4: three; as the issue's lab path."""
    base = chain(6)
    hops = base.hops
    return SimPath((hops[0], _branches(20, 21), hops[2], _branches(40, 41, 42), hops[4], hops[5]))


def _discover(path: SimPath, **settings) -> tuple[Run, dict[int, BranchesFound], DiscoveryEnded]:
    run = Run(
        scenario(path), **{"method": ProbeMethod.UDP, "count": 5, "multipath": 0.95, **settings}
    )
    run.run()
    found = {e.hop.ttl: e for e in run.events if isinstance(e, BranchesFound)}
    ended = [e for e in run.events if isinstance(e, DiscoveryEnded)]
    assert len(ended) == 1
    return run, found, ended[0]


@pytest.mark.parametrize("method", [ProbeMethod.UDP, ProbeMethod.TCP])
def test_every_branch_of_a_two_stage_diamond_is_found_with_its_links(method):
    run, found, ended = _discover(diamond(), method=method)
    interfaces = {ttl: set(e.hop.interfaces) for ttl, e in found.items()}
    assert interfaces == {
        1: {"198.18.1.1"},
        2: {"198.18.20.1", "198.18.21.1"},
        3: {"198.18.3.1"},
        4: {"198.18.40.1", "198.18.41.1", "198.18.42.1"},
        5: {"198.18.5.1"},
        6: {"198.18.6.1"},
    }
    assert ended.complete and all(e.hop.confident for e in found.values())
    assert not any(e.hop.per_packet for e in found.values())
    assert set(found[3].hop.links) == {("198.18.20.1", "198.18.3.1"), ("198.18.21.1", "198.18.3.1")}
    assert found[6].hop.ends == ("198.18.6.1",)
    # MDA-Lite's n_k at each hop (1 at the gateway, 11, 6, 16, 6, 1 at the target), less
    # the one reply the rounds' own flow gives at each hop
    assert ended.probes == sum(e.hop.probes for e in found.values()) == 0 + 10 + 5 + 15 + 5 + 0
    # each interface's flows really go there: probing one again gives the same router
    for e in found.values():
        for address, flows in e.hop.flows:
            assert flows and address in e.hop.interfaces
    # the rounds went on in their own fixed flow: five rounds, one router per hop
    view = run.model.snapshot()
    assert all(hop.sent == 5 for hop in view.hops)
    assert view.multipath is not None and view.multipath.done and view.multipath.complete


def test_a_higher_confidence_sends_more_probes():
    _, _, at95 = _discover(diamond())
    _, found, at99 = _discover(diamond(), multipath=0.99)
    assert at99.complete and at99.probes > at95.probes
    # less the rounds' own reply at each hop
    assert found[2].hop.probes >= 15 - 1 and found[4].hop.probes >= 21 - 1


def test_per_packet_balancing_is_recognised_by_the_rounds_one_flow():
    base = chain(4)
    path = SimPath((base.hops[0], _branches(20, 21, per_packet=True), *base.hops[2:]))
    run, found, ended = _discover(path, count=10)
    assert set(found[2].hop.interfaces) == {"198.18.20.1", "198.18.21.1"} and ended.complete
    view = run.model.snapshot()
    assert view.multipath is not None
    assert [hop.per_packet for hop in view.multipath.hops] == [False, True, False, False]
    assert "balanced per packet" in " ".join(multipath_sentences(view.multipath))
    # per flow, the rounds' flow stays on one branch: nothing said
    run, _, _ = _discover(diamond(), count=10)
    found_again = run.model.snapshot().multipath
    assert found_again is not None and not any(hop.per_packet for hop in found_again.hops)


def test_a_mesh_is_told_by_the_flows_it_reuses():
    """Two hops in a row with two routers each, every router of the first reaching both of
    the second: the flows reused from hop 2, each router's in turn, show all four links."""
    base = chain(5)
    hop2 = SimHop((router(20), router(21)))
    hop3 = SimHop((router(30), router(31)))
    path = SimPath((base.hops[0], hop2, hop3, *base.hops[3:]))
    _, found, ended = _discover(path)
    assert set(found[3].hop.interfaces) == {"198.18.30.1", "198.18.31.1"}
    assert set(found[3].hop.links) == {
        (a, b) for a in ("198.18.20.1", "198.18.21.1") for b in ("198.18.30.1", "198.18.31.1")
    }
    assert found[3].hop.meshed and not found[2].hop.meshed and ended.complete


def test_a_silent_hop_does_not_stop_the_search():
    base = chain(5)
    silent = SimHop((router(3, silent=True),))
    path = SimPath((base.hops[0], _branches(20, 21), silent, *base.hops[3:]))
    _, found, ended = _discover(path)
    assert found[3].hop.interfaces == () and found[3].hop.silent == SILENT_FLOWS
    assert set(found[5].hop.interfaces) == {"198.18.5.1"} and ended.complete


def test_icmp_has_no_flows_to_vary_and_says_so():
    run = Run(scenario(diamond()), method=ProbeMethod.ICMP, count=3, multipath=0.95)
    run.run()
    assert not any(isinstance(e, BranchesFound | DiscoveryEnded) for e in run.events)
    notes = [e.text for e in run.events if isinstance(e, FlowNote)]
    assert notes == ["ICMP probes have no ports to vary: no multipath search"]


def test_branches_of_unequal_length_are_both_followed_to_the_target():
    """A short branch reaches the target at hop 4, a long one at hop 6: the target's first
    reply at hop 4 does not end the search while the long branch's flow is still on its
    way (one flow through each interface of the hop before)."""
    short = (SimHop((router(20),)),)
    long = tuple(SimHop((router(30 + i),)) for i in range(3))
    base = chain(3)
    path = SimPath((base.hops[0], base.hops[1], SimBranches((short, long)), base.hops[2]))
    _, found, ended = _discover(path)
    assert set(found[4].hop.interfaces) == {"198.18.31.1", "198.18.3.1"}
    assert found[4].hop.ends == ("198.18.3.1",) and found[6].hop.interfaces == ("198.18.3.1",)
    assert ended.complete
