"""The simulator says what real networks do: each ability checked against what it should produce.

Rules are only tested as well as the simulator can express the world, so
every ability the diagnosis relies on (rate limits by rate, one-way loss,
whole load-balanced branches, bursts, heavy tails, change over time, a
target with another address) is measured here on its own, through the
engine as the diagnosis sees it.
"""

from __future__ import annotations

import itertools
import statistics

import pytest
from simpaths import Run, chain, router, scenario, with_link, with_routers

from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.events import EchoLost, EchoReplied, ProbeLost, ProbeReplied
from tracetui.probe.sim import (
    LINUX_LIMIT,
    Bursts,
    IcmpLimit,
    SimBranches,
    SimHop,
    SimLink,
    SimNetwork,
    SimPath,
    SimWorld,
    VirtualClock,
)
from tracetui.probe.sim.limits import TokenBucket
from tracetui.probe.sim.timeline import Timeline, insert, link, routers
from tracetui.probe.types import Family, ProbeMethod


def _answers(run: Run, ttl: int) -> list[tuple[int, bool]]:
    """(round, answered) of every settled probe at ``ttl``, in round order."""
    out = []
    for event in run.events:
        if isinstance(event, ProbeReplied | ProbeLost) and event.ttl == ttl:
            out.append((event.round, isinstance(event, ProbeReplied)))
    return sorted(out)


def test_a_token_bucket_gives_its_burst_then_one_message_per_interval():
    bucket = TokenBucket(cost=1.0, capacity=6.0)
    assert [bucket.take(0.0) for _ in range(7)] == [True] * 6 + [False]
    assert not bucket.take(0.5) and bucket.take(1.0) and not bucket.take(1.5)
    assert bucket.take(100.0) and sum(bucket.take(100.0) for _ in range(10)) == 5


def test_linux_limit_answers_every_probe_at_one_a_second_and_one_a_second_when_faster():
    path = with_routers(chain(5), 3, router(3, limit=LINUX_LIMIT))
    slow = Run(scenario(path), interval=1.0, count=200)
    slow.run()
    assert all(answered for _, answered in _answers(slow, 3))
    fast = Run(scenario(path), interval=0.1, timeout=1.0, count=1000)
    fast.run()
    answered = [r for r, ok in _answers(fast, 3) if ok]
    # 100 seconds of rounds: the burst of six, then one a second
    assert 100 <= len(answered) <= 108, len(answered)
    assert answered[:6] == [1, 2, 3, 4, 5, 6]
    # the hops before and after are not limited: only the limiting router's own replies
    assert all(ok for _, ok in _answers(fast, 2)) and all(ok for _, ok in _answers(fast, 4))


def test_the_limit_is_one_budget_for_every_target_probed_from_one_host():
    """Two targets behind one limiting router: together they get its one message a second."""
    clock = VirtualClock()
    world = SimWorld()
    counts = []
    engines = []
    for index in range(2):
        path = with_routers(chain(4), 2, router(2, limit=LINUX_LIMIT))
        path = with_link(path, 1, jitter_ms=0.05)  # no ties to the microsecond
        sim = SimNetwork(scenario(path), Family.V4, seed=index, world=world)
        sim.clock = clock
        # paces of their own, so neither always comes first when a token is due
        settings = ProbeSettings(interval=(0.5, 0.3)[index], timeout=1.0, count=(200, 333)[index])
        log: list = []
        engines.append((Engine(sim, clock, settings, log.append), log))
    for _ in range(200):
        for engine, _log in engines:
            engine.run(until=clock.now() + 0.25)
    for _engine, log in engines:
        counts.append(sum(1 for e in log if isinstance(e, ProbeReplied) and e.ttl == 2))
    # 100 s: one a second and the burst, shared; each target alone would have had all of its
    assert 100 <= sum(counts) <= 110, counts
    assert all(count >= 20 for count in counts), counts


def test_echo_replies_spend_the_budget_only_where_the_router_limits_them():
    for limit, expect_all in ((LINUX_LIMIT, True), (IcmpLimit(echo=True), False)):
        path = with_routers(chain(4), 2, router(2, limit=limit))
        run = Run(scenario(path), interval=0.1, timeout=1.0)
        run.run_for(20.0)  # the probes have spent the budget
        for _ in range(10):
            run.engine.request_echo("198.18.2.1")
            run.run_for(0.2)
        replied = sum(1 for e in run.events if isinstance(e, EchoReplied))
        lost = sum(1 for e in run.events if isinstance(e, EchoLost))
        assert (replied == 10) is expect_all, (limit, replied, lost)


def test_a_busy_host_budget_limits_what_the_destination_budget_would_allow():
    """Other people's ICMP draws on the host-wide budget: our share shrinks."""
    busy = IcmpLimit(interval_ms=0, host_per_sec=10.0, host_burst=5, busy_per_sec=8.0)
    path = with_routers(chain(4), 2, router(2, limit=busy))
    run = Run(scenario(path), interval=0.1, timeout=1.0, count=500)
    run.run()
    answered = sum(1 for _, ok in _answers(run, 2) if ok)
    assert 100 <= answered <= 110, answered  # 2 a second for 50 s, and the burst


@pytest.mark.parametrize("direction", ["out", "back"])
def test_loss_in_one_direction_is_what_round_trips_lose(direction):
    lossy = {"loss": 0.1, "loss_back": 0.0} if direction == "out" else {"loss_back": 0.1}
    run = Run(scenario(with_link(chain(6), 3, **lossy)), count=3000, interval=0.2)
    view = run.run()
    for hop in view.hops:
        share = hop.lost / hop.sent
        if hop.ttl < 3:
            assert share == 0
        else:
            assert 0.08 < share < 0.12, (hop.ttl, share)  # 10 %, not the 19 % of both ways


def test_delay_may_differ_by_direction():
    run = Run(scenario(with_link(chain(3), 2, delay_ms=1.0, delay_back_ms=9.0)), count=5)
    view = run.run()
    assert view.hops[1].rtt.avg == pytest.approx(1 + 1 + 1 + 9 + 0.02, abs=1e-6)


def test_branches_of_their_own_length_are_chosen_per_flow():
    """Hop 2 leads into two branches (one hop or three) that rejoin at the target."""
    short = (SimHop((router(20),), SimLink(1.0)),)
    long = tuple(SimHop((router(30 + i),), SimLink(5.0, loss=0.0)) for i in range(3))
    base = chain(3)
    path = SimPath((base.hops[0], base.hops[1], SimBranches((short, long)), base.hops[2]))
    seen_lengths = set()
    for method in (ProbeMethod.UDP, ProbeMethod.TCP):
        fixed = Run(scenario(path), method=method, count=30)
        view = fixed.run()
        # one flow: one branch, the same every round, a path of one length
        assert len({r.address for h in view.hops for r in h.responders}) == view.dest_ttl
        seen_lengths.add(view.dest_ttl)
        varied = Run(scenario(path), method=method, count=60, vary_ports=True)
        view = varied.run()
        addresses = {r.address for h in view.hops for r in h.responders}
        assert {"198.18.20.1", "198.18.30.1", "198.18.31.1", "198.18.32.1"} <= addresses
        destination = [
            h.ttl for h in view.hops if any(r.address == "198.18.3.1" for r in h.responders)
        ]
        assert 4 in destination and 6 in destination  # the target at both branches' lengths
    assert seen_lengths <= {4, 6}


def test_per_packet_branches_change_within_one_flow():
    branches = SimBranches(((SimHop((router(20),)),), (SimHop((router(21),)),)), per_packet=True)
    base = chain(3)
    path = SimPath((base.hops[0], branches, base.hops[2]))
    view = Run(scenario(path), count=100).run()
    shares = sorted(r.received for r in view.hops[1].responders)
    assert len(shares) == 2 and shares[0] > 30, shares


def test_a_branch_loses_on_its_own():
    lossy = (SimHop((router(20),), SimLink(1.0, loss=0.2)),)
    clean = (SimHop((router(21),), SimLink(1.0)),)
    base = chain(3)
    path = SimPath((base.hops[0], SimBranches((lossy, clean)), base.hops[2]))
    view = Run(scenario(path), method=ProbeMethod.UDP, vary_ports=True, count=2000).run()
    by_router = {r.address: r.received for r in view.hops[1].responders}
    # the lossy branch answers about 0.8**2 of its half, the clean one all of its
    assert by_router["198.18.21.1"] > 900 and 550 < by_router["198.18.20.1"] < 720, by_router


def test_pings_reach_a_router_on_a_branch_the_probes_do_not_take():
    other = (SimHop((router(21),)),)
    base = chain(3)
    path = SimPath((base.hops[0], SimBranches(((SimHop((router(20),)),), other)), base.hops[2]))
    run = Run(scenario(path))
    for address in ("198.18.20.1", "198.18.21.1"):
        run.engine.request_echo(address)
    run.run_for(2.0)
    assert sorted(e.address for e in run.events if isinstance(e, EchoReplied)) == [
        "198.18.20.1",
        "198.18.21.1",
    ]


def test_bursty_loss_has_its_mean_and_comes_in_runs():
    bursts = Bursts(good_s=9.0, bad_s=1.0)  # 10 % on average, in spells of about a second
    run = Run(scenario(with_link(chain(3), 2, bursts=bursts, bursts_back=Bursts(1e9, 1e-9, 0.0))),
              interval=0.1, count=20000)  # fmt: skip
    run.run()
    outcomes = [ok for _, ok in _answers(run, 3)]
    share = outcomes.count(False) / len(outcomes)
    assert 0.07 < share < 0.13, share
    after_loss = [b for a, b in itertools.pairwise(outcomes) if not a]
    # a loss is followed by another far more often than the mean share: bursts
    assert after_loss.count(False) / len(after_loss) > 0.6


def test_heavy_tailed_jitter_keeps_its_mean_with_rare_large_delays():
    run = Run(scenario(with_link(chain(2), 1, jitter_ms=5.0, jitter_tail=1.5)),
              count=4000, interval=0.2, timeout=5.0)  # fmt: skip
    run.run()
    rtts = [e.rtt for e in run.events if isinstance(e, ProbeReplied) and e.ttl == 1]
    extra = [rtt - 2.02 for rtt in rtts]  # two crossings of 1 ms, 0.02 ms to answer
    assert 7.0 < statistics.fmean(extra) < 13.0  # 5 ms a crossing on average (noisy: heavy tail)
    assert statistics.median(extra) < 5.0  # most crossings are short
    assert max(extra) > 60.0  # and a few are very long


def test_the_target_may_answer_from_another_address():
    target = router(4, answers_from=("198.18.40.1", "2001:db8:40::1"))
    path = with_routers(chain(4), 4, target)
    for method in ProbeMethod:
        view = Run(scenario(path), method=method, count=5).run()
        last = view.hops[-1]
        assert view.dest_ttl == 4 and last.received == 5, method
        assert last.responders[0].address == "198.18.40.1"


def test_a_timeline_plays_episodes_steps_flaps_and_longer_paths():
    base = chain(5)
    timeline = (
        Timeline(base)
        .between(100, 200, link(3, loss=0.5))
        .at(300, link(2, delay_ms=11.0))
        .flap(400, 440, 10, routers(4, router(40)))
        .at(500, insert(3, SimHop((router(99),))))
    )
    scenario_ = timeline.scenario()
    assert scenario_.path_at(50) == base
    assert scenario_.path_at(150).hops[2].link.loss == 0.5
    assert scenario_.path_at(250) == base
    assert scenario_.path_at(350).hops[1].link.delay_ms == 11.0
    flaps = [scenario_.path_at(t).hops[3].routers[0].address4 for t in range(400, 450, 5)]
    assert flaps == ["198.18.40.1"] * 2 + ["198.18.4.1"] * 2 + ["198.18.40.1"] * 2 + [
        "198.18.4.1"
    ] * 2 + ["198.18.4.1"] * 2  # fmt: skip
    assert len(scenario_.path_at(600).hops) == 6
    run = Run(scenario_, count=700)
    view = run.run()
    assert view.dest_ttl == 6
