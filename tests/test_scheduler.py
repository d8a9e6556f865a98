"""Many engines on one thread (tracetui/probe/scheduler.py) on the simulated network.

The scheduler turns an engine only when it has something to do; what each
target learns must not depend on that: every probe's outcome and round trip is
the one the same engine finds running alone on the same simulated path.
"""

from __future__ import annotations

from simpaths import chain, with_link

from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.events import ProbeLost, ProbeReplied, ProbeSent, RoundStarted
from tracetui.probe.scheduler import EngineScheduler
from tracetui.probe.sim import SimNetwork, SimScenario, VirtualClock
from tracetui.probe.types import Family, ProbeMethod

SETTINGS = ProbeSettings(interval=1.0, timeout=2.0, count=15)


def _scenarios():
    """Paths of different lengths and loss, so targets finish and time out at different times."""
    return [
        SimScenario(
            paths=(
                with_link(
                    chain(3 + index, delay_ms=0.5 + index), 2, loss=0.05 * index, jitter_ms=index
                ),
            )
        )
        for index in range(6)
    ]


def _outcomes(events) -> list[tuple]:
    out = []
    for event in events:
        if isinstance(event, ProbeReplied):
            out.append(("reply", event.ttl, event.round, event.responder, event.rtt))
        elif isinstance(event, ProbeLost):
            out.append(("lost", event.ttl, event.round))
        elif isinstance(event, ProbeSent):
            out.append(("sent", event.ttl, event.round))
    return sorted(out, key=repr)


def _alone(scenario, seed, method, start):
    sim = SimNetwork(scenario, Family.V4, seed=seed)
    events: list = []
    engine = Engine(sim, sim.clock, SETTINGS._replace(method=method), events.append)
    engine.defer_start(start)
    engine.run()
    return _outcomes(events)


def _passing(clock: VirtualClock):
    return lambda seconds: clock.advance_to(clock.now() + seconds)


def test_each_target_learns_what_it_learns_alone():
    for method in ProbeMethod:
        clock = VirtualClock()
        engines, logs = [], []
        for seed, scenario in enumerate(_scenarios()):
            sim = SimNetwork(scenario, Family.V4, seed=seed)
            sim.clock = clock
            log: list = []
            engines.append(Engine(sim, clock, SETTINGS._replace(method=method), log.append))
            logs.append(log)
        scheduler = EngineScheduler(engines, clock, sleep=_passing(clock))
        scheduler.run()
        assert scheduler.error is None
        count = len(logs)
        for seed, (scenario, log) in enumerate(zip(_scenarios(), logs, strict=True)):
            # the scheduler starts the targets spread over one interval
            alone = _alone(scenario, seed, method, 1000.0 + SETTINGS.interval * seed / count)
            assert _outcomes(log) == alone, (method, seed)
            assert sum(1 for o in alone if o[0] == "reply") > 0
        starts = [[e.at for e in log if isinstance(e, RoundStarted)] for log in logs]
        for index, times in enumerate(starts):  # spread, and each keeps its own pace
            first = 1000.0 + SETTINGS.interval * index / count
            assert times == [first + SETTINGS.interval * n for n in range(SETTINGS.count)]


def test_a_stop_ends_every_engine_and_rounds_keep_their_schedule():
    clock = VirtualClock()
    engines = []
    settings = SETTINGS._replace(count=None, interval=10.0)
    for seed in range(3):
        sim = SimNetwork(SimScenario(paths=(chain(4),)), Family.V4, seed=seed)
        sim.clock = clock
        engines.append(Engine(sim, clock, settings, lambda event: None))
    started = clock.now()

    def sleep(seconds: float) -> None:
        clock.advance_to(clock.now() + seconds)
        if clock.now() - started >= 60:
            scheduler.stop()

    scheduler = EngineScheduler(engines, clock, read_interval=0.1, sleep=sleep)
    scheduler.run()
    assert all(engine.stopping for engine in engines)
    alone = SimNetwork(SimScenario(paths=(chain(4),)), Family.V4, seed=0)
    solo = Engine(alone, alone.clock, settings, lambda event: None)
    solo.run(until=alone.clock.now() + 60)
    assert [engine.sent for engine in engines] == [solo.sent] * 3  # rounds at 0, 10, ..., 50 s
    # simulated transports are polled every read interval (600 turns each in 60 s);
    # a raw-socket hub's targets are turned only for mail and deadlines (lab test)
    assert scheduler.turns <= 3 * (600 + 6 * 8 + 2)


def test_an_engine_that_fails_ends_the_run_and_the_error_is_kept():
    clock = VirtualClock()
    engines = []
    for seed in range(2):
        sim = SimNetwork(SimScenario(paths=(chain(4),)), Family.V4, seed=seed)
        sim.clock = clock
        engines.append(Engine(sim, clock, SETTINGS, lambda event: None))

    def broken():
        raise OSError(5, "Input/output error")

    engines[1].transport.drain = broken  # type: ignore[method-assign]
    scheduler = EngineScheduler(engines, clock, sleep=_passing(clock))
    scheduler.run_in_thread()  # what a thread runs: no exception escapes
    assert isinstance(scheduler.error, OSError)
    assert "Input/output error" in str(scheduler.error)


def test_engines_come_and_go_while_it_runs_and_the_others_keep_their_pace():
    """A reload: engines added while running start spread over one interval and learn
    what they learn alone; a stopped one leaves; a persistent scheduler with none left
    waits for more until stopped."""
    clock = VirtualClock()
    settings = SETTINGS._replace(count=None, interval=1.0)

    def engine(seed: int, log: list) -> Engine:
        sim = SimNetwork(_scenarios()[seed], Family.V4, seed=seed)
        sim.clock = clock
        return Engine(sim, clock, settings, log.append)

    logs: list[list] = [[] for _ in range(4)]
    first = engine(0, logs[0])
    started = clock.now()
    plan = {10.0: "add", 20.0: "remove", 30.0: "empty", 40.0: "stop"}
    done: set[float] = set()

    def sleep(seconds: float) -> None:
        clock.advance_to(clock.now() + seconds)
        for at, what in plan.items():
            if clock.now() - started >= at and at not in done:
                done.add(at)
                if what == "add":
                    added.extend([engine(1, logs[1]), engine(2, logs[2])])
                    for one in added:
                        scheduler.add(one)
                elif what == "remove":
                    first.stop()
                elif what == "empty":
                    for one in added:
                        one.stop()
                else:
                    scheduler.stop()

    added: list[Engine] = []
    scheduler = EngineScheduler([first], clock, read_interval=0.1, sleep=sleep, persistent=True)
    scheduler.run()
    assert scheduler.error is None and scheduler.engines == []
    rounds = [[e.at - started for e in log if isinstance(e, RoundStarted)] for log in logs]
    assert rounds[0] == [float(n) for n in range(20)]  # every second until removed at 20 s
    assert len(rounds[1]) == len(rounds[2]) == 20  # from about 10 s to about 30 s
    assert 10.0 <= rounds[1][0] < rounds[2][0] < 11.0  # spread over one interval
    for seed in (1, 2):
        assert sum(isinstance(e, ProbeReplied) for e in logs[seed]) > 20
    assert clock.now() - started >= 40.0  # it waited, with nothing to run, for the stop
