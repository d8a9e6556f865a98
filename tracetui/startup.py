"""Start-up wiring shared by the report and the live screen: sockets, target, engine, model.

Order matters: raw sockets are opened first, privileges dropped at once, and
only then is the target resolved and anything from the network read.
"""

from __future__ import annotations

import importlib
import os
import socket
import stat
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from tracetui.config import Config
from tracetui.events import EngineEvent
from tracetui.model import PathModel
from tracetui.probe.engine import Engine
from tracetui.probe.methods import min_packet_size
from tracetui.probe.network import Clock, MonotonicClock, Transport
from tracetui.probe.privileges import drop_privileges
from tracetui.probe.sockets import (
    OptionError,
    PrivilegeError,
    UnprivilegedTransport,
    open_raw_sockets,
    open_transport,
)
from tracetui.probe.types import Family, ProbeMethod
from tracetui.snapshot import TraceInfo
from tracetui.target import Target, TargetError, resolve_target


class SetupError(Exception):
    """A one-line reason the run cannot start; ``usage`` marks bad input (exit 2)."""

    def __init__(self, message: str, *, usage: bool) -> None:
        super().__init__(message)
        self.usage = usage


def utc_now() -> datetime:
    return datetime.now(UTC)


class Session(NamedTuple):
    config: Config
    target: Target
    transport: Transport
    clock: Clock
    info: TraceInfo
    model: PathModel
    engine: Engine

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


def open_transport_for(
    config: Config, virtual_time: bool, modules: Iterable[str]
) -> tuple[Target, Transport, Clock]:
    if config.demo:
        from tracetui.demo import DEMO_TARGET_NAME, demo_scenario
        from tracetui.probe.sim import SimNetwork

        drop_privileges()
        family = config.family or Family.V4
        sim = SimNetwork(demo_scenario(), family, seed=7, realtime=not virtual_time)
        return Target(DEMO_TARGET_NAME, sim.target, family), sim, sim.clock
    try:
        raw = open_raw_sockets(config.sockets)
    except OptionError as exc:
        raise SetupError(str(exc), usage=True) from None
    if os.geteuid() == 0 and not _readable_by_anyone(os.path.dirname(os.__file__)):
        preload(modules)
    drop_privileges()
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
    return target, transport, MonotonicClock()


def _folding(
    model: PathModel, after: Callable[[EngineEvent], None]
) -> Callable[[EngineEvent], None]:
    apply = model.apply

    def sink(event: EngineEvent) -> None:
        apply(event)
        after(event)

    return sink


def open_session(
    config: Config,
    sink: Callable[[EngineEvent], None] | None = None,
    *,
    after_fold: Callable[[EngineEvent], None] | None = None,
    virtual_time: bool = False,
    preload: Iterable[str] = (),
) -> Session:
    """Everything a run needs; events go to ``sink``, or straight into the model
    (and then to ``after_fold``, which sees the model with the event applied).

    ``virtual_time`` (demo only) runs the simulation on a virtual clock, with
    wall-clock times derived from it: deterministic screens for tests and
    screenshots. ``preload`` names the modules the run will import after the
    privilege drop (see :func:`preload`).
    """
    target, transport, clock = open_transport_for(config, virtual_time, preload)
    settings = config.settings
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
        local_host=socket.gethostname(),
        tos=settings.tos,
        pattern=settings.pattern,
        raw_sockets=not isinstance(transport, UnprivilegedTransport),
    )
    wallclock = utc_now
    if virtual_time:
        start = clock.now()
        wallclock = lambda: VIRTUAL_EPOCH + timedelta(seconds=clock.now() - start)  # noqa: E731
    model = PathModel(info, settings.method, wallclock)
    if sink is None:
        sink = model.apply if after_fold is None else _folding(model, after_fold)
    engine = Engine(transport, clock, settings, sink)
    return Session(config, target, transport, clock, info, model, engine)


def can_triage(config: Config, session: Session) -> bool:
    """Rate-limit triage pings routers: it needs ICMP, which an unprivileged run may lack."""
    return config.triage and ProbeMethod.ICMP in session.transport.methods
