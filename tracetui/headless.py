"""``tracetui --report``: probe for --count rounds, then print one report.

The engine runs in the main thread and folds straight into the model (no
queue, no screen), which keeps the cost per probe close to mtr's. The path is
diagnosed once a second of probing (verdicts, triage pings, events for
``--events``) and once more at the end. Names are looked up in the background
while probing and get a bounded extra wait at the end, so the report shows
them as mtr does without ever hanging on DNS.
"""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

from tracetui.config import Config
from tracetui.events import EngineEvent, RoundStarted
from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE
from tracetui.files import write_atomically
from tracetui.names import LOOKUP_MODULES, NameService, open_names
from tracetui.report.formats import REPORT_MODULES
from tracetui.startup import Session, SetupError, open_session

if TYPE_CHECKING:
    from tracetui.diagnose import Diagnoser
    from tracetui.event_log import EventLog

NAME_WAIT = 2.0
DIAGNOSE_SECONDS = 1.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def modules_to_preload(config: Config) -> tuple[str, ...]:
    return REPORT_MODULES + (LOOKUP_MODULES if config.names or config.aslookup else ())


class _Watch:
    """Diagnoses the model while the engine runs: at most once a second of the engine's time."""

    def __init__(self, config: Config) -> None:
        self.session: Session | None = None
        self.names: NameService | None = None
        self.diagnoser: Diagnoser | None = None
        self.log: EventLog | None = None
        self._config = config
        self._next = 0.0

    def start(self, session: Session) -> None:
        config = self._config
        self.session = session
        if config.names or config.aslookup:
            self.names = open_names(config, config.aslookup)
            session.model.on_new_responder = self.names.request
        if config.events_file is not None:
            from tracetui.event_log import EventLog

            try:
                self.log = EventLog(config.events_file, session.info.target_name)
            except OSError as exc:
                reason = exc.strerror or exc
                raise SetupError(
                    f"cannot write {config.events_file}: {reason}", usage=True
                ) from None

    def __call__(self, event: EngineEvent) -> None:
        if type(event) is not RoundStarted or self.session is None:
            return
        if not self._next:
            self._next = event.at + DIAGNOSE_SECONDS  # the first look waits a second
        elif event.at >= self._next:
            self._next = event.at + DIAGNOSE_SECONDS
            self.diagnose()

    def diagnose(self, window: float | None = None, *, final: bool = False):
        """Imports the diagnosis on first use: after the first probe, not on the way to it."""
        assert self.session is not None
        if self.diagnoser is None:
            from tracetui.diagnose import Diagnoser

            ping = self.session.engine.request_echo if self._config.triage else None
            self.diagnoser = Diagnoser(ping)
        lookup = self.names.lookup if self.names is not None else None
        model = self.session.model
        diagnosis = self.diagnoser.update(model.snapshot(lookup), final=final)
        if self.log is not None:
            self.log.write(self.diagnoser.new_events)
        view = model.snapshot(lookup, window) if window is not None else model.snapshot(lookup)
        return view._replace(diagnosis=diagnosis)

    def close(self) -> None:
        if self.names is not None:
            self.names.stop()
        if self.log is not None:
            self.log.close()


def run_report(config: Config) -> int:
    """Raises SetupError when the run cannot start; returns the exit status.

    Signal handlers go in first: a signal that comes while the sockets open
    still ends the run with the report so far (perhaps of nothing).
    """
    received: list[int] = []
    engine: list = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)
        if engine:
            engine[0].stop()

    previous = {signum: signal.signal(signum, interrupt) for signum in _SIGNALS}
    watch = _Watch(config)
    try:
        session = open_session(config, after_fold=watch, preload=modules_to_preload(config))
        try:
            watch.start(session)
            engine.append(session.engine)
            if not received:
                session.engine.run()
        finally:
            session.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if watch.names is not None:
        watch.names.wait(NAME_WAIT)
    view = watch.diagnose(config.window, final=True)
    watch.close()
    from tracetui.report import ReportOptions, render  # after probing: not on the way to it

    options = ReportOptions(show_names=config.names, show_asn=config.aslookup)
    text = render(view, config.report_format or "text", options)
    status = EXIT_SIGNAL_BASE + received[0] if received else EXIT_OK
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
