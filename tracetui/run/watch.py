"""What one target of a headless run feeds and when: its outputs (metrics, --stream,
--events, mtr's -l/-p streams, the --headless log) on every engine event, and its
diagnosis once a second of probing (see run/cadence.py). A report run and an agent
(run/agent.py) watch their targets the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracetui.names.service import NameService
from tracetui.probe.events import EngineEvent, ProbeReplied, RoundStarted
from tracetui.run.cadence import DIAGNOSE_SECONDS
from tracetui.run.startup import Session, alert_rules, can_triage, log_line
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.diagnose import Diagnoser
    from tracetui.outputs.alert_actions import AlertActions
    from tracetui.outputs.event_log import EventLog
    from tracetui.outputs.json_stream import ProbeStream
    from tracetui.outputs.metrics import PathMetrics
    from tracetui.outputs.output import Output
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView


def write_now(text: str) -> None:
    """Streams go out line by line, as mtr's do (a pipe reader sees each at once)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def wants_diagnosis(config: Config) -> bool:
    """Whether anything this run writes shows verdicts, a summary or path events. mtr's
    own reports (text without --report-extra, XML, raw, split) do not: then the run
    diagnoses nothing and sends no rate-limit pings, as mtr sends none."""
    if config.events_file or config.metrics or config.stream or config.daemon or config.alerts:
        return True
    fmt = config.report_format or "text"
    return fmt in ("json", "csv", "markdown") or (fmt == "text" and config.report_extra)


class TargetWatch:
    """Feeds one target's outputs and diagnoses its model while the engine runs: at most
    once a second of the engine's time (see run/cadence.py)."""

    def __init__(
        self, config: Config, every: float = DIAGNOSE_SECONDS, siblings: Sequence[TargetWatch] = ()
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
        actions: AlertActions | None = None,
    ) -> None:
        """The outputs the run opened (None: that output is off); the run closes them."""
        config = self._config
        self.session = session
        if names is not None:
            self.names = names
            session.model.take_new_responders()  # from now on: asked for as they answer
        lookup = self.names.lookup if self.names is not None else None
        outputs = self.outputs
        if config.report_format == "raw":
            from tracetui.report.mtr_streams import RawStream

            outputs.append(RawStream(write_now, lookup, mpls=config.mpls))
        elif config.report_format == "split":
            from tracetui.report.mtr_streams import SplitStream

            model = session.model
            look = lambda: model.snapshot(lookup)  # noqa: E731
            outputs.append(SplitStream(write_now, config.names, config.show_ips, look))
        if metrics is not None:
            outputs.append(metrics)
        if log is not None:
            outputs.append(log)
        if stream is not None:
            name = config.host or session.info.target_name
            outputs.append(stream.target(name, str(session.engine.method)))
        if actions is not None:
            outputs.append(actions)
        if config.daemon:
            outputs.append(DaemonLog(config.host if config.hosts[1:] else None))
        if config.daemon and not config.hosts[1:]:
            info = session.info
            where = f" ({info.target})" if info.target != info.target_name else ""
            served = ""
            if config.metrics is not None:
                served = f"; metrics on http://{config.metrics}/metrics"
            log_line(
                f"tracing {info.target_name}{where} with {session.engine.method.upper()} "
                f"every {info.interval:g}s{served}"
            )

    def __call__(self, event: EngineEvent) -> None:
        for output in self.outputs:
            output.observe(event)
        names = self.names
        if names is not None and type(event) is ProbeReplied and self.session is not None:
            model = self.session.model
            if model.new_responders:
                for address in model.take_new_responders():
                    names.request(address)
        if type(event) is not RoundStarted or self.session is None or not self._diagnose:
            return
        if not self._next:
            self._next = event.at + DIAGNOSE_SECONDS  # the first look waits a second
        elif event.at >= self._next:
            self._next = event.at + self._every
            self.diagnose()

    def diagnose(
        self, window: float | None = None, *, final: bool = False, timeline: int = 0
    ) -> PathView:
        """Imports the diagnosis on first use: after the first probe, not on the way to it.
        ``timeline``: points of the run's history the view carries (a report's charts)."""
        assert self.session is not None
        lookup = self.names.lookup if self.names is not None else None
        model = self.session.model
        if not self._diagnose:
            view = model.snapshot(lookup, window, timeline=timeline)
            for output in self.outputs:
                output.publish(view, ())
            return view
        if self.diagnoser is None:
            from tracetui.diagnose import Diagnoser

            session = self.session
            ping = session.engine.request_echo if can_triage(self._config, session) else None
            shared = next((w.diagnoser.budget for w in self._siblings if w.diagnoser), None)
            self.diagnoser = Diagnoser(ping, shared, alert_rules(self._config))
        whole = model.snapshot(lookup)
        diagnosis = self.diagnoser.update(whole, final=final)
        new_events = self.diagnoser.new_events
        if window is not None or timeline:
            view = model.snapshot(lookup, window, timeline=timeline)
        else:
            view = whole  # built once
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
            log_line(f"{event.at:%Y-%m-%dT%H:%M:%SZ} {whose}{event.kind}{hop}: {event.message}")
        for note in view.notes:
            if note not in self._said:
                self._said.add(note)
                log_line(f"{whose}note: {note}")


def close_stream(writer: ProbeStream) -> None:
    """Flush --stream, and say on stderr what a slow or gone reader cost."""
    writer.close()
    if writer.dropped:
        log_line(f"--stream dropped {writer.dropped} lines: the reader was too slow")
    if writer.error:
        log_line(f"--stream stopped: {writer.error}")
