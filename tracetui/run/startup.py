"""Start-up wiring shared by the report and the live screen: sockets, target, engine, model.

Order matters: raw sockets are opened first, privileges dropped at once, and
only then is the target resolved and anything from the network read.
"""

from __future__ import annotations

import importlib
import os
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from tracetui.path.history import TIERS, Tier
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.events import EngineEvent
from tracetui.probe.methods import min_packet_size
from tracetui.probe.network import Clock, MonotonicClock, Transport
from tracetui.probe.privileges import drop_privileges
from tracetui.probe.sockets import (
    OptionError,
    PrivilegeError,
    RawSockets,
    UnprivilegedTransport,
    open_raw_sockets,
    open_transport,
)
from tracetui.probe.types import Family, ProbeMethod
from tracetui.run.target import Target, TargetError, resolve_target
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.diagnose.alerts import AlertRule
    from tracetui.names.service import NameService
    from tracetui.outputs.alert_actions import AlertActions
    from tracetui.outputs.event_log import EventLog
    from tracetui.outputs.json_stream import ProbeStream
    from tracetui.outputs.metrics import MetricsAgent
    from tracetui.probe.hub import RawHub
    from tracetui.recording.notes import RecordingHeader
    from tracetui.recording.recorder import RecordingTransport
    from tracetui.recording.replay import ReplayTransport


class SetupError(Exception):
    """A one-line reason the run cannot start; ``usage`` marks bad input (exit 2)."""

    def __init__(self, message: str, *, usage: bool) -> None:
        super().__init__(message)
        self.usage = usage


def utc_now() -> datetime:
    return datetime.now(UTC)


class Opened(NamedTuple):
    """A target and what probes it: a network, the simulated one, or a recording."""

    target: Target
    transport: Transport
    clock: Clock
    replay: ReplayTransport | None = None
    """When the transport reads a recording."""
    names: NameService | None = None
    """A source that answers names itself: a replay the recorded ones, the demo its table."""


class Session(NamedTuple):
    config: Config
    target: Target
    transport: Transport
    """What the engine sends through: the recorder when recording, else the probing one."""
    clock: Clock
    info: TraceInfo
    model: PathModel
    engine: Engine
    replay: ReplayTransport | None = None
    """The recording being replayed (the same object as ``transport``), typed as such."""
    names: NameService | None = None
    """The source's own names (see Opened.names); None: ask DNS."""
    recording: RecordingTransport | None = None
    """--record's writer (the same object as ``transport``), typed as such."""

    def close(self) -> None:
        self.transport.close()


VIRTUAL_EPOCH = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def _readable_by_anyone(directory: str) -> bool:
    """Whether every directory down to ``directory`` lets others in (the usual install)."""
    path = os.path.abspath(directory)
    while True:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
        if not (mode & stat.S_IROTH and mode & stat.S_IXOTH):
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def preload(modules: Iterable[str]) -> None:
    """Import, while still root, what the run will load later.

    Needed only when the interpreter's own files are not readable by others (a
    Python installed under root's home, for instance): after the privilege drop
    a lazy import would then fail halfway through a run. The entry point says
    which modules its run needs; nothing from the network is read before the drop.
    """
    for module in modules:
        importlib.import_module(module)


LATE_REPLY_WINDOW = 1.0
"""Seconds past its timeout an unprivileged probe's socket stays open, so a late reply is
counted as late rather than never seen."""


def _raw_sockets(config: Config, modules: Iterable[str]) -> dict[Family, RawSockets]:
    """Raw sockets while still root (none without privileges), then root dropped."""
    try:
        raw = open_raw_sockets(config.sockets)
    except OptionError as exc:
        raise SetupError(str(exc), usage=True) from None
    if os.geteuid() == 0 and not _readable_by_anyone(os.path.dirname(os.__file__)):
        preload(modules)
    _drop_privileges(config)
    return raw


def _drop_privileges(config: Config) -> None:
    """Root dropped, then --output tried as the user the file will be written as: a
    report that cannot be saved is said before the first probe, not after the run."""
    drop_privileges()
    if config.output is None:
        return
    import tempfile

    directory = os.path.dirname(config.output) or "."
    try:
        fd, trial = tempfile.mkstemp(dir=directory, prefix=".tracetui-", suffix=".tmp")
    except OSError as exc:
        reason = exc.strerror or exc
        raise SetupError(f"cannot write {config.output}: {reason}", usage=True) from None
    os.close(fd)
    os.unlink(trial)


def log_line(line: str) -> None:
    """One line on stderr, as every message of a run says it (the --headless log too)."""
    print(f"tracetui: {line}", file=sys.stderr, flush=True)


def serve_metrics(config: Config, targets: list[str]) -> MetricsAgent:
    """--metrics for these targets (the agent's ``parts``, in order), after the privilege
    drop; SetupError if it cannot."""
    from tracetui.outputs.metrics import serve_targets

    assert config.metrics is not None
    address, port = config.metrics
    web = None
    if config.web_config is not None:
        from tracetui.outputs.web_config import WebConfig, WebConfigError

        try:
            web = WebConfig(config.web_config, log_line)
        except WebConfigError as exc:
            raise SetupError(str(exc), usage=True) from None
    try:
        return serve_targets(targets, address, port, config.agent, web)
    except OSError as exc:
        message = f"cannot serve metrics on {address}:{port}: {exc.strerror or exc}"
        raise SetupError(message, usage=False) from None


def open_stream(config: Config, metrics: MetricsAgent | None = None) -> ProbeStream:
    """--stream's writer, after the privilege drop (the file is the user's), its drops
    counted in ``metrics`` if served; SetupError if the file cannot be written."""
    from tracetui.outputs.json_stream import ProbeStream

    assert config.stream is not None
    try:
        writer = ProbeStream.open(config.stream)
    except OSError as exc:
        reason = exc.strerror or exc
        raise SetupError(f"cannot write {config.stream}: {reason}", usage=True) from None
    if metrics is not None:
        metrics.stream_dropped = lambda: writer.dropped
    return writer


def open_alert_actions(config: Config) -> AlertActions | None:
    """The run's alert actions (--alert-command, --alert-webhook), shared by its targets;
    None when it has none (alerts then go to the events, --stream and the metrics only)."""
    if config.alert_command is None and config.alert_webhook is None:
        return None
    from tracetui.outputs.alert_actions import AlertActions

    return AlertActions(config.alert_command, config.alert_webhook, config.agent)


def alert_rules(config: Config) -> tuple[AlertRule, ...]:
    """--alert's rules, parsed (the command line checked each already)."""
    if not config.alerts:
        return ()
    from tracetui.diagnose.alerts import parse_rule

    return tuple(parse_rule(rule) for rule in config.alerts)


def open_event_log(config: Config, target: str) -> EventLog:
    """``--events``' file for ``target``, after the privilege drop; SetupError if it cannot
    be written (one message, whatever the mode)."""
    from tracetui.outputs.event_log import EventLog

    assert config.events_file is not None
    try:
        return EventLog(config.events_file, target)
    except OSError as exc:
        reason = exc.strerror or exc
        raise SetupError(f"cannot write {config.events_file}: {reason}", usage=True) from None


def open_transport_for(config: Config, virtual_time: bool, modules: Iterable[str]) -> Opened:
    if config.replay is not None:
        from tracetui.recording.notes import RecordingError
        from tracetui.recording.replay import open_replay

        _drop_privileges(
            config
        )  # a recording is a stranger's file: read it with no rights to spare
        speed = None if config.headless else config.replay_speed
        try:
            replay = open_replay(config.replay, speed)
        except RecordingError as exc:
            raise SetupError(f"cannot replay {config.replay}: {exc}", usage=True) from None
        header = replay.header
        target = Target(header.target_name, header.target, header.family)
        return Opened(target, replay, replay.clock, replay, replay.recorded_names)
    if config.demo:
        _drop_privileges(config)
        return _open_demo(config, config.hosts, virtual_time)[0]
    raw = _raw_sockets(config, modules)
    assert config.host is not None
    try:
        target = resolve_target(config.host, config.family, config.dns_servers)
    except TargetError as exc:
        for sockets in raw.values():
            sockets.close()
        raise SetupError(str(exc), usage=True) from None
    try:
        transport = open_transport(
            target.family,
            target.address,
            config.settings.method,
            raw,
            config.sockets,
            linger=config.settings.timeout + LATE_REPLY_WINDOW,
        )
    except OptionError as exc:
        raise SetupError(str(exc), usage=True) from None
    except PrivilegeError as exc:
        raise SetupError(str(exc), usage=False) from None
    except OSError as exc:
        message = f"cannot probe {target.address}: {exc.strerror or exc}"
        raise SetupError(message, usage=False) from None
    return Opened(target, transport, MonotonicClock())


def _folding(
    model: PathModel, after: Callable[[EngineEvent], None]
) -> Callable[[EngineEvent], None]:
    apply = model.apply

    def sink(event: EngineEvent) -> None:
        apply(event)
        after(event)

    return sink


def close_opened(opened: Iterable[Opened]) -> None:
    for each in opened:
        each.transport.close()


class TargetOpener:
    """Targets' transports over one set of raw sockets per family (see probe/hub.py), or
    each its own unprivileged sockets: now, or later (an agent's reload, a name that
    resolves at last). Raw sockets are opened, and privileges dropped, once, here."""

    def __init__(self, config: Config, modules: Iterable[str], *, switching: bool = True) -> None:
        """``switching``: targets may switch probe methods (the live screen); without, each
        keeps its own method and reserves only its ports (an agent of 10,000 targets)."""
        self._config = config
        self._switching = switching
        self._raw = _raw_sockets(config, modules)
        self._hubs: dict[Family, RawHub] = {}
        self.clock = MonotonicClock()

    def open(self, one: Config) -> Opened:
        """Target ``one.host``: SetupError (usage for a name that does not resolve)."""
        from tracetui.probe.hub import HubTransport, RawHub

        config = self._config
        assert one.host is not None
        try:
            target = resolve_target(one.host, config.family, config.dns_servers)
        except TargetError as exc:
            raise SetupError(f"{one.host}: {exc}", usage=True) from None
        family = target.family
        try:
            if self._raw:
                if family not in self._raw:
                    message = f"IPv{int(family)} is not available on this host"
                    raise SetupError(message, usage=False)
                hub = self._hubs.get(family)
                if hub is None:
                    hub = self._hubs[family] = RawHub(family, self._raw[family])
                    hub.join()  # the opener's own hold: its sockets outlive any one target
                vary_tcp = config.settings.vary_ports
                own = frozenset({one.settings.method})
                transport: Transport = HubTransport(
                    hub,
                    target.address,
                    config.sockets,
                    vary_tcp=vary_tcp,
                    methods=frozenset(ProbeMethod) if self._switching else own,
                )
            else:
                transport = open_transport(
                    family,
                    target.address,
                    one.settings.method,
                    {},
                    config.sockets,
                    linger=config.settings.timeout + LATE_REPLY_WINDOW,
                )
        except (OptionError, PrivilegeError) as exc:
            raise SetupError(str(exc), usage=isinstance(exc, OptionError)) from None
        except OSError as exc:
            raise SetupError(f"cannot probe: {exc.strerror or exc}", usage=False) from None
        return Opened(target, transport, self.clock)

    def close(self) -> None:
        """Give up the raw sockets once every target that uses them has closed."""
        for family, sockets in self._raw.items():
            hub = self._hubs.pop(family, None)
            if hub is None:
                sockets.close()
            else:
                hub.leave()
        self._raw = {}


def open_targets(config: Config, modules: Iterable[str], *, switching: bool = True) -> list[Opened]:
    """Every target of ``config.hosts``, each with a transport of its own (TargetOpener;
    ``switching`` as there).

    As for one target: raw sockets first, privileges dropped, then names resolved.
    """
    if config.demo:
        _drop_privileges(config)
        return _open_demo(config, config.hosts, virtual_time=False)
    opener = TargetOpener(config, modules, switching=switching)
    opened: list[Opened] = []
    try:
        for index in range(len(config.hosts)):
            opened.append(opener.open(config.for_target(index)))
    except SetupError:
        close_opened(opened)
        raise
    finally:
        opener.close()  # the sockets stay open while their targets' transports do
    return opened


def _open_demo(config: Config, hosts: Sequence[str], virtual_time: bool) -> list[Opened]:
    """The demo's simulated paths, one per HOST (its own path without one), in one world:
    routers the paths share keep one ICMP budget, as real routers do."""
    from tracetui.probe.sim import SimNetwork, SimWorld
    from tracetui.run.demo import DemoNames, demo_targets

    family = config.family or Family.V4
    world = SimWorld()
    names = DemoNames(config.aslookup)
    opened = []
    for index, (name, scenario) in enumerate(demo_targets(hosts)):
        seed = 7 + index  # the first path, alone or not, is the same every time
        sim = SimNetwork(scenario, family, seed=seed, realtime=not virtual_time, world=world)
        opened.append(Opened(Target(name, sim.target, family), sim, sim.clock, names=names))
    return opened


def _clock_to_wall(clock: Clock, started_ns: int, started_at: float) -> Callable[[], datetime]:
    epoch = datetime.fromtimestamp(started_ns // 1_000_000_000, UTC) + timedelta(
        microseconds=started_ns % 1_000_000_000 // 1000
    )
    return lambda: epoch + timedelta(seconds=clock.now() - started_at)


def _recording(config: Config, transport: Transport, clock: Clock) -> RecordingTransport:
    """--record: the file is created here, after the privilege drop, so it is the user's."""
    from tracetui.recording.recorder import RecordingTransport

    assert config.record is not None
    try:
        return RecordingTransport.open(transport, clock, config.record, config.record_limit)
    except OSError as exc:
        transport.close()
        reason = exc.strerror or exc
        raise SetupError(f"cannot write {config.record}: {reason}", usage=True) from None


def _recording_header(
    transport: Transport,
    target: Target,
    settings: ProbeSettings,
    model: PathModel,
    times: tuple[int, float],
    engine_at: float,
) -> RecordingHeader:
    from tracetui import __version__
    from tracetui.recording.notes import RecordingHeader

    return RecordingHeader(
        version=__version__,
        target_name=target.name,
        target=target.address,
        family=target.family,
        identity=transport.identity,
        settings=settings,
        methods=transport.methods,
        raw_sockets=not isinstance(transport, UnprivilegedTransport),
        started_ns=times[0],
        started_at=times[1],
        local_host=socket.gethostname(),
        shown_start=model.started,
        engine_at=engine_at,
    )


def open_session(
    config: Config,
    sink: Callable[[EngineEvent], None] | None = None,
    *,
    after_fold: Callable[[EngineEvent], None] | None = None,
    virtual_time: bool = False,
    preload: Iterable[str] = (),
    opened: Opened | None = None,
    history: tuple[Tier, ...] = TIERS,
) -> Session:
    """Everything a run needs; events go to ``sink``, or straight into the model
    (and then to ``after_fold``, which sees the model with the event applied).

    ``virtual_time`` (demo only) runs the simulation on a virtual clock, with
    wall-clock times derived from it: deterministic screens for tests and
    screenshots. ``preload`` names the modules the run will import after the
    privilege drop (see :func:`preload`). ``history`` is how far back each hop's
    history reaches (the agent keeps an hour; Prometheus keeps the rest).
    """
    if opened is None:
        opened = open_transport_for(config, virtual_time, preload)
    target, transport, clock, replaying, own_names = opened
    replay = replaying.header if replaying is not None else None
    settings = replay.settings if replay is not None else config.settings
    smallest = min_packet_size(target.family, settings.method)
    if settings.size < smallest:
        transport.close()
        raise SetupError(
            f"packet size {settings.size} is too small for {settings.method.upper()} over "
            f"IPv{int(target.family)} (at least {smallest})",
            usage=True,
        )
    info = TraceInfo(
        target_name=target.name,
        target=target.address,
        source=transport.identity.source,
        family=target.family,
        first_ttl=settings.first_ttl,
        max_ttl=settings.max_ttl,
        interval=settings.interval,
        timeout=settings.timeout,
        size=settings.size,
        port=settings.port,
        count=settings.count,
        local_host=replay.local_host if replay is not None else socket.gethostname(),
        tos=settings.tos,
        pattern=settings.pattern,
        max_unknown=settings.max_unknown,
        raw_sockets=(
            replay.raw_sockets
            if replay is not None
            else not isinstance(transport, UnprivilegedTransport)
        ),
        replay_speed=config.replay_speed if replay is not None and not config.headless else None,
    )
    started_ns, started_at = time.time_ns(), clock.now()
    wallclock = utc_now
    if virtual_time:
        start = clock.now()
        wallclock = lambda: VIRTUAL_EPOCH + timedelta(seconds=clock.now() - start)  # noqa: E731
    if replay is not None:
        started_ns, started_at = replay.started_ns, replay.started_at
    if replay is not None or config.record is not None:
        # one formula on both sides, so a replay's times are the recording's to the digit
        wallclock = _clock_to_wall(clock, started_ns, started_at)
    model = PathModel(info, settings.method, wallclock, tiers=history)
    if sink is None:
        sink = model.apply if after_fold is None else _folding(model, after_fold)
    recording = None
    if config.record is not None:
        recording = _recording(config, transport, clock)
        inner, transport, sink = transport, recording, recording.tap(sink)
    if replaying is not None:
        replaying.clock.advance_to(replaying.header.engine_at)
    engine = Engine(transport, clock, settings, sink)
    if recording is not None:
        times = (started_ns, started_at)
        header = _recording_header(inner, target, settings, model, times, recording.engine_at)
        recording.begin(header)
    if replaying is not None:
        model.started = replaying.header.shown_start  # as the recorded screen showed it
        # built when the recorded engine was (its rounds keep their schedule), then on to
        # where its first round began: start-up took the recorded run that long
        replaying.attach(engine)
        replaying.clock.advance_to(replaying.first_round_at)
    return Session(
        config, target, transport, clock, info, model, engine, replaying, own_names, recording
    )


def can_triage(config: Config, session: Session) -> bool:
    """Rate-limit triage pings routers: it needs ICMP, which an unprivileged run may lack."""
    return config.triage and ProbeMethod.ICMP in session.transport.methods
