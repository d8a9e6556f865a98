"""Small builders for simulated paths used across engine tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.sim import SimHop, SimLink, SimNetwork, SimPath, SimRouter, SimScenario
from tracetui.probe.types import Family


def router(index: int, sub: int = 1, **kwargs) -> SimRouter:
    return SimRouter(f"198.18.{index}.{sub}", f"2001:db8:{index:x}::{sub:x}", **kwargs)


def chain(hops: int, delay_ms: float = 1.0, **overrides) -> SimPath:
    """``hops`` hops, the last being the target; ``overrides[i]`` replaces hop i (1-based)."""
    out = []
    for index in range(1, hops + 1):
        hop = SimHop((router(index),), SimLink(delay_ms))
        out.append(overrides.get(f"hop{index}", hop))
    return SimPath(tuple(out))


class Run:
    """An engine, a model and a simulated network wired together on virtual time."""

    def __init__(
        self,
        scenario: SimScenario,
        family: Family = Family.V4,
        seed: int = 1,
        virtual_wallclock: bool = False,
        **settings,
    ) -> None:
        """``virtual_wallclock``: the model's wall times follow the virtual clock (from
        2026-12-08 00:00 UTC), as a replay's do, instead of the machine's."""
        self.sim = SimNetwork(scenario, family, seed=seed)
        self.settings = ProbeSettings(**{"interval": 1.0, "timeout": 2.0, **settings})
        info = TraceInfo(
            "target",
            self.sim.target,
            self.sim.client,
            family,
            self.settings.first_ttl,
            self.settings.max_ttl,
            self.settings.interval,
            self.settings.timeout,
            self.settings.size,
            self.settings.port,
            self.settings.count,
        )
        wallclock = lambda: datetime.now(UTC)  # noqa: E731
        if virtual_wallclock:
            begun = self.sim.clock.now()
            epoch = datetime(2026, 12, 8, tzinfo=UTC)
            wallclock = lambda: epoch + timedelta(seconds=self.sim.clock.now() - begun)  # noqa: E731
        self.model = PathModel(info, self.settings.method, wallclock)
        self.events: list = []
        self.engine = Engine(self.sim, self.sim.clock, self.settings, self._sink)

    def _sink(self, event) -> None:
        self.events.append(event)
        self.model.apply(event)

    def run(self, until: float | None = None):
        self.engine.run(until=until)
        return self.model.snapshot()

    def run_for(self, seconds: float):
        return self.run(until=self.sim.clock.now() + seconds)

    @property
    def ignored(self):
        """Packets and probes that did not become hop results, by reason."""
        return self.engine.ignored


def scenario(*paths: SimPath, changes: tuple[float, ...] = (), **kwargs) -> SimScenario:
    return SimScenario(paths=paths, changes=changes, **kwargs)


def with_link(path: SimPath, hop: int, **link) -> SimPath:
    hops = list(path.hops)
    hops[hop - 1] = replace(hops[hop - 1], link=replace(hops[hop - 1].link, **link))
    return SimPath(tuple(hops))


def with_routers(path: SimPath, hop: int, *routers: SimRouter) -> SimPath:
    hops = list(path.hops)
    hops[hop - 1] = replace(hops[hop - 1], routers=routers)
    return SimPath(tuple(hops))


class Diagnosed:
    """A Run whose every round is diagnosed, as the live screen and reports do it."""

    def __init__(self, run: Run, triage: bool = True, budget=None, alerts: tuple = ()) -> None:
        from tracetui.diagnose import Diagnoser
        from tracetui.diagnose.alerts import parse_rule

        self.run = run
        self.pinged: list[tuple[float, str]] = []
        """(engine clock, address) of every triage ping asked for."""

        def ping(address: str) -> None:
            self.pinged.append((run.sim.clock.now(), address))
            run.engine.request_echo(address)

        rules = tuple(parse_rule(rule) for rule in alerts)
        self.diagnoser = Diagnoser(ping if triage else None, budget, rules)
        self.events: list = []
        self.history: list[dict[int, str]] = []

    def rounds(self, count: int):
        """Advance ``count`` rounds, diagnosing after each; returns the last view."""
        view = None
        for _ in range(count):
            view = self.run.run_for(self.run.settings.interval)
            diagnosis = self.diagnoser.update(view)
            view = view._replace(diagnosis=diagnosis)
            self.events += self.diagnoser.new_events
            self.history.append({ttl: v.verdict.value for ttl, v in diagnosis.verdicts.items()})
        return view

    def verdicts(self, view) -> dict[int, str]:
        return {ttl: v.verdict.value for ttl, v in view.diagnosis.verdicts.items()}
