"""``tracetui --report`` (and -j, -C, -x, -l, -p) and ``--headless``, for one target or
many: probe for --count rounds (or until a signal), report.

Engines fold straight into their model (no queue, no screen), which keeps the
cost per probe close to mtr's. The path is
diagnosed once a second of probing (verdicts, triage pings, events for
``--events``; with many targets less often, see run/cadence.py) and once
more at the end. Names are looked up in the background
while probing and get a bounded extra wait at the end, so the report shows
them as mtr does without ever hanging on DNS. mtr's streaming formats (``-l``
raw, ``-p`` split) are written while probing instead of at the end.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from tracetui.names.service import LOOKUP_MODULES, NameService, open_names
from tracetui.recording import RECORD_MODULES
from tracetui.report.formats import FORMATS, report_modules, timeline_points
from tracetui.run.cadence import diagnosis_interval
from tracetui.run.finish import finish
from tracetui.run.startup import (
    Session,
    close_opened,
    open_alert_actions,
    open_event_log,
    open_session,
    open_stream,
    open_targets,
    open_transport_for,
    serve_metrics,
)
from tracetui.run.watch import (
    TargetWatch,
    close_stream,
    log_line,
)
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.outputs.event_log import EventLog
    from tracetui.outputs.json_stream import ProbeStream
    from tracetui.probe.engine import Engine

NAME_WAIT = 2.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def uses_agent(config: Config) -> bool:
    """Whether this --headless run is an agent: it runs until stopped, on the network."""
    return (
        config.daemon
        and config.settings.count is None
        and not config.demo
        and config.replay is None
        and config.record is None
        and config.sockets.localport is None
        and config.report_format not in ("raw", "split")
    )


def modules_to_preload(config: Config) -> tuple[str, ...]:
    """What the run imports after the privilege drop: the one report it writes, lookups
    when names are on, the recorder when recording."""
    fmt = config.report_format
    report = report_modules(fmt) if fmt in FORMATS else ()
    if fmt in ("raw", "split"):
        report = ("tracetui.report.mtr_streams",)
    lookups = LOOKUP_MODULES if config.names or config.aslookup else ()
    return report + lookups + (RECORD_MODULES if config.record else ())


def run_report(config: Config, reload: Callable[[], Config] | None = None) -> int:
    """One corridor for one target or many: open every source, attach the outputs, probe
    until the rounds are done or a signal comes, diagnose once more, report.

    One target's engine runs in the main thread (its transport passes the time, which
    a recording or the simulator does at their own pace); several run on one thread
    (probe/scheduler.py) over shared raw sockets while the main thread waits for
    signals. Signal handlers go in first: a signal that comes while the sockets open
    still ends the run with the report so far (perhaps of nothing).

    ``reload`` (the configuration read again) makes a --headless run without -c an
    agent (run/agent.py): SIGHUP changes its targets, names that do not resolve are
    retried.

    Raises SetupError when the run cannot start; returns the exit status.
    """
    if reload is not None and uses_agent(config):
        from tracetui.run.agent import run_agent  # targets that change while it runs

        return run_agent(config, modules_to_preload(config), reload)
    received: list[int] = []
    engines: list[Engine] = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)
        for engine in engines:
            engine.stop()

    reopened: list[ProbeStream | EventLog] = []

    def reopen(_signum: int, _frame: object) -> None:
        """--headless: SIGHUP is logrotate's "open your files again", not a stop."""
        for output in reopened:
            output.reopen()

    previous = {signum: signal.signal(signum, interrupt) for signum in _SIGNALS}
    if config.daemon:
        signal.signal(signal.SIGHUP, reopen)
    several = bool(config.hosts[1:])
    watches: list[TargetWatch] = []
    sessions: list[Session] = []
    names: NameService | None = None
    writer: ProbeStream | None = None
    log: EventLog | None = None
    actions = open_alert_actions(config)
    failed = False
    try:
        preload = modules_to_preload(config)
        if several:
            opened = open_targets(config, preload, switching=False)  # no keys here
        else:
            opened = [open_transport_for(config, False, preload)]
        try:
            every = diagnosis_interval(len(opened))
            while opened:
                one = config.for_target(len(sessions)) if several else config
                watch = TargetWatch(one, every, watches)
                session = open_session(one, after_fold=watch, opened=opened.pop(0))
                sessions.append(session)
                watches.append(watch)
                engines.append(session.engine)
            # each target as given (a demo or a replay: the name its source gives)
            targets = [s.config.host or s.info.target_name for s in sessions]
            agent = serve_metrics(config, targets) if config.metrics else None
            parts = agent.parts if agent is not None else None
            if config.stream is not None:
                writer = open_stream(config, agent)
                reopened.append(writer)
            if config.events_file is not None:
                log = open_event_log(config, targets[0])
                reopened.append(log)
            if config.names or config.aslookup or config.geoip:  # a source may bring its own
                first = sessions[0]
                names = open_names(config, config.aslookup, first.names, first.recording)
            for index, (watch, session) in enumerate(zip(watches, sessions, strict=True)):
                watch.start(
                    session,
                    names=names,
                    metrics=parts[index] if parts else None,
                    stream=writer,
                    log=log.for_target(targets[index]) if log is not None else None,
                    actions=actions,
                )
            if config.daemon and several:
                log_line(f"tracing {len(sessions)} targets every {config.settings.interval:g}s")
            if not received:
                failed = _drive(sessions)
            if names is not None:
                names.wait(NAME_WAIT)
            # before a recording closes
            views = [
                watch.diagnose(
                    config.window, final=True, timeline=timeline_points(config.report_format)
                )
                for watch in watches
            ]
        finally:
            for session in sessions:
                session.close()
            close_opened(opened)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if writer is not None:
        close_stream(writer)
    if log is not None:
        log.close()
    if actions is not None:
        actions.close()
    if names is not None:
        names.stop()
    return finish(config, views, received[0] if received else None, failed, several)


def _drive(sessions: list[Session]) -> bool:
    """Probe until every engine is done; True if probing failed (a bug: said on stderr)."""
    if len(sessions) == 1:
        session = sessions[0]
        session.engine.run()
        if session.replay is not None:  # on to where the recorded run took its report
            session.replay.run_out()
            divergence = session.replay.divergence
            if divergence is not None:
                print(f"tracetui: note: {divergence}", file=sys.stderr)
        return False
    import threading

    from tracetui.probe.scheduler import EngineScheduler

    scheduler = EngineScheduler([s.engine for s in sessions], sessions[0].clock)
    runner = threading.Thread(target=scheduler.run_in_thread, daemon=True)
    runner.name = "tracetui-engines"
    runner.start()
    while runner.is_alive():
        runner.join(0.2)  # the main thread stays free for signals
    if scheduler.error is not None:  # a bug: say so, and still report what was found
        log_line(f"probing stopped: {scheduler.error!r}")
        return True
    return False
