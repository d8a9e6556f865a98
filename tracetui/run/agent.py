"""``--headless`` without ``-c``: an agent that runs for months, its targets changing under it.

SIGHUP reads the command line's -F file and the configuration file again
(TRACETUI_OPTIONS and the command line as at start). Targets added start at
once, spread over one round interval; removed ones stop, and their series leave
the next scrape; every other target keeps probing and keeps its statistics (a
target is the same while its host, its own options and its probe settings
are). --stream and --events are reopened (logrotate). What cannot change while
running (the metrics address, the output files, names) stays, and the log says
so. A bad file changes nothing and the log says why.

A target that cannot be traced (its name does not resolve, its address family
is missing) is in error: a log line, ``tracetui_target_in_error``, and another
try after 10 s, then 20 s, and so on up to 5 minutes; never the end of the run.

Every target runs on one scheduler thread (probe/scheduler.py) over shared raw
sockets, as several targets of a report do; the main thread only waits for
signals, retries names and reloads.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from tracetui.path.history import HOUR
from tracetui.probe.scheduler import EngineScheduler
from tracetui.probe.tunables import TUNABLES, changed_fields
from tracetui.probe.types import ProbeSettings
from tracetui.report.formats import timeline_points
from tracetui.run.cadence import diagnosis_interval
from tracetui.run.finish import finish
from tracetui.run.startup import (
    Session,
    SetupError,
    TargetOpener,
    open_alert_actions,
    open_event_log,
    open_session,
    open_stream,
    serve_metrics,
)
from tracetui.run.watch import TargetWatch, close_stream, log_line
from tracetui.settings.config import Config, TargetOptions
from tracetui.textsafe import printable

if TYPE_CHECKING:
    from tracetui.names.service import NameService
    from tracetui.outputs.event_log import EventLog
    from tracetui.outputs.json_stream import ProbeStream
    from tracetui.outputs.metrics import MetricsAgent, PathMetrics

RETRY_FIRST = 10.0
RETRY_LONGEST = 300.0
TICK = 0.2
"""Seconds between the main thread's looks at signals, retries and reloads."""
NAME_WAIT = 2.0
FIXED = {
    "metrics": "--metrics",
    "agent": "--agent",
    "web_config": "--web.config.file",
    "stream": "--stream",
    "events_file": "--events",
    "names": "-n",
    "aslookup": "-z",
    "ipinfo": "-y",
    "geoip": "--geoip-mmdb-file",
    "dns_servers": "--dns-server",
    "family": "-4/-6",
    "sockets": "-I/-a/-Q/-M",
    "report_format": "the report format",
    "output": "--output",
    "window": "--window",
    "triage": "--no-triage",
}
"""Config fields a reload cannot change, and the option each comes from."""


class TargetKey(NamedTuple):
    """What makes a target the same one across a reload."""

    host: str
    options: TargetOptions | None
    settings: ProbeSettings


_NEUTRAL = {field: getattr(ProbeSettings(), field) for field in TUNABLES}


def _targets(config: Config) -> dict[TargetKey, Config]:
    """By what makes each the same target: settings a running engine can change (the
    interval, the TTL range, ...; probe/tunables.py) do not make another one."""
    out = {}
    for index, host in enumerate(config.hosts):
        one = config.for_target(index)
        options = config.target_options[index] if index < len(config.target_options) else None
        out[TargetKey(host, options, one.settings._replace(**_NEUTRAL))] = one
    return out


SHOWN_BY_NAME = 5
"""A reload's log line names the targets added or removed when there are at most this many."""


def _counted(hosts: list[str], what: str) -> str:
    """'2 targets added (a, b)', '1 target removed (c)', '0 targets added', '40 ... added'."""
    noun = "target" if len(hosts) == 1 else "targets"
    names = (
        f" ({', '.join(printable(h) for h in hosts)})" if 0 < len(hosts) <= SHOWN_BY_NAME else ""
    )
    return f"{len(hosts)} {noun} {what}{names}"


class _Target:
    """One target of the agent: traced (a session and its outputs) or in error."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.name = config.host or ""
        self.session: Session | None = None
        self.watch: TargetWatch | None = None
        self.metrics: PathMetrics | None = None
        self.error: str | None = None
        self.retry_at = 0.0
        self.backoff = 0.0


class Agent:
    def __init__(self, config: Config, preload: tuple[str, ...], reload: Callable[[], Config]):
        """Opens the raw sockets (and drops privileges) and the outputs; SetupError if it
        cannot. ``reload``: the configuration as the command line and files say it now
        (SetupError, one line, for a file that became wrong)."""
        self._config = config
        self._reload = reload
        self._opener = TargetOpener(config, preload, switching=False)
        self._targets: dict[TargetKey, _Target] = {}
        self._leaving: list[_Target] = []
        self._failing: list[_Target] = []
        """Targets in error, retried as their time comes (the rest are never looked at)."""
        self._watches: list[TargetWatch] = []
        self._hangups = 0
        self._handled = 0
        self.metrics: MetricsAgent | None = None
        self.stream: ProbeStream | None = None
        self.log: EventLog | None = None
        self.names: NameService | None = None
        self.actions = open_alert_actions(config)
        self._scheduler = EngineScheduler([], self._opener.clock, persistent=True)
        try:
            if config.metrics is not None:
                self.metrics = serve_metrics(config, [])
            if config.stream is not None:
                self.stream = open_stream(config, self.metrics)
            if config.events_file is not None:
                self.log = open_event_log(config, config.host or "")
            if config.names or config.aslookup or config.geoip:
                from tracetui.names.service import open_names

                self.names = open_names(config, config.aslookup, None, None)
        except SetupError:
            self.close()
            raise

    # ------------------------------------------------------------ targets
    def _trace(self, target: _Target, now: float) -> None:
        """Open ``target``: traced from the next scheduler turn, or in error with a retry
        (a name that does not resolve, or settings its method cannot have: a reload's
        mistake is one target's, never the agent's end)."""
        config = target.config
        try:
            opened = self._opener.open(config)
            every = diagnosis_interval(max(1, len(self._targets)))
            watch = TargetWatch(config, every, self._watches)
            try:
                # an hour of history a target: Prometheus keeps the rest, and 1,000 targets'
                # month would be 2 GB
                session = open_session(config, after_fold=watch, opened=opened, history=HOUR)
            except SetupError:
                opened.transport.close()
                raise
        except SetupError as exc:
            said = str(exc)
            if not said.startswith(f"{target.name}: "):
                said = f"{target.name}: {said}"
            first = target.error is None
            changed = said != target.error
            target.backoff = RETRY_FIRST if first else min(target.backoff * 2, RETRY_LONGEST)
            target.retry_at = now + target.backoff
            target.error = said
            if self.metrics is not None:
                self.metrics.in_error[target.name] = said
            if first:
                self._failing.append(target)
            if first or changed:
                log_line(f"{said}; trying again in {target.backoff:g}s, then less often")
            return
        if target.error is not None:
            address = opened.target.address
            log_line(f"{target.name}: resolved to {address} at last; tracing it")
            if self.metrics is not None:
                self.metrics.in_error.pop(target.name, None)
            target.error = None
            self._failing.remove(target)
        if self.metrics is not None:
            target.metrics = self.metrics.add(target.name)
        watch.start(
            session,
            names=self.names,
            metrics=target.metrics,
            stream=self.stream,
            log=self.log.for_target(target.name) if self.log is not None else None,
            actions=self.actions,
        )
        target.session, target.watch = session, watch
        self._watches.append(watch)
        self._scheduler.add(session.engine)

    def _drop(self, key: TargetKey) -> None:
        """Stop tracing a target: its engine stops now, its sockets close once the
        scheduler has let go of it (``_settle_leaving``)."""
        target = self._targets.pop(key)
        if target.error is not None:
            self._failing.remove(target)
        if self.metrics is not None:
            self.metrics.in_error.pop(target.name, None)
            if target.metrics is not None:
                self.metrics.remove(target.metrics)
        if target.watch is not None:
            self._watches.remove(target.watch)
        if target.session is not None:
            target.session.engine.stop()
            self._leaving.append(target)

    def _settle_leaving(self) -> None:
        if not self._leaving:
            return
        running = {id(engine) for engine in self._scheduler.engines}
        for target in list(self._leaving):
            assert target.session is not None
            if id(target.session.engine) not in running:
                target.session.close()
                self._leaving.remove(target)

    def add_targets(self, config: Config) -> tuple[list[str], list[str], int]:
        """Trace ``config``'s targets from now on: (added, removed, how many kept)."""
        wanted = _targets(config)
        removed = [key for key in self._targets if key not in wanted]
        for key in removed:
            self._drop(key)
        now = time.monotonic()
        added = []
        for key, one in wanted.items():
            target = self._targets.get(key)
            if target is None:
                target = self._targets[key] = _Target(one)
                self._trace(target, now)
                added.append(key.host)
            elif one.settings != target.config.settings:
                self._retune(target, one)
        return added, [key.host for key in removed], len(wanted) - len(added)

    @staticmethod
    def _retune(target: _Target, one: Config) -> None:
        """New interval, TTL range, size, ... for a running target: its engine changes
        them as the live screen's settings keys do (size and TOS start new statistics)."""
        before, after = target.config.settings, one.settings
        target.config = one
        if target.session is None:
            return  # in error: the next try opens it with these
        changes = {f: getattr(after, f) for f in changed_fields(before, after)}
        try:
            target.session.engine.request_settings(changes)
        except ValueError as exc:
            log_line(f"reload: {target.name}: {exc}; its settings stay as they were")

    # ------------------------------------------------------------ running
    def hangup(self) -> None:
        """SIGHUP (from a signal handler): reload at the main thread's next look."""
        self._hangups += 1

    def _reload_now(self) -> None:
        for output in (self.stream, self.log):
            if output is not None:
                output.reopen()
        try:
            config = self._reload()
        except SetupError as exc:
            log_line(f"reload: {exc}; the targets stay as they were")
            return
        old = self._config
        fixed = [
            option
            for field, option in FIXED.items()
            if getattr(config, field) != getattr(old, field)
        ]
        if fixed:
            log_line(
                f"reload: {', '.join(fixed)} cannot change while running (restart tracetui "
                "for that); the rest is applied"
            )
            config = config._replace(**{field: getattr(old, field) for field in FIXED})
        self._config = config
        added, removed, kept = self.add_targets(config)
        log_line(
            f"reload: {_counted(added, 'added')}, {_counted(removed, 'removed')}, "
            f"{kept} kept as they were"
        )

    def run(self, stopping: Callable[[], bool]) -> bool:
        """Probe until ``stopping()`` (a signal); True if probing failed (a bug)."""
        scheduler = self._scheduler
        runner = threading.Thread(target=scheduler.run_in_thread, daemon=True)
        runner.name = "tracetui-engines"
        runner.start()
        while runner.is_alive():
            if stopping():
                scheduler.stop()
            runner.join(TICK)  # the main thread stays free for signals
            if self._hangups != self._handled:
                self._handled = self._hangups
                self._reload_now()
            now = time.monotonic()
            for target in [t for t in self._failing if now >= t.retry_at]:
                self._trace(target, now)
            self._settle_leaving()
        if scheduler.error is not None:
            log_line(f"probing stopped: {scheduler.error!r}")
            return True
        return False

    def views(self) -> list:
        """Every traced target's final diagnosed view (the report at the end)."""
        if self.names is not None:
            self.names.wait(NAME_WAIT)
        config = self._config
        return [
            t.watch.diagnose(
                config.window, final=True, timeline=timeline_points(config.report_format)
            )
            for t in self._targets.values()
            if t.watch is not None
        ]

    def close(self) -> None:
        for target in [*self._targets.values(), *self._leaving]:
            if target.session is not None:
                target.session.close()
        self._targets.clear()
        self._leaving.clear()
        self._opener.close()
        if self.stream is not None:
            close_stream(self.stream)
        if self.log is not None:
            self.log.close()
        if self.names is not None:
            self.names.stop()
        if self.actions is not None:
            self.actions.close()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_agent(config: Config, preload: tuple[str, ...], reload: Callable[[], Config]) -> int:
    """The agent's whole run: SetupError when it cannot start; the exit status."""
    received: list[int] = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in _SIGNALS}
    agent: Agent | None = None
    # a SIGHUP before the agent is up finds nothing to reload yet: it must not end the run
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        agent = Agent(config, preload, reload)
        signal.signal(signal.SIGHUP, lambda _signum, _frame: agent.hangup() if agent else None)
        agent.add_targets(config)
        count = len(config.hosts)
        if count > 1:
            log_line(f"tracing {count} targets every {config.settings.interval:g}s")
        failed = False
        if not received:
            failed = agent.run(lambda: bool(received))
        views = agent.views()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if agent is not None:
            agent.close()
    return finish(config, views, received[0] if received else None, failed, count > 1)
