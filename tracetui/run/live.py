"""A running trace for the live screen: the engine in its own thread, the model on the screen's.

The engine appends events to a deque; ``snapshot`` folds what arrived into the
model and returns an immutable view. Commands go to the engine's command queue.
This is the only implementation of :class:`tracetui.tui.control.TraceControl`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Self

from tracetui.diagnose import Diagnoser
from tracetui.diagnose.overview import TargetLine, target_line
from tracetui.diagnose.triage import TriageBudget
from tracetui.names.service import NameService, open_names
from tracetui.outputs.event_log import EventLog
from tracetui.path.diagnosis import Diagnosis
from tracetui.path.history import bucket_seconds
from tracetui.path.snapshot import PathView
from tracetui.probe.events import EngineEvent
from tracetui.probe.types import ProbeMethod
from tracetui.run.startup import (
    Session,
    SetupError,
    alert_rules,
    can_triage,
    open_alert_actions,
    open_event_log,
    open_session,
    open_stream,
    serve_metrics,
)
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.outputs.alert_actions import AlertActions
    from tracetui.outputs.json_stream import ProbeStream, TargetStream
    from tracetui.outputs.metrics import PathMetrics
    from tracetui.outputs.output import Output
    from tracetui.recording.replay import ReplayTransport

JOIN_SECONDS = 2.0


def queue_sink(
    events: deque[EngineEvent], streams: list[TargetStream] | None
) -> Callable[[EngineEvent], None]:
    """The engine's sink (its thread: only a queue put), and --stream's lines if asked."""
    if streams is None:
        return events.append
    append = events.append

    def sink(event: EngineEvent) -> None:
        append(event)
        for stream in streams:
            stream.observe(event)

    return sink


class _EngineThread(threading.Thread):
    """Runs the engine; keeps the exception if it dies so the screen can say why."""

    def __init__(self, session: Session) -> None:
        super().__init__(name="tracetui-engine", daemon=True)
        self.session = session
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.session.engine.run()
        except BaseException as exc:  # noqa: BLE001 - reported on screen, not lost
            self.error = exc


def _no_ping(_address: str) -> None:
    """A focus period's diagnosis reads the pings the run has; it asks for none."""


class LiveTrace:
    def __init__(
        self, session: Session, events: deque[EngineEvent], budget: TriageBudget | None = None
    ) -> None:
        """``budget``: the triage pings every target of the run shares (one per router a
        second however many targets lie behind it); None: this target's own."""
        self.session = session
        self.info = session.info
        self.methods = session.transport.methods
        self.targets: tuple[str, ...] = (session.config.host or session.info.target_name,)
        """One target: the screen's list of one (no tabs)."""
        self.shown = 0
        self._last: PathView | None = None
        self._events = events
        self._thread: _EngineThread | None = None
        self._names: NameService | None = None
        self._owns_names = True
        self._owns_actions = True
        self._closed = False
        config = session.config
        self.window = config.window
        self.focus: tuple[float, float] | None = None
        """A focus period (engine clock): what the table, verdicts and events cover."""
        self._timeline: tuple[float, float, int] | None = None
        """(seconds, back, points) of the timeline pane, while it is shown."""
        self._focused: tuple[tuple[float, float], int, Diagnosis] | None = None
        """The focus period's own diagnosis, and the round it was made at."""
        ping = session.engine.request_echo if can_triage(config, session) else None
        self._diagnoser = Diagnoser(ping, budget, alert_rules(config))
        self.actions = open_alert_actions(config)
        """--alert-command and --alert-webhook (several targets: the run's, shared)."""
        self._log: EventLog | None = None
        self.metrics: PathMetrics | None = None
        self.stream: TargetStream | None = None
        self.stream_writer: ProbeStream | None = None
        """--stream's writer when this trace owns it (one target)."""
        if config.metrics is not None:
            try:
                name = config.host or session.info.target_name
                [self.metrics] = serve_metrics(config, [name]).parts
            except SetupError:
                session.close()
                raise
        if config.events_file is not None:
            try:
                self._log = open_event_log(config, session.info.target_name)
            except SetupError:
                session.close()
                raise
        self.set_names(config.names, config.aslookup)

    @classmethod
    def open(cls, config: Config, preload: Iterable[str] = (), virtual_time: bool = False) -> Self:
        """Open sockets and build the engine (SetupError when that is impossible)."""
        events: deque[EngineEvent] = deque()
        streams: list[TargetStream] = []
        sink = queue_sink(events, streams if config.stream is not None else None)
        session = open_session(config, sink, virtual_time=virtual_time, preload=preload)
        trace = cls(session, events)
        if config.stream is not None:
            try:
                agent = trace.metrics.agent if trace.metrics is not None else None
                writer = trace.stream_writer = open_stream(config, agent)
            except SetupError:
                trace.close()
                raise
            trace.attach_stream(writer, config.host or session.info.target_name, streams)
        return trace

    def attach_actions(self, actions: AlertActions | None) -> None:
        """Several targets: one set of alert actions for the run (its owner closes it)."""
        self.actions = actions
        self._owns_actions = False

    def attach_events(self, log: EventLog) -> None:
        """Several targets: their --events lines go to one file, each naming its target."""
        self._log = log

    def attach_stream(self, writer: ProbeStream, name: str, streams: list[TargetStream]) -> None:
        """Lines for this target on ``writer``; ``streams``: what the engine's sink feeds."""
        self.stream = writer.target(name, str(self.session.engine.method))
        streams.append(self.stream)

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = _EngineThread(self.session)
            self._thread.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.session.engine.stop()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_SECONDS)
        if self._names is not None and self._owns_names:
            self._names.stop()
        if self._log is not None:
            self._log.close()
        if self.stream_writer is not None:
            self.stream_writer.close()
        if self.actions is not None and self._owns_actions:
            self.actions.close()
        self.session.close()

    @property
    def failure(self) -> str | None:
        thread = self._thread
        if thread is not None and thread.error is not None:
            return str(thread.error) or type(thread.error).__name__
        return None

    # ------------------------------------------------------------ snapshots
    def outputs(self) -> list[Output]:
        """What this target writes as it goes (outputs/output.py)."""
        outputs = (self.metrics, self._log, self.stream, self.actions)
        return [out for out in outputs if out is not None]

    def fold(self) -> None:
        """Apply what the engine sent since the last call to the model, and show it to the
        outputs; --stream has seen it already, on the engine's thread, to stamp each line
        when its reply was read rather than when the screen next looked."""
        events = self._events
        if events:
            batch = []
            while events:
                batch.append(events.popleft())
            model = self.session.model
            model.apply_all(batch)
            if self._names is not None and model.new_responders:
                for address in model.take_new_responders():
                    self._names.request(address)
            observers = [out for out in self.outputs() if out is not self.stream]
            for output in observers:
                for event in batch:
                    output.observe(event)

    def snapshot(self, timeline: int = 0) -> PathView:
        """Fold what arrived, diagnose the whole run, show the chosen window of it (with
        ``timeline`` points of the run's history: a report's charts)."""
        self.fold()
        model = self.session.model
        names = self._names
        lookup = names.lookup if names is not None else None
        view = model.snapshot(lookup)
        diagnosis = self._diagnoser.update(view)
        new_events = self._diagnoser.new_events
        whole = view._replace(diagnosis=diagnosis)
        for output in self.outputs():
            output.publish(whole, new_events)
        if self.focus is not None:
            view = model.snapshot(lookup, focus=self.focus, timeline=timeline)
            diagnosis = self._focus_diagnosis(view, diagnosis)
        elif self.window is not None or timeline:
            view = model.snapshot(lookup, self.window, timeline=timeline)
        if self._timeline is not None and not timeline:
            seconds, back, points = self._timeline
            end = model.now - back
            view = view._replace(
                timeline=model.timeline(end - seconds, end, bucket_seconds(seconds, points))
            )
        view = view._replace(diagnosis=diagnosis)
        self._last = view
        return view

    def _focus_diagnosis(self, view: PathView, whole: Diagnosis) -> Diagnosis:
        """Verdicts and summary of the focus period alone (a fresh diagnosis of its numbers,
        weighing the triage pings the run already sent but sending none: a ping now says
        nothing of then), and the run's events that fall inside it."""
        focus = self.focus
        assert focus is not None
        kept = self._focused
        if kept is None or kept[0] != focus or kept[1] != view.rounds:
            judged = Diagnoser(_no_ping).update(view, final=True)
            kept = self._focused = (focus, view.rounds, judged)
        start, end = (view.wall(moment) for moment in focus)
        events = tuple(e for e in whole.events if start <= e.at <= end)
        return kept[2]._replace(events=events, alerts=whole.alerts)

    def overview(self) -> tuple[TargetLine, ...]:
        """The one line, from the latest snapshot (none before the first)."""
        view = self._last
        return (target_line(self.targets[0], view, view.info.target),) if view else ()

    def show_target(self, index: int) -> None:
        """There is only the one target to show."""

    def all_finished(self) -> bool:
        return self._last is not None and self._last.finished

    def snapshots(self, timeline: int = 0) -> list[PathView]:
        """As for several targets (``--report-on-exit``): this one's view."""
        return [self.snapshot(timeline)]

    # -------------------------------------------------------------- commands
    def pause(self, paused: bool) -> None:
        self.session.engine.request_pause(paused)

    def reset(self) -> None:
        self.session.engine.request_reset()

    def switch_method(self, method: ProbeMethod) -> None:
        if method not in self.methods:
            raise ValueError(
                f"{method.upper()} probes need root or ping sockets here "
                "(net.ipv4.ping_group_range); UDP and TCP work without either"
            )
        self.session.engine.request_method(method)

    def configure(self, changes: Mapping[str, int | float]) -> None:
        self.session.engine.request_settings(changes)

    def set_window(self, seconds: float | None) -> None:
        self.window = seconds

    def set_timeline(self, seconds: float | None, back: float = 0.0, points: int = 0) -> None:
        self._timeline = (seconds, max(0.0, back), points) if seconds else None

    def set_focus(self, focus: tuple[float, float] | None) -> None:
        self.focus = focus

    def use_names(self, service: NameService) -> None:
        """Lookups by a service several traces share (``set_names`` on it is the owner's)."""
        self._names = service
        self._owns_names = False
        self.session.model.take_new_responders()  # from now on (fold asks for them)

    def set_names(self, names: bool, asn: bool) -> None:
        service = self._names
        if service is None and (names or asn or self.session.config.geoip is not None):
            service = self._names = open_names(
                self.session.config, asn, self.session.names, self.session.recording
            )
            # addresses seen before this are asked for when first looked up
            self.session.model.take_new_responders()
        if service is not None:
            service.set_aslookup(asn)
            service.set_enabled(names or asn)


class ReplayTrace(LiveTrace):
    """A recording played back on the live screen (``--replay``).

    Pause stops the recording's clock rather than the engine (the engine does what
    the recording did); a reset or a method switch would change what was recorded,
    so they are refused with a reason the screen shows. The run is done where the
    recording ends.
    """

    @property
    def replay(self) -> ReplayTransport:
        replay = self.session.replay
        assert replay is not None, "a ReplayTrace is opened on a recording"
        return replay

    def pause(self, paused: bool) -> None:
        self.replay.clock.paused = paused
        self.replay.wake()

    def reset(self) -> None:
        raise ValueError("a replay shows the recorded run: its statistics cannot be reset")

    def switch_method(self, method: ProbeMethod) -> None:
        raise ValueError("a replay shows the recorded run: it cannot switch probe methods")

    def configure(self, changes: Mapping[str, int | float]) -> None:
        raise ValueError("a replay shows the recorded run: its settings cannot change")

    def snapshot(self, timeline: int = 0) -> PathView:
        view = super().snapshot(timeline)
        replay = self.replay
        thread = self._thread
        done = view.finished or (replay.ended and thread is not None and not thread.is_alive())
        divergence = replay.divergence
        notes = view.notes if divergence is None else (*view.notes, divergence)
        return view._replace(
            paused=replay.clock.paused,
            finished=done,
            notes=notes,
        )


FRAME_SECONDS = 1.0
"""How often the virtual demo looks at its path while it advances."""


class VirtualTrace(LiveTrace):
    """The demo on a virtual clock, advanced by hand: the same screen on every run."""

    @classmethod
    def open_demo(cls, config: Config) -> VirtualTrace:
        trace = cls.open(config, virtual_time=True)
        trace.snapshot()  # the start is stamped at virtual time zero
        return trace

    def start(self) -> None:
        """No thread: time moves only when ``advance`` is called."""

    def advance(self, seconds: float) -> None:
        """Run the engine on for ``seconds`` of virtual time, as its thread would in real time,
        looking at the path once a virtual second as the screen's frames would: the diagnosis
        asks for its pings while time passes, not all at the end."""
        clock = self.session.clock
        end = clock.now() + seconds
        while clock.now() < end:
            step = min(end, clock.now() + FRAME_SECONDS)
            self.session.engine.run(until=step)
            self.snapshot()
            if clock.now() < step:
                break  # the engine is done (its --count): virtual time moves no further
