"""The live screen: a Textual app over a running engine.

The engine runs in its own thread and appends events to a deque; the app
folds them into the model on its own thread at a steady frame rate and
redraws from a snapshot. Keys become engine requests (thread-safe) or view
changes; the screen never waits on the network or on DNS.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from tracetui.events import EngineEvent
from tracetui.probe.types import ProbeMethod
from tracetui.report import ReportOptions, render
from tracetui.session import Session
from tracetui.snapshot import NameInfo, PathView
from tracetui.tui.hop_table import HopTable, TableHeader
from tracetui.tui.panels import DetailPane, StatusBar
from tracetui.tui.screens import ExportScreen, HelpScreen

FRAME_SECONDS = 0.25
DETAIL_SECONDS = 1.0


class NameService(Protocol):
    def request(self, address: str) -> None: ...

    def lookup(self, address: str) -> NameInfo | None: ...

    def set_enabled(self, enabled: bool) -> None: ...

    def set_aslookup(self, enabled: bool) -> None: ...


class EngineThread(threading.Thread):
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


# (key, action, footer label, help text); the single list behind BINDINGS, help and palette
KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("q", "quit", "Quit", "quit (also Ctrl+C)"),
    ("p", "pause", "Pause", "pause / resume probing"),
    ("r", "reset", "Reset", "reset statistics"),
    ("n", "toggle_names", "Names", "names on / off (addresses at once, cached names at once)"),
    ("z", "toggle_asn", "AS", "AS numbers on / off (Team Cymru DNS)"),
    ("j", "toggle_jitter", "Jitter", "latency columns / jitter columns (Jttr Javg Jmax Jint)"),
    ("d", "display_mode", "Display", "table with history strip / RTT chart of every hop"),
    ("u", "method('udp')", "UDP", "probe with UDP (restarts statistics)"),
    ("t", "method('tcp')", "TCP", "probe with TCP SYN (restarts statistics)"),
    ("i", "method('icmp')", "ICMP", "probe with ICMP echo (restarts statistics)"),
    ("e", "export", "Export", "export a report (text, JSON, CSV, Markdown)"),
    ("enter", "toggle_detail", "Detail", "show / hide the detail pane of the selected hop"),
    ("question_mark,h", "help", "Help", "this help"),
)


class TraceApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tracetui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        *(
            Binding(key, action, label, show=key not in ("enter", "z", "i", "question_mark,h"))
            for key, action, label, _ in KEYS
        ),
    ]

    def __init__(
        self,
        session: Session,
        events: deque[EngineEvent],
        names: NameService | None,
        show_names: bool,
        show_asn: bool,
        run_engine: bool = True,
        frame_seconds: float = FRAME_SECONDS,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.events = events
        self.names = names
        self.show_names = show_names
        self.show_asn = show_asn
        self.jitter = False
        self.chart = False
        self.detail = True
        self.notice = ""
        self.view: PathView | None = None
        self._run_engine = run_engine
        self._frame_seconds = frame_seconds
        self._export_dir = export_dir or Path.cwd()
        self._engine_thread: EngineThread | None = None
        self._detail_drawn = 0.0
        if names is not None:
            session.model.on_new_responder = names.request

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield TableHeader(id="header")
        yield HopTable(id="hops")
        yield DetailPane(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        # held directly: while a dialog is open, queries would search the dialog's screen
        self.hop_table = self.query_one(HopTable)
        self.table_header = self.query_one(TableHeader)
        self.status_bar = self.query_one(StatusBar)
        self.detail_pane = self.query_one(DetailPane)
        self.hop_table.focus()
        if self._run_engine:
            self._engine_thread = EngineThread(self.session)
            self._engine_thread.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.exit)
        self.refresh_frame()
        self.set_interval(self._frame_seconds, self.refresh_frame)

    def on_unmount(self) -> None:
        self.stop_engine()

    def stop_engine(self) -> None:
        self.session.engine.stop()
        if self._engine_thread is not None:
            self._engine_thread.join(timeout=2.0)

    # ------------------------------------------------------------------ frames
    def drain(self) -> None:
        events = self.events
        batch = []
        while events:
            batch.append(events.popleft())
        if batch:
            self.session.model.apply_all(batch)

    def snapshot(self) -> PathView:
        lookup = self.names.lookup if self.names is not None else None
        return self.session.model.snapshot(lookup, self.session.counters())

    def refresh_frame(self, detail_now: bool = False) -> None:
        """Fold new events and redraw what changed.

        The detail pane follows the selection at once but otherwise redraws once a
        second: repainting it every frame cost as much as the hop table itself.
        """
        self.drain()
        view = self.view = self.snapshot()
        table = self.hop_table
        table.show_names = self.show_names
        table.show_asn = self.show_asn
        layout = table.layout_spec
        table.show(view, self.size.width, self.jitter, self.chart)
        if table.layout_spec != layout and table.layout_spec is not None:
            self.table_header.show(table.layout_spec)
        engine = self.session.engine
        state = "done" if engine.finished else "paused" if engine.paused else "running"
        self.status_bar.show(view, state, self.show_names, self._status_notice(view))
        detail = self.detail_pane
        detail.display = self.detail
        now = time.monotonic()
        if self.detail and (detail_now or now - self._detail_drawn >= DETAIL_SECONDS):
            self._detail_drawn = now
            ttl = table.selected_ttl
            hop = next((h for h in view.hops if h.ttl == ttl), None)
            detail.show(hop, self.show_names, self.size.width)

    def _status_notice(self, view: PathView) -> str:
        thread = self._engine_thread
        if thread is not None and thread.error is not None:
            return f"probing stopped: {thread.error}"
        if self.session.engine.finished:
            return f"done: {view.rounds} rounds"
        if view.restart_reason not in ("start", ""):
            return view.restart_reason
        return self.notice

    def on_resize(self) -> None:
        if self.view is not None:
            self.refresh_frame(detail_now=True)

    def on_hop_table_selected(self, _event: HopTable.Selected) -> None:
        self.refresh_frame(detail_now=True)

    # ----------------------------------------------------------------- actions
    def action_pause(self) -> None:
        engine = self.session.engine
        engine.request_pause(not engine.paused)
        # the engine applies it on its next turn; show the requested state at once
        engine.paused = not engine.paused
        self.refresh_frame()

    def action_reset(self) -> None:
        self.session.engine.request_reset()
        self.notify("Statistics reset")

    def action_method(self, name: str) -> None:
        method = ProbeMethod(name)
        if method is self.session.engine.method:
            self.notify(f"Already probing with {method.upper()}")
            return
        try:
            self.session.engine.request_method(method)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"Switched to {method.upper()} probes; statistics restart")

    def action_toggle_names(self) -> None:
        self.show_names = not self.show_names
        self._sync_names()
        self.refresh_frame(detail_now=True)

    def action_toggle_asn(self) -> None:
        self.show_asn = not self.show_asn
        if self.names is not None:
            self.names.set_aslookup(self.show_asn)
        self._sync_names()
        self.refresh_frame(detail_now=True)

    def _sync_names(self) -> None:
        if self.names is None and (self.show_names or self.show_asn):
            from tracetui.tui.launch import make_names

            self.names = make_names(self.session.config, self.show_asn)
            self.session.model.on_new_responder = self.names.request
        if self.names is not None:
            self.names.set_enabled(self.show_names or self.show_asn)

    def action_toggle_jitter(self) -> None:
        self.jitter = not self.jitter
        self.refresh_frame()

    def action_display_mode(self) -> None:
        self.chart = not self.chart
        self.refresh_frame()

    def action_toggle_detail(self) -> None:
        self.detail = not self.detail
        self.refresh_frame(detail_now=True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_rows()))

    def action_export(self) -> None:
        info = self.session.info
        moment = self.view.taken if self.view is not None else datetime.now(UTC)
        stamp = moment.strftime("%Y%m%d-%H%M%S")
        target = "".join(c if c.isalnum() or c in ".-" else "_" for c in info.target_name)
        stem = f"tracetui-{target}-{stamp}"
        self.push_screen(ExportScreen(self._export_dir, stem, self.render_report), self._exported)

    def render_report(self, fmt: str) -> str:
        self.drain()
        view = self.snapshot()
        return render(view, fmt, ReportOptions(self.show_names, self.show_asn))

    def _exported(self, path: Path | None) -> None:
        if path is not None:
            self.notify(f"Report written to {path}", title="Exported")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, action, label, description in KEYS:
            if action == "quit":
                continue
            shown = key.split(",")[0].replace("question_mark", "?")
            yield SystemCommand(
                f"{label}: {description}", f"key {shown}", self._action_runner(action)
            )

    def _action_runner(self, action: str):
        async def run() -> None:
            await self.run_action(action)

        return run


def help_rows() -> list[tuple[str, str]]:
    rows = [(key.replace("question_mark", "?").replace(",", " "), text) for key, _, _, text in KEYS]
    return [*rows, ("↑ ↓", "select a hop"), ("Ctrl+P", "command palette: every action")]
