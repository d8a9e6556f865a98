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
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE
from tracetui.names.service import LOOKUP_MODULES, NameService, open_names
from tracetui.probe.events import EngineEvent, RoundStarted
from tracetui.recording import RECORD_MODULES
from tracetui.report.files import write_atomically
from tracetui.report.formats import FORMATS, report_modules
from tracetui.report.several import combined_reports
from tracetui.run.cadence import DIAGNOSE_SECONDS, diagnosis_interval
from tracetui.run.startup import (
    Session,
    can_triage,
    close_opened,
    open_event_log,
    open_session,
    open_stream,
    open_targets,
    open_transport_for,
    serve_metrics,
)
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.diagnose import Diagnoser
    from tracetui.outputs.event_log import EventLog
    from tracetui.outputs.json_stream import ProbeStream
    from tracetui.outputs.metrics import PathMetrics
    from tracetui.outputs.output import Output
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView
    from tracetui.probe.engine import Engine
    from tracetui.report import ReportOptions

NAME_WAIT = 2.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _write_now(text: str) -> None:
    """Streams go out line by line, as mtr's do (a pipe reader sees each at once)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def report_options(config: Config) -> ReportOptions:
    """The report's view of the command line (mtr's -n -b -z -y -w -o, and --report-extra)."""
    from tracetui.report import ReportOptions

    return ReportOptions(
        show_names=config.names,
        show_asn=config.aslookup,
        show_ips=config.show_ips,
        wide=config.report_wide,
        order=config.order,
        ipinfo=config.ipinfo,
        extra=config.report_extra,
        mpls=config.mpls,
    )


def _log(line: str) -> None:
    print(f"tracetui: {line}", file=sys.stderr, flush=True)


def modules_to_preload(config: Config) -> tuple[str, ...]:
    """What the run imports after the privilege drop: the one report it writes, lookups
    when names are on, the recorder when recording."""
    fmt = config.report_format
    report = report_modules(fmt) if fmt in FORMATS else ()
    if fmt in ("raw", "split"):
        report = ("tracetui.report.mtr_streams",)
    lookups = LOOKUP_MODULES if config.names or config.aslookup else ()
    return report + lookups + (RECORD_MODULES if config.record else ())


def wants_diagnosis(config: Config) -> bool:
    """Whether anything this run writes shows verdicts, a summary or path events. mtr's
    own reports (text without --report-extra, XML, raw, split) do not: then the run
    diagnoses nothing and sends no rate-limit pings, as mtr sends none."""
    if config.events_file or config.metrics or config.stream or config.daemon:
        return True
    fmt = config.report_format or "text"
    return fmt in ("json", "csv", "markdown") or (fmt == "text" and config.report_extra)


class _Watch:
    """Feeds one target's outputs and diagnoses its model while the engine runs: at most
    once a second of the engine's time (see run/cadence.py)."""

    def __init__(
        self, config: Config, every: float = DIAGNOSE_SECONDS, siblings: Sequence[_Watch] = ()
    ) -> None:
        """``every``: seconds of probing between two diagnoses; ``siblings``: the other
        targets' watches, whose triage pings this one's share a budget with."""
        self._siblings = siblings
        self.session: Session | None = None
        self.names: NameService | None = None
        self.diagnoser: Diagnoser | None = None
        self.outputs: list[Output] = []
        """Every output of this target, fed here and nowhere else (outputs/output.py)."""
        self._config = config
        self._every = every
        self._next = 0.0
        self._diagnose = wants_diagnosis(config)

    def start(
        self,
        session: Session,
        *,
        names: NameService | None = None,
        metrics: PathMetrics | None = None,
        stream: ProbeStream | None = None,
        log: EventLog | None = None,
    ) -> None:
        """The outputs the run opened (None: that output is off); the run closes them."""
        config = self._config
        self.session = session
        if names is not None:
            self.names = names
            session.model.on_new_responder = names.request
        lookup = self.names.lookup if self.names is not None else None
        outputs = self.outputs
        if config.report_format == "raw":
            from tracetui.report.mtr_streams import RawStream

            outputs.append(RawStream(_write_now, lookup, mpls=config.mpls))
        elif config.report_format == "split":
            from tracetui.report.mtr_streams import SplitStream

            model = session.model
            look = lambda: model.snapshot(lookup)  # noqa: E731
            outputs.append(SplitStream(_write_now, config.names, config.show_ips, look))
        if metrics is not None:
            outputs.append(metrics)
        if log is not None:
            outputs.append(log)
        if stream is not None:
            name = config.host or session.info.target_name
            outputs.append(stream.target(name, str(session.engine.method)))
        if config.daemon:
            outputs.append(DaemonLog(config.host if config.hosts[1:] else None))
        if config.daemon and not config.hosts[1:]:
            info = session.info
            where = f" ({info.target})" if info.target != info.target_name else ""
            served = ""
            if config.metrics is not None:
                served = f"; metrics on http://{config.metrics}/metrics"
            _log(
                f"tracing {info.target_name}{where} with {session.engine.method.upper()} "
                f"every {info.interval:g}s{served}"
            )

    def __call__(self, event: EngineEvent) -> None:
        for output in self.outputs:
            output.observe(event)
        if type(event) is not RoundStarted or self.session is None or not self._diagnose:
            return
        if not self._next:
            self._next = event.at + DIAGNOSE_SECONDS  # the first look waits a second
        elif event.at >= self._next:
            self._next = event.at + self._every
            self.diagnose()

    def diagnose(self, window: float | None = None, *, final: bool = False) -> PathView:
        """Imports the diagnosis on first use: after the first probe, not on the way to it."""
        assert self.session is not None
        lookup = self.names.lookup if self.names is not None else None
        model = self.session.model
        if not self._diagnose:
            view = model.snapshot(lookup, window) if window is not None else model.snapshot(lookup)
            for output in self.outputs:
                output.publish(view, ())
            return view
        if self.diagnoser is None:
            from tracetui.diagnose import Diagnoser

            session = self.session
            ping = session.engine.request_echo if can_triage(self._config, session) else None
            shared = next((w.diagnoser.budget for w in self._siblings if w.diagnoser), None)
            self.diagnoser = Diagnoser(ping, shared)
        diagnosis = self.diagnoser.update(model.snapshot(lookup), final=final)
        new_events = self.diagnoser.new_events
        view = model.snapshot(lookup, window) if window is not None else model.snapshot(lookup)
        view = view._replace(diagnosis=diagnosis)
        for output in self.outputs:
            output.publish(view, new_events)
        return view


class DaemonLog:
    """--headless: each path event and each new note, one line on stderr as found."""

    def __init__(self, target: str | None) -> None:
        """``target``: named on each line when the run has several."""
        self._whose = f"{target}: " if target else ""
        self._said: set[str] = set()

    def observe(self, event: EngineEvent) -> None:
        """Probes are not logged."""

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        whose = self._whose
        for event in new_events:
            hop = f" hop {event.ttl}" if event.ttl is not None else ""
            _log(f"{event.at:%Y-%m-%dT%H:%M:%SZ} {whose}{event.kind}{hop}: {event.message}")
        for note in view.notes:
            if note not in self._said:
                self._said.add(note)
                _log(f"{whose}note: {note}")


def close_stream(writer: ProbeStream) -> None:
    """Flush --stream, and say on stderr what a slow or gone reader cost."""
    writer.close()
    if writer.dropped:
        _log(f"--stream dropped {writer.dropped} lines: the reader was too slow")
    if writer.error:
        _log(f"--stream stopped: {writer.error}")


def run_report(config: Config) -> int:
    """One corridor for one target or many: open every source, attach the outputs, probe
    until the rounds are done or a signal comes, diagnose once more, report.

    One target's engine runs in the main thread (its transport passes the time, which
    a recording or the simulator does at their own pace); several run on one thread
    (probe/scheduler.py) over shared raw sockets while the main thread waits for
    signals. Signal handlers go in first: a signal that comes while the sockets open
    still ends the run with the report so far (perhaps of nothing).

    Raises SetupError when the run cannot start; returns the exit status.
    """
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
    watches: list[_Watch] = []
    sessions: list[Session] = []
    names: NameService | None = None
    writer: ProbeStream | None = None
    log: EventLog | None = None
    failed = False
    try:
        preload = modules_to_preload(config)
        if several:
            opened = open_targets(config, preload)
        else:
            opened = [open_transport_for(config, False, preload)]
        try:
            every = diagnosis_interval(len(opened))
            while opened:
                one = config.for_target(len(sessions)) if several else config
                watch = _Watch(one, every, watches)
                session = open_session(one, after_fold=watch, opened=opened.pop(0))
                sessions.append(session)
                watches.append(watch)
                engines.append(session.engine)
            # each target as given (a demo or a replay: the name its source gives)
            targets = [s.config.host or s.info.target_name for s in sessions]
            parts = serve_metrics(config, targets) if config.metrics else None
            if config.stream is not None:
                writer = open_stream(config, parts)
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
                )
            if config.daemon and several:
                _log(f"tracing {len(sessions)} targets every {config.settings.interval:g}s")
            if not received:
                failed = _drive(sessions)
            if names is not None:
                names.wait(NAME_WAIT)
            # before a recording closes
            views = [watch.diagnose(config.window, final=True) for watch in watches]
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
    if names is not None:
        names.stop()
    signalled = EXIT_SIGNAL_BASE + received[0] if received else EXIT_OK
    if config.daemon and config.report_format is None:
        rounds = max(view.rounds for view in views)
        _log(f"stopped after {rounds} round{'s' if rounds != 1 else ''}")
        return EXIT_FAILURE if failed else EXIT_OK  # a signal is how a daemon is asked to stop
    report_format = config.report_format or "text"
    quiet = report_format == "json" or (report_format == "text" and config.report_extra)
    if not quiet and not config.daemon:
        for view in views:  # mtr's formats have no place for them; parsers read stdout
            whose = f"{view.info.target_name}: " if several else ""
            for note in view.notes:
                print(f"tracetui: {whose}note: {note}", file=sys.stderr)
    if report_format in ("raw", "split"):  # written as it went, the last view included
        return signalled
    from tracetui.report import render  # after probing: not on the way to it

    options = report_options(config)
    text = combined_reports([render(v, report_format, options) for v in views], report_format)
    if failed:
        return _deliver(config, text, EXIT_FAILURE)
    return _deliver(config, text, EXIT_OK if config.daemon else signalled)


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
        _log(f"probing stopped: {scheduler.error!r}")
        return True
    return False


def _deliver(config: Config, text: str, status: int) -> int:
    """The report to --output (atomically), else to standard output; ``status`` unless
    the file could not be written (then the report goes to standard output after all)."""
    if config.output is None:
        sys.stdout.write(text)
        return status
    try:
        write_atomically(config.output, text)
    except OSError as exc:
        sys.stdout.write(text)
        print(
            f"tracetui: cannot write {config.output}: {exc.strerror or exc}; "
            "the report went to standard output instead",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return status
