"""The engine on the simulated network, in virtual time: no root, no sleeping."""

from __future__ import annotations

import pytest
from simpaths import Run, chain, router, scenario, with_link, with_routers

from tracetui.probe.events import (
    Finished,
    FlowNote,
    PathChanged,
    Paused,
    ProbeFailed,
    ProbeReplied,
    ProbeSent,
    Restarted,
    Tally,
)
from tracetui.probe.sim import SimHop, SimLink, SimPath
from tracetui.probe.types import Family, ProbeMethod

FAMILIES = [Family.V4, Family.V6]
METHODS = list(ProbeMethod)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("method", METHODS)
def test_clean_path_every_method_and_family(family, method):
    run = Run(scenario(chain(5, delay_ms=1.0)), family, method=method, count=10)
    view = run.run()
    assert [hop.ttl for hop in view.hops] == [1, 2, 3, 4, 5]
    assert view.dest_ttl == 5
    for hop in view.hops:
        assert (hop.sent, hop.received, hop.lost) == (10, 10, 0)
        assert hop.responders[0].address == router(hop.ttl).address(family)
        # 2 ms per hop there and back, plus 0.02 ms for the router to answer
        assert hop.rtt.avg == pytest.approx(2.0 * hop.ttl + 0.02, abs=1e-6)
        assert hop.rtt.stdev == pytest.approx(0.0, abs=1e-6)
    assert view.hops[-1].is_destination
    assert run.ignored["foreign"] == 0


def test_whole_path_is_discovered_within_one_round_trip():
    run = Run(scenario(chain(15, delay_ms=1.0)), max_ttl=30)
    start = run.sim.clock.now()
    view = run.run(until=start + 0.0301 + 0.001)  # path RTT is 30.02 ms
    assert view.dest_ttl == 15
    assert [hop.received for hop in view.hops] == [1] * 15


def test_probing_stops_at_the_destination():
    run = Run(scenario(chain(5)), count=10, max_ttl=30)
    run.run()
    sent_per_round = {}
    for event in run.events:
        if isinstance(event, ProbeSent):
            sent_per_round[event.round] = sent_per_round.get(event.round, 0) + 1
    assert sent_per_round[1] == 30  # the first round probes every TTL at once
    assert all(sent_per_round[r] == 5 for r in range(2, 11))
    assert run.engine.beyond_path == 25


def test_loss_on_one_link_shows_at_that_hop_and_beyond():
    path = with_link(chain(6, delay_ms=1.0), 3, loss=0.10)
    run = Run(scenario(path), count=2000, interval=0.05, timeout=1.0, seed=5)
    view = run.run()
    # the link drops 10 % in each direction, so a round trip across it survives 0.9 ** 2
    for hop in view.hops:
        assert hop.received + hop.lost == hop.sent == 2000
        if hop.ttl < 3:
            assert hop.lost == 0
        else:
            assert 15.0 < hop.loss_pct < 23.0, (hop.ttl, hop.loss_pct)


def test_silent_router_is_an_unknown_hop_and_the_path_continues():
    path = with_routers(chain(5), 3, router(3, silent=True))
    view = Run(scenario(path), count=5).run()
    assert [hop.ttl for hop in view.hops] == [1, 2, 3, 4, 5]
    silent = view.hops[2]
    assert silent.responders == () and silent.loss_pct == 100.0
    assert view.hops[4].received == 5 and view.dest_ttl == 5


def test_ecmp_hop_shows_both_responders_with_their_own_counts():
    path = with_routers(chain(5), 3, router(3, 1), router(3, 2))
    view = Run(scenario(path), count=200, interval=0.1).run()
    hop = view.hops[2]
    counts = {r.address: r.received for r in hop.responders}
    assert set(counts) == {"198.18.3.1", "198.18.3.2"}
    assert sum(counts.values()) == hop.received == 200
    assert min(counts.values()) > 40


@pytest.mark.parametrize("method", [ProbeMethod.UDP, ProbeMethod.TCP])
def test_fixed_flow_keeps_one_ecmp_branch_and_varying_ports_see_both(method):
    path = with_routers(chain(5), 3, router(3, 1), router(3, 2))
    fixed = Run(scenario(path), method=method, count=50, interval=0.1).run()
    assert len(fixed.hops[2].responders) == 1
    varying = Run(scenario(path), method=method, count=50, interval=0.1, vary_ports=True).run()
    assert len(varying.hops[2].responders) == 2
    assert varying.hops[-1].received == 50


def test_duplicates_are_counted_not_attributed():
    run = Run(scenario(chain(4), duplicate_rate=0.3), count=100, interval=0.1)
    view = run.run()
    assert run.ignored["duplicate"] > 50
    for hop in view.hops:
        assert (hop.sent, hop.received) == (100, 100)


def test_late_replies_count_as_lost_once_the_timeout_passed():
    run = Run(
        scenario(chain(4), late_rate=0.05, late_ms=3000.0),
        count=400,
        interval=0.1,
        timeout=1.0,
        seed=2,
    )
    view = run.run()
    lost = sum(hop.lost for hop in view.hops)
    assert lost > 20
    # every lost probe's reply does come, late: read during the run, or still on its way
    assert run.ignored["late"] + run.sim.undelivered == lost
    for hop in view.hops:
        assert hop.received + hop.lost == hop.sent == 400


def test_out_of_order_replies_are_matched_to_their_own_probes():
    # heavy jitter on a link reorders replies; every probe still gets exactly its own RTT
    path = with_link(chain(4, delay_ms=1.0), 2, jitter_ms=20.0)
    run = Run(scenario(path), count=300, interval=0.005, timeout=2.0)
    truth = _record_true_rtts(run)
    view = run.run()
    for hop in view.hops:
        assert (hop.sent, hop.received) == (300, 300)
    replies = [e for e in run.events if isinstance(e, ProbeReplied)]
    assert sum(1 for reply in replies if reply.ttl <= 4) == 4 * 300
    for reply in replies:
        assert reply.rtt == pytest.approx(truth[reply.ttl, reply.round], abs=1e-5), reply
    overtaken = sum(
        1
        for ttl in range(2, 5)
        for round_ in range(2, 301)
        if truth[ttl, round_] + 0.005e3 * round_ < truth[ttl, round_ - 1] + 0.005e3 * (round_ - 1)
    )
    assert overtaken > 100  # the scenario really reorders replies
    assert view.hops[0].rtt.worst < 2.1  # hop 1 is before the jittery link
    assert view.hops[3].rtt.worst > 20.0


def _record_true_rtts(run: Run) -> dict[tuple[int, int], float]:
    """What the simulation decides for each probe: (ttl, round) -> RTT in ms.

    Each round sends every TTL once, so the n-th probe sent at a TTL belongs to round n.
    """
    sim = run.sim
    truth: dict[tuple[int, int], float] = {}
    sends: dict[int, int] = {}
    current: list = [None, 0.0]
    send, deliver = sim.send, sim._deliver

    def recording_send(method, payload, ttl):
        sends[ttl] = sends.get(ttl, 0) + 1
        current[:] = [(ttl, sends[ttl]), sim.clock.now()]
        return send(method, payload, ttl)

    def recording_deliver(when, channel, data, source):
        truth[current[0]] = (when - current[1]) * 1000.0
        deliver(when, channel, data, source)

    sim.send = recording_send
    sim._deliver = recording_deliver
    return truth


@pytest.mark.parametrize("family", FAMILIES)
def test_packets_of_other_programs_are_dropped_and_counted(family):
    run = Run(scenario(chain(4), foreign_per_second=200.0), family, count=50, interval=0.1)
    view = run.run()
    assert run.ignored["foreign"] + sum(run.sim.malformed.values()) > 500
    addresses = {router(i).address(family) for i in range(1, 5)}
    for hop in view.hops:
        assert (hop.sent, hop.received) == (50, 50)
        assert {r.address for r in hop.responders} <= addresses


def test_route_change_shows_new_responders():
    before = chain(5)
    after = with_routers(chain(5), 3, router(30))
    run = Run(scenario(before, after, changes=(10.0,)), count=20)
    view = run.run()
    hop = view.hops[2]
    counts = {r.address: r.received for r in hop.responders}
    assert counts == {"198.18.3.1": 10, "198.18.30.1": 10}


def test_destination_answering_at_a_lower_ttl_shortens_the_path():
    long, short = chain(8), chain(5)
    long = with_routers(long, 8, router(5))  # same target address, now 3 hops nearer
    run = Run(scenario(long, short, changes=(5.0,)), count=30)
    view = run.run()
    assert view.dest_ttl == 5
    assert [hop.ttl for hop in view.hops if hop.on_path] == [1, 2, 3, 4, 5]
    assert view.hops[4].responders[0].address == "198.18.5.1"
    # the hops that left the path keep the rounds they answered, marked as gone
    gone = [hop for hop in view.hops if not hop.on_path]
    assert [hop.ttl for hop in gone] == [6, 7, 8]
    assert all(hop.received >= 5 for hop in gone)


def test_longer_path_is_found_within_a_few_rounds():
    short = chain(5)
    long = with_routers(chain(8), 8, router(5))
    run = Run(scenario(short, long, changes=(5.0,)), count=12)
    run.run_for(4.5)
    assert run.model.dest_ttl == 5
    run.run_for(3.6)
    assert run.model.dest_ttl == 8
    view = run.run()
    assert [hop.ttl for hop in view.hops] == list(range(1, 9))


def test_silent_target_probes_max_unknown_hops_past_the_last_answer():
    path = with_routers(chain(6), 6, router(6, silent=True))
    run = Run(scenario(path), count=5, max_unknown=3)
    view = run.run()
    assert view.dest_ttl is None
    # 5 answering hops, then one row (as mtr's one ???) for the 3 silent TTLs probed
    assert [hop.ttl for hop in view.hops] == list(range(1, 7))
    assert view.hops[-1].span == 3 and view.hops[-1].loss_pct == 100.0
    probed = {e.ttl for e in run.events if isinstance(e, ProbeSent) and e.round == 5}
    assert probed == set(range(1, 9))


def test_probes_in_flight_are_never_counted_as_lost():
    path = chain(3, delay_ms=50.0)
    run = Run(scenario(path), interval=0.05, timeout=2.0, count=60)
    for _ in range(40):
        view = run.run_for(0.0737)
        for hop in view.hops:
            assert hop.lost == 0
            assert hop.received + hop.in_flight == hop.sent


def test_switching_method_restarts_with_fresh_statistics():
    run = Run(scenario(chain(4)), interval=0.5)
    run.run_for(5.0)
    assert run.model.snapshot().hops[-1].received >= 9
    run.engine.request_method(ProbeMethod.UDP)
    view = run.run_for(5.0)
    assert view.method is ProbeMethod.UDP
    assert any(isinstance(e, Restarted) and e.method is ProbeMethod.UDP for e in run.events)
    assert view.dest_ttl == 4
    for hop in view.hops:
        assert hop.sent <= 10 and hop.received + hop.in_flight == hop.sent
    assert view.hops[-1].responders[0].kind.name == "PORT_UNREACHABLE"
    run.engine.request_method(ProbeMethod.TCP)
    view = run.run_for(3.0)
    assert view.hops[-1].responders[0].kind.name == "TCP_RESET"


def test_reset_starts_statistics_afresh_and_counts_stale_replies():
    run = Run(scenario(chain(3, delay_ms=100.0)), interval=0.5)
    run.run_for(3.05)  # replies of the last round are still in flight
    run.engine.request_reset()
    view = run.run_for(1.0)
    assert run.ignored["stale"] > 0
    for hop in view.hops:
        assert hop.received + hop.lost + hop.in_flight == hop.sent <= 2


def test_pause_stops_rounds_and_resume_continues():
    run = Run(scenario(chain(3)), interval=1.0)
    run.run_for(3.5)
    rounds = run.model.rounds
    run.engine.request_pause(True)
    run.run_for(5.0)
    assert run.model.rounds == rounds
    run.engine.request_pause(False)
    run.run_for(2.5)
    assert run.model.rounds >= rounds + 2


def test_first_ttl_skips_near_hops():
    view = Run(scenario(chain(6)), first_ttl=3, count=3).run()
    assert [hop.ttl for hop in view.hops] == [3, 4, 5, 6]


def test_max_ttl_caps_a_long_path():
    view = Run(scenario(chain(12)), max_ttl=8, count=3).run()
    assert [hop.ttl for hop in view.hops] == list(range(1, 9))
    assert view.dest_ttl is None


def test_path_changes_are_announced():
    run = Run(scenario(chain(4)), count=2)
    run.run()
    changes = [e for e in run.events if isinstance(e, PathChanged)]
    assert changes[0] == PathChanged(30, None, False)
    assert changes[-1] == PathChanged(4, 4, True)


def test_unequal_ecmp_branches_do_not_flap_the_path_length():
    """Half the flows reach the target at TTL 4, the other half at TTL 5."""
    short = SimPath((*tuple(chain(4).hops[:3]), SimHop((router(9),), SimLink(1.0))))
    long = SimPath((*tuple(chain(5).hops[:4]), SimHop((router(9),), SimLink(1.0))))
    # alternate the two paths every 0.5 s: a crude stand-in for per-flow balancing
    changes = tuple(0.5 * i for i in range(1, 200))
    paths = tuple(short if i % 2 == 0 else long for i in range(200))
    run = Run(scenario(*paths, changes=changes), interval=0.5, count=150)
    limits = []
    for _ in range(70):
        run.run_for(1.0)
        limits.append(run.model.dest_ttl)
    assert set(limits[12:]) == {5}


def test_probes_the_kernel_refuses_are_failed_never_lost():
    run = Run(scenario(chain(4), send_failure_rate=0.2), count=200, interval=0.1, seed=3)
    view = run.run()
    failed = sum(hop.failed for hop in view.hops)
    assert 4 * 200 * 0.2 * 0.7 < failed < 4 * 200 * 0.2 * 1.3
    refused = [e for e in run.events if isinstance(e, ProbeFailed)]
    assert run.ignored["send failed"] == view.ignored["send failed"] == len(refused)
    assert failed == sum(1 for e in refused if e.ttl <= 4)  # the rest were in round 1, beyond
    assert "No buffer space" in view.last_failure
    for hop in view.hops:
        # a refused probe was never sent: it is neither Snt nor Loss%
        assert hop.sent + hop.failed == 200
        assert hop.lost == 0 and hop.received == hop.sent


def test_engine_state_reaches_the_model_only_as_events():
    run = Run(scenario(chain(3)), count=3, interval=0.5)
    run.engine.request_pause(True)
    run.run_for(2.0)
    assert run.model.snapshot().paused and run.model.rounds == 0
    run.engine.request_pause(False)
    view = run.run()
    assert not view.paused and view.finished and view.rounds == 3
    assert [type(e) for e in run.events].count(Paused) == 2
    assert isinstance(run.events[-1], Finished)
    assert not any(isinstance(e, Tally) for e in run.events)  # nothing was ignored


@pytest.mark.parametrize("count, interval", [(20, 0.5), (5, 0.1)])
def test_udp_reaches_a_target_whose_port_33434_is_open(count, interval):
    """mtr's default reaches such a target; the fixed flow alone would show ??? rows.
    A short fast report gets there too: the end counts as silent after three times the
    slowest reply, not after the whole timeout."""
    path = with_routers(chain(5, delay_ms=5.0), 3, router(3, 1), router(3, 2))
    run = Run(
        scenario(path, open_udp_ports=frozenset({33434})),
        method=ProbeMethod.UDP,
        count=count,
        interval=interval,
        timeout=1.0,
    )
    view = run.run()
    assert view.dest_ttl == 5 and view.reached
    target = view.hops[-1]
    # the target's row starts with the varying flow: its silence to port 33434 is not loss
    assert target.lost == 0 and target.received == target.sent >= count // 2
    # the hops in between keep one flow, so one ECMP branch
    assert len(view.hops[2].responders) == 1
    assert [hop.sent for hop in view.hops[:4]] == [count] * 4
    assert len(view.notes) == 1 and "33435" in view.notes[0] and "33434" in view.notes[0]


def test_udp_with_an_explicit_port_keeps_one_flow_to_the_end():
    """-P 33434 asks for that port: no second flow, the silent end stays silent."""
    run = Run(
        scenario(chain(5), open_udp_ports=frozenset({33434})),
        method=ProbeMethod.UDP,
        port=33434,
        count=10,
    )
    view = run.run()
    assert view.dest_ttl is None and not view.reached and view.notes == ()


def test_udp_whose_fixed_flow_reaches_the_target_never_varies_ports():
    run = Run(scenario(chain(5)), method=ProbeMethod.UDP, count=10)
    view = run.run()
    assert view.reached and view.notes == ()
    assert not any(isinstance(event, FlowNote) for event in run.events)
