"""The accuracy benchmark's world: simulated paths, each with the diagnosis it must get.

A condition is a network (a scenario on virtual time), how it is probed, and
its ground truth, written down before any rule was tuned to it:

- ``phases``: spans of time and, for each hop, the verdicts it may show in
  that span (``pending`` aside) and must show by the span's end;
- ``events``: how many of each kind the run may log (none of a kind not
  named), and optionally when;
- checks every condition gets: ``ok`` is never shown beside loss the numbers
  show, the summary never calls lossy numbers "no loss worth mentioning",
  the destination is never ``rate-limited`` without a ping answered, a
  sentence never says a hop "reaches" itself, and a clean condition shows
  nothing but ``ok`` once settled.

:class:`Trial` plays one condition with one seed the way the live screen
does (a snapshot and a diagnosis every round, the window applied, triage
pings sent), then the way a report ends (``final=True``), and :func:`judge`
says what went wrong. ``bench/accuracy.py`` runs the matrix; the tests run
some of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simpaths import chain, router

from tracetui.diagnose import Diagnoser
from tracetui.path.diagnosis import Diagnosis
from tracetui.path.model import PathModel
from tracetui.path.snapshot import HISTORY_ROUNDS, PathView, TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.sim import (
    LINUX_LIMIT,
    Bursts,
    IcmpLimit,
    SimBranches,
    SimHop,
    SimNetwork,
    SimPath,
    SimScenario,
)
from tracetui.probe.sim.timeline import Timeline, insert, link, routers
from tracetui.probe.sim.timeline import router as router_change
from tracetui.probe.types import Family, ProbeMethod

EPOCH = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
OK = frozenset({"ok"})
ORIGIN = frozenset({"loss-origin"})
CARRIED = frozenset({"loss-carried"})
LIMITED = frozenset({"rate-limited"})
SILENT = frozenset({"silent"})
NO_REPLY = frozenset({"no-reply"})
UNREACHABLE = frozenset({"unreachable"})
LOSSY = frozenset({"loss-origin", "loss-carried"})
SHOWN_LOSS_LIMIT = 0.05
"""A hop shown ``ok`` must not show this share lost (or more) in the numbers beside it."""


@dataclass(frozen=True)
class Phase:
    """Between ``start`` and ``end`` seconds: what each hop may show (besides ``pending``)
    once ``grace`` seconds have passed, and must show at ``end`` (hops not named: ``ok``)."""

    start: float
    end: float
    expect: Mapping[int, frozenset[str]]
    grace: float = 30.0

    def accepted(self, ttl: int) -> frozenset[str]:
        return self.expect.get(ttl, OK)


@dataclass(frozen=True)
class Condition:
    name: str
    group: str
    """clean, loss, rate-limit, refusal, change, window or short."""
    scenario: SimScenario
    seconds: float
    phases: tuple[Phase, ...]
    events: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Kind: (fewest, most) allowed; kinds not named must not be logged."""
    event_times: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Kind: the span (seconds) every event of that kind must fall in."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    family: Family = Family.V4
    window: float | None = None
    commands: tuple[tuple[float, str], ...] = ()
    """(seconds, "reset" or a method name) the user gives during the run."""
    clean: bool = False
    """Nothing but ``ok`` (and no-reply/silent where expected) once settled: no pending."""
    hops: int = 0
    """How many TTLs the path has (the last is the destination)."""
    looks: float | None = None
    """Seconds between two diagnoses (a report's once a second); None: every round, as the
    live screen looks at a path probed no faster than its frames."""

    @property
    def interval(self) -> float:
        return float(self.settings.get("interval", 1.0))


@dataclass
class RoundRecord:
    at: float
    verdicts: dict[int, str]
    shown: dict[int, tuple[int, int]]
    """(lost, completed) beside each verdict: the window's, or the whole run's."""
    summary: tuple[str, ...]
    pinged_dest: int
    """Pings the destination answered."""
    whole_run_shown: bool


@dataclass
class TrialRecord:
    condition: Condition
    seed: int
    rounds: list[RoundRecord]
    events: list[tuple[float, str, int | None, str]]
    final: dict[int, str]
    """The verdicts a report would print at the end (no hysteresis)."""
    final_summary: tuple[str, ...]


class Trial:
    """One condition, one seed: the engine, the model and the diagnosis on virtual time."""

    def __init__(self, condition: Condition, seed: int) -> None:
        self.condition = condition
        self.seed = seed
        self.sim = SimNetwork(condition.scenario, condition.family, seed=seed)
        settings = ProbeSettings(**{"interval": 1.0, "timeout": 2.0, **condition.settings})
        self.settings = settings
        info = TraceInfo(
            condition.name,
            self.sim.target,
            self.sim.client,
            condition.family,
            settings.first_ttl,
            settings.max_ttl,
            settings.interval,
            settings.timeout,
            settings.size,
            settings.port,
            settings.count,
        )
        clock = self.sim.clock
        self.start = clock.now()
        start = self.start
        self.model = PathModel(
            info, settings.method, lambda: EPOCH + timedelta(seconds=clock.now() - start)
        )
        self.engine = Engine(self.sim, clock, settings, self.model.apply)
        self.diagnoser = Diagnoser(self.engine.request_echo)

    def _view(self) -> tuple[PathView, Diagnosis]:
        view = self.model.snapshot(window=self.condition.window)
        return view, self.diagnoser.update(view)

    def play(self) -> TrialRecord:
        condition = self.condition
        interval = self.settings.interval
        total = round(condition.seconds / interval)
        if self.settings.count is not None:
            total = min(total, self.settings.count)
        commands = sorted(condition.commands)
        records: list[RoundRecord] = []
        events: list[tuple[float, str, int | None, str]] = []
        for index in range(1, total + 1):
            at = index * interval
            while commands and commands[0][0] <= at - interval:
                _when, command = commands.pop(0)
                if command == "reset":
                    self.engine.request_reset()
                else:
                    self.engine.request_method(ProbeMethod(command))
            self.engine.run(until=self.start + at)
            if condition.looks is not None and index < total:
                looks = condition.looks
                if int(at / looks + 1e-9) == int((at - interval) / looks + 1e-9):
                    continue
            view, diagnosis = self._view()
            records.append(self._record(at, view, diagnosis))
            for event in self.diagnoser.new_events:
                seconds = (event.at - EPOCH).total_seconds()
                events.append((seconds, event.kind, event.ttl, event.message))
        if self.settings.count is not None:
            self.engine.run()  # a report waits for its last round's probes
        view = self.model.snapshot(window=condition.window)
        final = self.diagnoser.update(view, final=True)
        verdicts = {ttl: v.verdict.value for ttl, v in final.verdicts.items()}
        return TrialRecord(condition, self.seed, records, events, verdicts, final.summary)

    def _record(self, at: float, view: PathView, diagnosis: Diagnosis) -> RoundRecord:
        dest = view.info.target
        destination = next((h for h in view.hops if h.is_destination), None)
        address = destination.primary.address if destination and destination.primary else dest
        echo = view.echoes.get(address) or view.echoes.get(dest)
        return RoundRecord(
            at=at,
            verdicts={ttl: v.verdict.value for ttl, v in diagnosis.verdicts.items()},
            shown={h.ttl: (h.lost, h.completed) for h in view.hops if h.on_path},
            summary=diagnosis.summary,
            pinged_dest=echo.received if echo else 0,
            whole_run_shown=view.window is None and view.rounds <= HISTORY_ROUNDS,
        )


def judge(record: TrialRecord) -> list[str]:
    """What the diagnosis got wrong in this run (empty: right)."""
    condition = record.condition
    wrong: list[str] = []
    for phase in condition.phases:
        wrong += _phase(record, phase)
    wrong += _consistency(record)
    wrong += _events(record)
    last = condition.phases[-1]
    for ttl in range(1, _hops(record) + 1):
        got = record.final.get(ttl)
        if got not in last.accepted(ttl):
            wrong.append(f"report: hop {ttl} {got}, not {'/'.join(sorted(last.accepted(ttl)))}")
    return wrong


def _hops(record: TrialRecord) -> int:
    """The condition's path length, or (0: it depends on the flow) the one the run found."""
    return record.condition.hops or max(record.final, default=0)


def _present(r: RoundRecord, hops: int) -> range:
    """TTLs to judge in one round: the path's, as far as it reaches then (it may change)."""
    return range(1, min(hops, max(r.verdicts, default=0)) + 1)


def _phase(record: TrialRecord, phase: Phase) -> list[str]:
    condition = record.condition
    wrong: list[str] = []
    inside = [r for r in record.rounds if phase.start < r.at <= phase.end]
    if not inside:
        return wrong
    hops = _hops(record)
    steady_from = phase.start + phase.grace
    for r in inside:
        if r.at < steady_from:
            continue
        for ttl in _present(r, hops):
            got = r.verdicts.get(ttl, "pending")
            allowed = phase.accepted(ttl)
            # pending is not knowing yet: always allowed, on a clean path only beside a loss
            # the numbers show (a probe delayed past its timeout by a heavy tail is one)
            if got == "pending" and (not condition.clean or r.shown.get(ttl, (0, 0))[0]):
                continue
            if got not in allowed:
                wrong.append(f"{r.at:.0f}s: hop {ttl} {got}, not {'/'.join(sorted(allowed))}")
                return wrong  # one is enough to say the run is wrong
    end = inside[-1]
    for ttl in _present(end, hops):
        got = end.verdicts.get(ttl, "pending")
        if got not in phase.accepted(ttl):
            wrong.append(
                f"by {end.at:.0f}s: hop {ttl} {got}, not {'/'.join(sorted(phase.accepted(ttl)))}"
            )
    return wrong


def _consistency(record: TrialRecord) -> list[str]:
    wrong: list[str] = []
    for r in record.rounds:
        comparable = r.whole_run_shown or record.condition.window is not None
        for ttl, verdict in r.verdicts.items():
            lost, completed = r.shown.get(ttl, (0, 0))
            if (
                comparable
                and verdict == "ok"
                and lost
                and completed
                and lost / completed >= SHOWN_LOSS_LIMIT
            ):
                wrong.append(f"{r.at:.0f}s: hop {ttl} ok beside {lost} of {completed} lost")
            if verdict == "loss-origin" and comparable and completed >= 10 and not lost:
                wrong.append(f"{r.at:.0f}s: hop {ttl} loss-origin beside no loss")
        text = " ".join(r.summary)
        dest = max(r.shown) if r.shown else None
        if comparable and dest is not None and "no loss worth mentioning" in text:
            lost, completed = r.shown[dest]
            if lost and completed and lost / completed >= SHOWN_LOSS_LIMIT:
                wrong.append(f"{r.at:.0f}s: 'no loss worth mentioning' beside {lost}/{completed}")
        if "The destination limits its ICMP replies" in text and not r.pinged_dest:
            wrong.append(f"{r.at:.0f}s: destination rate-limited without a ping answered")
        for sentence in r.summary:
            words = sentence.split()
            if "reaches" in words:
                before, after = sentence.split(" reaches ", 1)
                if before.split(" at ")[-1].split(" (")[0] == after.split(",")[0].split(" (")[0]:
                    wrong.append(f"{r.at:.0f}s: {sentence!r}")
        if wrong:
            return wrong[:1]
    return wrong


def _events(record: TrialRecord) -> list[str]:
    condition = record.condition
    wrong: list[str] = []
    counts: dict[str, int] = {}
    for at, kind, _ttl, message in record.events:
        counts[kind] = counts.get(kind, 0) + 1
        span = condition.event_times.get(kind)
        if span is not None and not span[0] <= at <= span[1]:
            wrong.append(f"{kind} at {at:.0f}s, not within {span[0]:.0f}-{span[1]:.0f}s: {message}")
    for kind, count in sorted(counts.items()):
        low, high = condition.events.get(kind, (0, 0))
        if not low <= count <= high:
            wrong.append(f"{count} {kind} events (expected {low}-{high})")
    for kind, (low, _high) in condition.events.items():
        if low and kind not in counts:
            wrong.append(f"no {kind} event (expected at least {low})")
    return wrong


# ------------------------------------------------------------------ building the matrix


def line(hops: int, delay_ms: float = 1.0) -> SimPath:
    return chain(hops, delay_ms=delay_ms)


def edit(path: SimPath, *changes: Callable[[SimPath], SimPath]) -> SimPath:
    for change in changes:
        path = change(path)
    return path


def steady(
    name: str,
    group: str,
    path: SimPath | SimScenario,
    expect: Mapping[int, frozenset[str]] | None = None,
    seconds: float = 300.0,
    grace: float = 30.0,
    hops: int | None = None,
    **options: Any,
) -> Condition:
    """A network that does not change: one phase, the expectations from ``grace`` on."""
    scenario = path if isinstance(path, SimScenario) else SimScenario(paths=(path,))
    count = hops if hops is not None else len(scenario.paths[0].hops)
    phases = (Phase(0.0, seconds, expect or {}, grace),)
    clean = options.pop("clean", group == "clean")
    if "events" not in options:
        # a lossy path starts one loss episode (a short run may end before it shows)
        lossy = any("loss-origin" in accepted for accepted in (expect or {}).values())
        options["events"] = {"loss-start": (0 if group == "short" else 1, 1)} if lossy else {}
    return Condition(name, group, scenario, seconds, phases, clean=clean, hops=count, **options)


def origin_at(hop: int, hops: int, **more: frozenset[str]) -> dict[int, frozenset[str]]:
    """Loss from ``hop`` on: it is the origin and every later hop carries it."""
    out = {ttl: CARRIED for ttl in range(hop + 1, hops + 1)}
    out[hop] = ORIGIN
    for key, value in more.items():
        out[int(key.removeprefix("hop"))] = value
    return out


def _branchy(hops: int, at: int, branches: tuple[tuple[SimHop, ...], ...]) -> SimPath:
    base = line(hops)
    elements: list[SimHop | SimBranches] = list(base.hops)
    elements[at - 1] = SimBranches(branches)
    return SimPath(tuple(elements))


def _limited(path: SimPath, *hops: int, limit: IcmpLimit = LINUX_LIMIT) -> SimPath:
    return edit(path, *(router_change(hop, limit=limit) for hop in hops))


def _silent_target(path: SimPath) -> SimPath:
    return edit(path, router_change(len(path.hops), silent=True))


def conditions() -> list[Condition]:
    out: list[Condition] = []
    add = out.append
    udp = {"method": ProbeMethod.UDP}
    tcp = {"method": ProbeMethod.TCP}

    # ---------------------------------------------------------------- clean
    for hops in (5, 15, 30):
        add(
            steady(
                f"clean {hops} hops",
                "clean",
                line(hops, 0.5),
                seconds=1000,
                grace=10,
                settings={"max_ttl": 40},
            )
        )
    wifi = edit(line(8), link(1, delay_ms=2.0, jitter_ms=10.0))
    add(steady("Wi-Fi access link, 10 ms jitter", "clean", wifi, seconds=1000, grace=10))
    tail = edit(line(8), link(1, jitter_ms=5.0, jitter_tail=1.5))
    add(steady("heavy-tailed jitter on the access link", "clean", tail, seconds=1000, grace=10))
    tail_mid = edit(line(10), link(4, delay_ms=5.0, jitter_ms=10.0, jitter_tail=1.3))
    add(steady("heavy-tailed jitter mid-path", "clean", tail_mid, seconds=1000, grace=10))
    everywhere = _limited(line(8), *range(1, 9))
    add(
        steady("Linux ICMP limit on every router, -i 1", "clean", everywhere, seconds=600, grace=10)
    )
    add(
        steady(
            "Linux ICMP limit everywhere, UDP, -i 1",
            "clean",
            everywhere,
            seconds=600,
            grace=10,
            settings=udp,
        )
    )
    ecmp2 = edit(line(8), routers(4, router(4, 1), router(4, 2)))
    add(steady("2-way ECMP, fixed flow", "clean", ecmp2, seconds=600, grace=10))
    ecmp3 = edit(line(8), routers(4, router(4, 1), router(4, 2), router(4, 3)))
    add(
        steady(
            "3-way ECMP, UDP varying ports",
            "clean",
            ecmp3,
            seconds=600,
            grace=10,
            settings={**udp, "vary_ports": True},
        )
    )
    unequal = _branchy(
        7,
        3,
        (
            (SimHop((router(30),)), SimHop((router(31),))),
            (SimHop((router(40),)), SimHop((router(41),)), SimHop((router(42),))),
        ),
    )
    add(steady("unequal branches, fixed flow", "clean", unequal, seconds=600, grace=10, hops=0))
    add(steady("clean TCP", "clean", line(8), seconds=300, grace=10, settings=tcp))
    add(steady("clean IPv6", "clean", line(8), seconds=300, grace=10, family=Family.V6))
    slow = edit(line(8), router_change(3, processing_ms=25.0))
    add(steady("slow control plane at hop 3", "clean", slow, seconds=600, grace=10))
    per_packet = _branchy(8, 4, ((SimHop((router(4, 1),)),), (SimHop((router(4, 2),)),)))
    per_packet = SimPath(
        tuple(
            replace(h, per_packet=True) if isinstance(h, SimBranches) else h
            for h in per_packet.hops
        )
    )
    add(steady("per-packet balancing at hop 4", "clean", per_packet, seconds=600, grace=10))
    add(
        steady(
            "silent router",
            "clean",
            edit(line(8), router_change(3, silent=True)),
            {3: SILENT},
            seconds=300,
            grace=10,
        )
    )
    add(
        steady(
            "firewalled target",
            "clean",
            _silent_target(line(8)),
            {8: NO_REPLY},
            seconds=300,
            grace=10,
        )
    )

    # ---------------------------------------------------------------- loss
    for share in (0.02, 0.05, 0.10, 0.20):
        seconds = 900 if share < 0.05 else 400
        add(
            steady(
                f"{share:.0%} loss on the first link",
                "loss",
                edit(line(8), link(1, loss=share, loss_back=0.0)),
                origin_at(1, 8),
                seconds=seconds,
                grace=seconds - 100,
            )
        )
        add(
            steady(
                f"{share:.0%} loss mid-path",
                "loss",
                edit(line(8), link(4, loss=share, loss_back=0.0)),
                origin_at(4, 8),
                seconds=seconds,
                grace=seconds - 100,
            )
        )
    for share in (0.05, 0.10):
        add(
            steady(
                f"{share:.0%} loss on the last link",
                "loss",
                edit(line(8), link(8, loss=share, loss_back=0.0)),
                {8: ORIGIN},
                seconds=400,
                grace=300,
            )
        )
    add(
        steady(
            "5% loss on the way back only",
            "loss",
            edit(line(8), link(4, loss_back=0.05)),
            origin_at(4, 8),
            seconds=400,
            grace=300,
        )
    )
    add(
        steady(
            "10% loss mid-path, IPv6",
            "loss",
            edit(line(8), link(4, loss=0.1, loss_back=0.0)),
            origin_at(4, 8),
            seconds=400,
            grace=300,
            family=Family.V6,
        )
    )
    for label, method in (("UDP", udp), ("TCP", tcp)):
        add(
            steady(
                f"10% loss mid-path, {label}",
                "loss",
                edit(line(8), link(4, loss=0.1, loss_back=0.0)),
                origin_at(4, 8),
                seconds=400,
                grace=300,
                settings=method,
            )
        )
    two = edit(line(9), link(3, loss=0.03, loss_back=0.0), link(6, loss=0.12, loss_back=0.0))
    add(
        steady(
            "two lossy links (3% then 12%)",
            "loss",
            two,
            origin_at(3, 9, hop6=ORIGIN),
            seconds=900,
            grace=800,
        )
    )
    bursty = edit(
        line(8), link(4, bursts=Bursts(good_s=19.0, bad_s=1.0), bursts_back=Bursts(1e9, 1e-9, 0.0))
    )
    add(
        steady(
            "bursty loss mid-path (5% in 1 s bursts)",
            "loss",
            bursty,
            origin_at(4, 8),
            seconds=900,
            grace=800,
        )
    )
    wifi_bursts = edit(
        line(8),
        link(
            1,
            delay_ms=2.0,
            jitter_ms=5.0,
            bursts=Bursts(good_s=9.5, bad_s=0.5),
            bursts_back=Bursts(1e9, 1e-9, 0.0),
        ),
    )
    add(
        steady(
            "bursty loss on a Wi-Fi access link",
            "loss",
            wifi_bursts,
            origin_at(1, 8),
            seconds=900,
            grace=800,
        )
    )
    limiter_first = edit(_limited(line(8), 2), link(5, loss=0.05, loss_back=0.0))
    add(
        steady(
            "rate limit at hop 2, then 5% loss into hop 5",
            "loss",
            limiter_first,
            origin_at(5, 8, hop2=LIMITED),
            seconds=600,
            grace=500,
            settings={"interval": 0.2, "timeout": 1.0},
        )
    )
    limiter_after = edit(
        line(8), link(2, loss=0.05, loss_back=0.0), router_change(5, reply_loss=0.4)
    )
    add(
        steady(
            "5% loss into hop 2, a router limiting at hop 5",
            "loss",
            limiter_after,
            origin_at(2, 8, hop5=LIMITED),
            seconds=600,
            grace=500,
        )
    )
    firewalled = _silent_target(edit(line(9), link(3, loss=0.06, loss_back=0.0)))
    add(
        steady(
            "5% loss before a firewalled target",
            "loss",
            firewalled,
            {**origin_at(3, 8), 9: NO_REPLY},
            seconds=600,
            grace=500,
        )
    )
    from tracetui.run.demo import demo_scenario

    demo_dark = demo_scenario().paths[0]
    demo_dark = _silent_target(demo_dark)
    add(
        steady(
            "the demo path with a firewalled target",
            "loss",
            SimScenario(paths=(demo_dark,), foreign_per_second=0.5),
            {3: ORIGIN, 4: CARRIED, 5: SILENT, 6: CARRIED, 7: CARRIED, 8: LIMITED, 9: NO_REPLY},
            seconds=600,
            grace=300,
        )
    )
    add(
        steady(
            "the demo path",
            "loss",
            demo_scenario(),
            {3: ORIGIN, 4: CARRIED, 5: SILENT, 6: CARRIED, 7: CARRIED, 8: LIMITED, 9: CARRIED},
            seconds=600,
            grace=300,
        )
    )
    loss_ecmp = edit(
        line(8), link(1, loss=0.1, loss_back=0.0), routers(5, router(5, 1), router(5, 2))
    )
    add(
        steady(
            "10% loss on the first link, ECMP later",
            "loss",
            loss_ecmp,
            origin_at(1, 8),
            seconds=400,
            grace=300,
        )
    )
    real_last = edit(line(6), link(6, loss=0.05, loss_back=0.0))
    add(
        steady(
            "5% loss into the target, UDP",
            "loss",
            real_last,
            {6: ORIGIN},
            seconds=600,
            grace=500,
            settings=udp,
        )
    )

    # ---------------------------------------------------------------- rate limits
    add(
        steady(
            "a router dropping 30% of its ICMP",
            "rate-limit",
            edit(line(8), router_change(3, reply_loss=0.3)),
            {3: LIMITED},
            seconds=300,
            grace=200,
        )
    )
    fast = {"interval": 0.2, "timeout": 1.0}
    add(
        steady(
            "Linux limit at hop 3, -i 0.2",
            "rate-limit",
            _limited(line(8), 3),
            {3: LIMITED},
            seconds=300,
            grace=200,
            settings=fast,
        )
    )
    add(
        steady(
            "Linux limit on every router, -i 0.1",
            "rate-limit",
            _limited(line(6), 1, 2, 3, 4, 5),
            {t: LIMITED for t in range(1, 6)},
            seconds=200,
            grace=150,
            settings={"interval": 0.1, "timeout": 1.0},
        )
    )
    # the lab's case (tests/test_lab_limits.py): Linux's limit on every router, loss on the
    # link into hop 3 towards the target only
    for loss in (0.05, 0.2):
        for interval in (0.1, 1.0):
            seconds = 600 if loss < 0.1 else 300
            add(
                steady(
                    f"Linux limit on every router, {loss:.0%} into hop 3, -i {interval:g}",
                    "rate-limit",
                    edit(_limited(line(5), 1, 2, 3, 4), link(3, loss=loss, loss_back=0.0)),
                    {1: OK | LIMITED, 2: OK | LIMITED, 3: ORIGIN, 4: CARRIED | LIMITED, 5: CARRIED},
                    seconds=seconds,
                    grace=seconds - 100,
                    settings={"interval": interval, "timeout": 1.0},
                    looks=1.0 if interval < 1.0 else None,  # as the lab's reports
                )
            )
    add(
        steady(
            "Linux limit everywhere, UDP, -i 0.25",
            "rate-limit",
            _limited(line(6), *range(1, 7)),
            {t: LIMITED for t in range(1, 7)},
            seconds=300,
            grace=250,
            settings={**udp, "interval": 0.25, "timeout": 1.0},
        )
    )
    add(
        steady(
            "control-plane policing limits pings too, -i 0.5",
            "rate-limit",
            _limited(line(8), 4, limit=IcmpLimit(echo=True)),
            {4: LIMITED},
            seconds=400,
            grace=300,
            settings={"interval": 0.5, "timeout": 1.0},
        )
    )
    add(
        steady(
            "the first router limits, -i 0.2",
            "rate-limit",
            _limited(line(8), 1),
            {1: LIMITED},
            seconds=300,
            grace=200,
            settings=fast,
        )
    )
    dest_udp = _limited(line(6), 6)
    add(
        steady(
            "the target limits its port unreachables, UDP -i 0.2",
            "rate-limit",
            dest_udp,
            {6: LIMITED},
            seconds=300,
            grace=200,
            settings={**udp, **fast},
        )
    )
    add(
        steady(
            "the target drops 20% of its port unreachables",
            "rate-limit",
            edit(line(6), router_change(6, reply_loss=0.2)),
            {6: LIMITED},
            seconds=600,
            grace=500,
            settings=udp,
        )
    )
    refusing = _limited(edit(line(8), router_change(4, rejects="admin")), 4)
    add(
        steady(
            "a refusing router that limits its unreachables, -i 0.5",
            "rate-limit",
            refusing,
            {4: LIMITED, 5: UNREACHABLE},
            seconds=300,
            grace=200,
            hops=5,
            settings={"interval": 0.5, "timeout": 1.0},
        )
    )
    last_router = _silent_target(_limited(line(8), 7))
    add(
        steady(
            "the last router before a firewalled target limits, -i 0.2",
            "rate-limit",
            last_router,
            {7: LIMITED, 8: NO_REPLY},
            seconds=300,
            grace=200,
            settings=fast,
        )
    )
    busy = IcmpLimit(interval_ms=0, host_per_sec=10.0, host_burst=5, busy_per_sec=9.0)
    add(
        steady(
            "a busy router's ICMP budget, -i 0.2",
            "rate-limit",
            _limited(line(8), 3, limit=busy),
            {3: LIMITED},
            seconds=300,
            grace=200,
            settings=fast,
        )
    )

    # ---------------------------------------------------------------- refusals
    for method in (ProbeMethod.UDP, ProbeMethod.ICMP, ProbeMethod.TCP):
        add(
            steady(
                f"iptables REJECT (port unreachable) at hop 4, {method.upper()}",
                "refusal",
                edit(line(8), router_change(4, rejects="port")),
                {5: UNREACHABLE},
                seconds=120,
                grace=10,
                hops=5,
                settings={"method": method},
            )
        )
    other = edit(line(6), router_change(6, answers_from=("198.18.60.1", "2001:db8:60::1")))
    for method in ProbeMethod:
        add(
            steady(
                f"the target answers from another address, {method.upper()}",
                "refusal",
                other,
                seconds=120,
                grace=10,
                settings={"method": method},
                clean=True,
            )
        )
    add(
        steady(
            "admin prohibited at hop 3",
            "refusal",
            edit(line(8), router_change(3, rejects="admin")),
            {4: UNREACHABLE},
            seconds=120,
            grace=10,
            hops=4,
        )
    )
    small = edit(line(6), link(3, mtu=1280))
    add(
        steady(
            "a 1280-byte link, 1400-byte probes",
            "refusal",
            small,
            {3: UNREACHABLE},
            seconds=120,
            grace=10,
            hops=3,
            settings={"size": 1400},
        )
    )

    # ---------------------------------------------------------------- change over time
    def timed(name, timeline, seconds, phases, events, event_times=None, **options):
        return Condition(
            name,
            "change",
            timeline.scenario(),
            seconds,
            tuple(phases),
            events=events,
            event_times=event_times or {},
            hops=options.pop("hops", 8),
            **options,
        )

    episode = Timeline(line(8)).between(120, 420, link(4, loss=0.1, loss_back=0.0))
    add(
        timed(
            "a loss episode (10%, 5 minutes)",
            episode,
            900,
            [
                Phase(0, 120, {}, 10),
                Phase(120, 420, origin_at(4, 8), 150),
                Phase(420, 900, {}, 120),
            ],
            {"loss-start": (1, 1), "loss-end": (1, 1)},
            {"loss-start": (120, 270), "loss-end": (420, 540)},
        )
    )
    add(
        timed(
            "a loss episode with a 60 s window",
            episode,
            900,
            [Phase(0, 120, {}, 10), Phase(120, 420, origin_at(4, 8), 150), Phase(420, 900, {}, 90)],
            {"loss-start": (1, 1), "loss-end": (1, 1)},
            {"loss-start": (120, 270), "loss-end": (420, 510)},
            window=60.0,
        )
    )
    step = Timeline(line(8)).at(300, link(4, delay_ms=21.0))
    add(
        timed(
            "a latency step (+40 ms RTT at hop 4)",
            step,
            900,
            [Phase(0, 900, {}, 10)],
            {"latency-step": (1, 1)},
            {"latency-step": (300, 360)},
            clean=True,
        )
    )
    back = Timeline(line(8)).between(300, 600, link(4, delay_ms=11.0))
    add(
        timed(
            "a latency step and back",
            back,
            900,
            [Phase(0, 900, {}, 10)],
            {"latency-step": (2, 2)},
            {"latency-step": (300, 660)},
            clean=True,
        )
    )
    wifi_step = Timeline(wifi).at(500, link(5, delay_ms=16.0))
    add(
        timed(
            "a latency step behind a Wi-Fi link",
            wifi_step,
            1000,
            [Phase(0, 1000, {}, 10)],
            {"latency-step": (1, 1)},
            {"latency-step": (500, 600)},
            clean=True,
        )
    )
    drift = Timeline(line(8)).drift(200, 800, lambda f: link(4, delay_ms=1.0 + 15.0 * f), step=5)
    add(
        timed(
            "latency drifting up 30 ms over 10 minutes",
            drift,
            1000,
            [Phase(0, 1000, {}, 10)],
            {"latency-step": (1, 4)},
            {"latency-step": (200, 1000)},
            clean=True,
        )
    )
    slow_step = Timeline(line(8)).at(300, router_change(5, processing_ms=40.0))
    add(
        timed(
            "one router's control plane slows down",
            slow_step,
            900,
            [Phase(0, 900, {}, 10)],
            {},
            clean=True,
        )
    )
    change = Timeline(line(8)).at(300, routers(4, router(44)))
    add(
        timed(
            "a route change at hop 4",
            change,
            900,
            [Phase(0, 900, {}, 10)],
            {"responder-new": (1, 1), "responder-gone": (1, 1)},
            {"responder-new": (300, 330), "responder-gone": (300, 330)},
            clean=True,
        )
    )
    there_and_back = Timeline(line(8)).between(300, 600, routers(4, router(44)))
    add(
        timed(
            "a route change and back",
            there_and_back,
            900,
            [Phase(0, 900, {}, 10)],
            {"responder-new": (1, 1), "responder-gone": (2, 2), "responder-back": (1, 1)},
            {"responder-back": (600, 630)},
            clean=True,
        )
    )
    flap = Timeline(line(8)).flap(300, 420, 5, routers(4, router(44)))
    add(
        timed(
            "a route flapping every 5 s for 2 minutes",
            flap,
            900,
            [Phase(0, 900, {}, 10)],
            {"route-flap": (1, 1), "responder-new": (0, 1), "responder-gone": (0, 1)},
            {"route-flap": (300, 360)},
            clean=True,
        )
    )
    longer = Timeline(line(8)).at(300, insert(5, SimHop((router(55),))))
    add(
        timed(
            "the path gets a hop longer",
            longer,
            900,
            [Phase(0, 300, {}, 10), Phase(300, 900, {}, 30)],
            {"path-longer": (1, 1), "responder-new": (0, 1)},
            {"path-longer": (300, 330)},
            hops=9,
            clean=True,
        )
    )
    shorter = Timeline(line(9)).at(300, lambda p: SimPath(p.hops[:4] + p.hops[5:]))
    add(
        timed(
            "the path gets a hop shorter",
            shorter,
            900,
            [Phase(0, 300, {}, 10), Phase(300, 900, {}, 30)],
            {"path-shorter": (1, 1), "responder-gone": (0, 1)},
            {"path-shorter": (300, 330)},
            clean=True,
        )
    )
    constant = Timeline(edit(line(8), link(3, loss=0.02, loss_back=0.0)))
    add(
        timed(
            "constant 2% loss for 1000 rounds",
            constant,
            1000,
            [Phase(0, 1000, origin_at(3, 8), 900)],
            {"loss-start": (1, 1)},
        )
    )
    burst_steady = Timeline(bursty)
    add(
        timed(
            "steady bursty loss for 1000 rounds",
            burst_steady,
            1000,
            [Phase(0, 1000, origin_at(4, 8), 900)],
            {"loss-start": (1, 1)},
        )
    )
    limiting = Timeline(edit(line(6), router_change(6, reply_loss=0.4)))
    add(
        timed(
            "a target dropping 40% of its replies",
            limiting,
            1000,
            [Phase(0, 1000, {6: LIMITED}, 600)],
            {},
            hops=6,
            settings=udp,
        )
    )
    dark = Timeline(line(8)).between(300, 400, router_change(8, silent=True))
    add(
        timed(
            "the destination goes dark for 100 s",
            dark,
            900,
            [Phase(0, 300, {}, 10), Phase(400, 900, {}, 30)],
            {"destination-lost": (1, 1), "destination-back": (1, 1)},
            {"destination-lost": (300, 330), "destination-back": (400, 430)},
        )
    )
    lossy = Timeline(edit(line(8), link(3, loss=0.1, loss_back=0.0)))
    add(
        timed(
            "a reset during loss",
            lossy,
            900,
            [Phase(0, 900, origin_at(3, 8), 500)],
            {"loss-start": (1, 1), "reset": (1, 1)},
            {"reset": (300, 302)},
            commands=((300.0, "reset"),),
        )
    )
    add(
        timed(
            "a method switch during loss",
            lossy,
            900,
            [Phase(0, 900, origin_at(3, 8), 500)],
            {"loss-start": (1, 1), "method-switch": (1, 1)},
            {"method-switch": (300, 302)},
            commands=((300.0, "udp"),),
        )
    )

    # ---------------------------------------------------------------- short runs
    short = {"count": 10}
    add(steady("-c 10, clean", "short", line(8), seconds=10, grace=10, settings=short, clean=True))
    for share, hop in ((0.2, 1), (0.3, 3)):
        lossy_short = edit(line(8), link(hop, loss=share, loss_back=0.0))
        expect = {t: frozenset({"pending", "loss-origin", "loss-carried"}) for t in range(hop, 9)}
        add(
            steady(
                f"-c 10, {share:.0%} loss into hop {hop}",
                "short",
                lossy_short,
                expect,
                seconds=10,
                grace=10,
                settings=short,
            )
        )
    first_minute = demo_scenario()
    expect = {
        3: frozenset({"pending", "loss-origin"}),
        5: SILENT,
        8: frozenset({"pending", "rate-limited"}),
    }
    for ttl in (4, 6, 7, 9):
        expect[ttl] = frozenset({"pending", "loss-carried"})
    add(steady("the demo's first minute", "short", first_minute, expect, seconds=60, grace=60))
    lab = edit(_limited(line(6), 2), link(4, loss=0.04), router_change(5, silent=True))
    add(
        steady(
            "the diagnosis lab's report, -c 500 -i 0.01",
            "short",
            lab,
            {**origin_at(4, 6, hop5=SILENT), 2: LIMITED},
            seconds=5,
            grace=5,
            settings={"interval": 0.01, "timeout": 1.0, "count": 500},
            looks=1.0,
        )
    )
    return out


def by_name(name: str) -> Condition:
    return next(c for c in conditions() if c.name == name)


def rounds_to_verdict(record: TrialRecord) -> dict[int, float]:
    """Seconds until each hop first showed its expected (non-ok) verdict of the first phase."""
    phase = record.condition.phases[0]
    out: dict[int, float] = {}
    for ttl, accepted in phase.expect.items():
        wanted = accepted - {"ok", "pending"}
        if not wanted:
            continue
        first = next((r.at for r in record.rounds if r.verdicts.get(ttl) in wanted), math.inf)
        out[ttl] = first
    return out
