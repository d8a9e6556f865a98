"""Several targets on the live screen (#15): one trace per target, one is shown at a time.

Every target's engine runs on one thread (probe/scheduler.py) over shared raw
sockets, as for reports. The screen asks for a snapshot of the target it shows;
every other target's events are folded into its model on each frame too (so
metrics and memory stay current), and each is diagnosed about once a second,
a bounded number per frame, for the tabs and the target list (``overview``).

Commands act on the target shown (reset, method switch: Trippy's "clear trace
data" is per trace too), except what is about the whole screen: pause, names,
the statistics window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from tracetui.diagnose.overview import TargetLine, target_line
from tracetui.diagnose.triage import TriageBudget
from tracetui.names.service import NameService, open_names
from tracetui.outputs.event_log import EventLog
from tracetui.outputs.json_stream import ProbeStream, TargetStream
from tracetui.path.snapshot import PathView, TraceInfo
from tracetui.probe.events import EngineEvent
from tracetui.probe.scheduler import EngineScheduler
from tracetui.probe.types import ProbeMethod
from tracetui.run.cadence import diagnosis_interval
from tracetui.run.live import LiveTrace, queue_sink
from tracetui.run.startup import (
    close_opened,
    open_alert_actions,
    open_event_log,
    open_session,
    open_stream,
    open_targets,
    serve_metrics,
)
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.outputs.alert_actions import AlertActions

JOIN_SECONDS = 2.0
OTHERS_PER_FRAME = 32
"""At most this many targets not shown are diagnosed per frame: a thousand targets
cost a frame no more than a few dozen."""


class ManyTraces:
    """The live screen's :class:`tracetui.tui.control.TargetsControl` over several targets."""

    def __init__(
        self, config: Config, traces: list[LiveTrace], targets: Iterable[str] = ()
    ) -> None:
        """``targets``: the names the tabs show (by default the hosts as given)."""
        self.traces = traces
        self.targets = tuple(targets) or tuple(config.hosts)
        self.shown = 0
        self._config = config
        self._lines = [
            target_line(target, None, trace.info.target)
            for target, trace in zip(self.targets, traces, strict=True)
        ]
        """Each target's line, remade whenever it is diagnosed (not on every frame)."""
        self._diagnosed_at = [0.0] * len(traces)
        self._turn = 0
        self._names: NameService | None = None
        self._scheduler = EngineScheduler(
            [trace.session.engine for trace in traces], traces[0].session.clock
        )
        self._thread: threading.Thread | None = None
        self.stream_writer: ProbeStream | None = None
        """--stream's one writer for every target."""
        self.event_log: EventLog | None = None
        self.actions: AlertActions | None = None
        """--events' one file for every target."""
        self._closed = False
        self.set_names(config.names, config.aslookup)

    @classmethod
    def open(cls, config: Config, preload: Iterable[str] = ()) -> ManyTraces:
        """Sockets, targets and engines (SetupError when that is impossible)."""
        opened = open_targets(config, preload)
        traces: list[LiveTrace] = []
        writer: ProbeStream | None = None
        log: EventLog | None = None
        try:
            agent = serve_metrics(config, list(config.hosts)) if config.metrics else None
            parts = agent.parts if agent is not None else None
            writer = open_stream(config, agent) if config.stream is not None else None
            if config.events_file is not None:
                log = open_event_log(config, config.hosts[0])
            # each trace is one target's, with nothing of its own to open or serve
            alone = config._replace(
                metrics=None,
                names=False,
                aslookup=False,
                stream=None,
                events_file=None,
                alert_command=None,
                alert_webhook=None,
            )
            actions = open_alert_actions(config)
            budget = TriageBudget()
            for index, host in enumerate(config.hosts):
                events: deque[EngineEvent] = deque()
                streams: list[TargetStream] = []
                sink = queue_sink(events, streams if writer is not None else None)
                one = alone.for_target(index)
                session = open_session(one, sink, opened=opened[index])
                trace = LiveTrace(session, events, budget)
                trace.metrics = parts[index] if parts else None
                if writer is not None:
                    trace.attach_stream(writer, host, streams)
                if log is not None:
                    trace.attach_events(log.for_target(host))
                trace.attach_actions(actions)
                traces.append(trace)
        except BaseException:
            for trace in traces:
                trace.close()
            close_opened(opened[len(traces) :])
            if writer is not None:
                writer.close()
            if log is not None:
                log.close()
            raise
        many = cls(config, traces)
        many.stream_writer = writer
        many.event_log = log
        many.actions = actions
        return many

    # ---------------------------------------------------------------- lifecycle
    @property
    def current(self) -> LiveTrace:
        return self.traces[self.shown]

    @property
    def info(self) -> TraceInfo:
        return self.current.info

    @property
    def methods(self) -> frozenset[ProbeMethod]:
        return self.current.methods

    def start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(
                target=self._scheduler.run_in_thread, name="tracetui-engines", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._scheduler.stop()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_SECONDS)
        for trace in self.traces:
            trace.close()
        if self.stream_writer is not None:
            self.stream_writer.close()
        if self.event_log is not None:
            self.event_log.close()
        if self.actions is not None:
            self.actions.close()
        if self._names is not None:
            self._names.stop()

    @property
    def failure(self) -> str | None:
        error = self._scheduler.error
        if error is None:
            return None
        return str(error) or type(error).__name__

    # ---------------------------------------------------------------- snapshots
    def snapshot(self, timeline: int = 0) -> PathView:
        """The shown target's view; the others folded, and some of them diagnosed."""
        now = time.monotonic()
        count = len(self.traces)
        budget = OTHERS_PER_FRAME
        every = diagnosis_interval(count)  # as reports do (run/cadence.py)
        for step in range(count):
            index = (self._turn + step) % count
            if index == self.shown:
                continue
            trace = self.traces[index]
            if budget and now - self._diagnosed_at[index] >= every:
                budget -= 1
                self._diagnosed_at[index] = now
                self._remember(index, trace.snapshot())
                self._turn = index + 1
            else:
                trace.fold()
        view = self.current.snapshot(timeline)
        self._remember(self.shown, view)
        self._diagnosed_at[self.shown] = now
        return view

    def _remember(self, index: int, view: PathView) -> None:
        self._lines[index] = target_line(self.targets[index], view, view.info.target)

    def overview(self) -> tuple[TargetLine, ...]:
        """One line per target, from its latest diagnosed snapshot."""
        return tuple(self._lines)

    def all_finished(self) -> bool:
        """Each target's model has seen its engine finish (every frame folds them all)."""
        return all(trace.session.model.finished for trace in self.traces)

    def show_target(self, index: int) -> None:
        self.shown = index % len(self.traces)

    def snapshots(self, timeline: int = 0) -> list[PathView]:
        """Every target's view now, each diagnosed (``--report-on-exit``)."""
        views = [trace.snapshot(timeline) for trace in self.traces]
        for index, view in enumerate(views):
            self._remember(index, view)
        return views

    # ----------------------------------------------------------------- commands
    def pause(self, paused: bool) -> None:
        for trace in self.traces:
            trace.pause(paused)

    def reset(self) -> None:
        self.current.reset()

    def switch_method(self, method: ProbeMethod) -> None:
        self.current.switch_method(method)

    def configure(self, changes: Mapping[str, int | float]) -> None:
        self.current.configure(changes)

    def set_timeline(self, seconds: float | None, back: float = 0.0, points: int = 0) -> None:
        for trace in self.traces:
            trace.set_timeline(seconds, back, points)

    def set_focus(self, focus: tuple[float, float] | None) -> None:
        """Every target's: their clocks are the scheduler's one clock."""
        for trace in self.traces:
            trace.set_focus(focus)

    def set_window(self, seconds: float | None) -> None:
        for trace in self.traces:
            trace.set_window(seconds)

    def set_names(self, names: bool, asn: bool) -> None:
        service = self._names
        if service is None and (names or asn or self._config.geoip is not None):
            own = self.traces[0].session.names  # a simulated source answers names itself
            service = self._names = open_names(self._config, asn, own)
            for trace in self.traces:
                trace.use_names(service)
        if service is not None:
            service.set_aslookup(asn)
            service.set_enabled(names or asn)
