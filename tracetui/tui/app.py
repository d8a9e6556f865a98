"""The live screen: a Textual app over a running trace.

The trace (``tracetui.tui.control.TraceControl``) probes in its own thread; the app
asks it for a snapshot at a steady frame rate and redraws what changed. Keys
become trace commands or view changes; the screen never waits on the network
or on DNS, and never touches the engine or the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer

from tracetui import icmp_extensions
from tracetui.columns import JITTER_ORDER, LATENCY_ORDER
from tracetui.exits import EXIT_SIGNAL_BASE
from tracetui.inspector import inspect as inspect_packet
from tracetui.labels import IPINFO_WIDTHS
from tracetui.path.privacy import redact
from tracetui.path.snapshot import PathView
from tracetui.probe.types import ProbeMethod, ReplyKind
from tracetui.report import ReportOptions, render
from tracetui.report.formats import timeline_points
from tracetui.tui.control import TargetsControl
from tracetui.tui.format import Labels
from tracetui.tui.hop_table import HopTable, TableHeader
from tracetui.tui.keys import APP_BINDINGS, TARGET_ACTIONS, palette_bindings
from tracetui.tui.palette import palette_of
from tracetui.tui.panels import DetailPane, StatusBar
from tracetui.tui.screens import (
    EventsScreen,
    ExportScreen,
    HelpScreen,
    InspectorScreen,
    OrderScreen,
    SettingsScreen,
    help_rows,
)
from tracetui.tui.targets import TargetsScreen, TargetTabs
from tracetui.tui.timeline import LABEL, SCALE, SPANS, timeline_lines

FRAME_SECONDS = 0.25
"""Frames while the path is still being found: hops appear as they answer."""
STEADY_FRAME_SECONDS = 0.5
"""Frames once it is found. Two a second read as live, and cost half of four: the
screen stays under mtr's CPU at -i 0.1 (BENCHMARKS.md, figure 2). Keys, the
selection and commands redraw at once, whatever the pace."""
SIGNAL_GRACE = 3.0
WINDOWS = (None, 600.0, 60.0)
"""What ``w`` cycles through: the whole run, the last 10 minutes, the last minute."""
CHROME_ROWS = 5
"""Status bar (3), table header (1) and footer (1): what the table and detail pane share."""
DETAIL_ROWS = 11
DETAIL_MIN_ROWS = 6
"""Fewer rows than this and the pane, unasked, gives its room to the path."""
COMMAND_ECHO_SECONDS = 0.05
"""After a command, redraw this soon: the engine applies it within a loop turn."""


MAX_ZOOM = 9
"""Three decades below the slowest round trip: a 200 ms path at 0.2 ms a bar."""


class TraceApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tracetui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [*APP_BINDINGS]

    def __init__(
        self,
        trace: TargetsControl,
        *,
        labels: Labels | None = None,
        order: str = LATENCY_ORDER,
        chart: bool = False,
        mpls: bool = False,
        privacy_max_ttl: int = 0,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        on_theme: Callable[[str], None] | None = None,
        frame_seconds: float = FRAME_SECONDS,
        steady_frame_seconds: float = STEADY_FRAME_SECONDS,
        export_dir: Path | None = None,
        exit_when_finished: bool = False,
    ) -> None:
        """``exit_when_finished``: end once every target's rounds are done (mtr's -c)."""
        super().__init__()
        self._exit_when_finished = exit_when_finished
        self.trace = trace
        self.several = len(trace.targets) > 1
        """Several targets: tabs, the target list and the keys to switch."""
        self.labels = labels or Labels()
        self.order = order
        self.jitter = False
        self.chart = chart
        self.histogram = False
        self.timeline_span: int | None = None
        """Index in SPANS of the timeline shown in the detail pane (None: the hop's detail)."""
        self.timeline_back = 0.0
        """How far back (seconds) the timeline's span ends."""
        """The detail pane's RTT as a histogram (g) rather than over time."""
        self.chart_zoom = 0
        """Steps the chart's scale is below the slowest round trip (+ and - keys)."""
        self.mpls = mpls
        """mtr's -e and e key: each hop's MPLS label stack on rows under it."""
        self.branches = True
        """Branch rows under balanced hops, with --multipath (B)."""
        self.privacy_max_ttl = privacy_max_ttl
        """--privacy-max-ttl: hops 1 to N and the source hidden in every frame (and so in
        every report and copy made from one)."""
        if keymap:
            self.set_keymap(keymap)
        self._start_theme = theme
        self._theme_announced: str | None = None
        self._on_theme = on_theme
        self.detail_choice: bool | None = None
        """The user's Enter: show or hide the detail pane; None leaves it to the room."""
        self.detail = False
        """Whether the detail pane shows now."""
        self._detail_shown: tuple | None = None
        self.view: PathView | None = None
        self._frame_seconds = frame_seconds
        self._steady_frame_seconds = steady_frame_seconds
        self._frame_at = 0.0
        self._export_dir = export_dir or Path.cwd()

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        if self.several:
            yield TargetTabs(id="tabs")
        yield StatusBar(id="status")
        yield TableHeader(id="header")
        yield HopTable(id="hops")
        yield DetailPane(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # held directly: while a dialog is open, queries would search the dialog's screen
        self.hop_table = self.query_one(HopTable)
        self.table_header = self.query_one(TableHeader)
        self.status_bar = self.query_one(StatusBar)
        self.detail_pane = self.query_one(DetailPane)
        self.target_tabs = self.query_one(TargetTabs) if self.several else None
        self.hop_table.focus()
        if self._start_theme and self._start_theme in self.available_themes:
            self.theme = self._start_theme  # published later (call_next): not a user's pick
            self._theme_announced = self._start_theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.trace.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._signalled, signum)
        self.refresh_frame()
        self.set_interval(self._frame_seconds, self._frame_tick)

    def on_unmount(self) -> None:
        self.trace.close()

    def _theme_changed(self, theme: Theme) -> None:
        """Remember a theme picked in the command palette for the next run; never the
        one the run started with (a config file's theme is the file's, not a choice)."""
        if self._theme_announced is not None:
            self._theme_announced = None
            if theme.name == self._start_theme:
                return
        if self._on_theme is not None:
            self._on_theme(theme.name)

    @property
    def show_names(self) -> bool:
        return self.labels.names

    @property
    def shown_order(self) -> str:
        return JITTER_ORDER if self.jitter else self.order

    def report_options(self) -> ReportOptions:
        """Reports of what the screen shows (names, IP info, columns) with its verdicts."""
        labels = self.labels
        return ReportOptions(
            show_names=labels.names,
            show_asn=labels.info == 0,
            show_ips=labels.ips,
            order=self.order,
            ipinfo=labels.info,
            extra=True,
        )

    def _signalled(self, signum: int) -> None:
        """SIGTERM or SIGHUP: stop probing now, then leave the screen.

        After a hangup the terminal is gone, and restoring it can block for good
        (Textual's writer waits on a terminal nobody reads). Probing has stopped
        and the sockets are closed by then; a watchdog ends the process if the
        screen does not let go within ``SIGNAL_GRACE`` seconds.
        """
        self.trace.close()
        watchdog = threading.Timer(SIGNAL_GRACE, os._exit, args=(EXIT_SIGNAL_BASE + signum,))
        watchdog.daemon = True
        watchdog.start()
        self.exit()

    # ------------------------------------------------------------------ frames
    def _frame_tick(self) -> None:
        """The steady pace: every tick while the path is found, then every steady frame.

        With mtr's -c the run ends here once every target's rounds are done (after the
        frame that showed them), as mtr's screen does; --report-on-exit then prints."""
        if self._exit_when_finished and self.trace.all_finished():
            self.exit()
            return
        view = self.view
        since = time.monotonic() - self._frame_at
        if view is not None and view.discovered and since < self._steady_frame_seconds * 0.9:
            return
        self.refresh_frame()

    def refresh_frame(self, detail_now: bool = False) -> None:
        """Take a snapshot and redraw what changed.

        The detail pane follows the selection at once but otherwise redraws once a
        second: repainting it every frame cost as much as the hop table itself.
        """
        if self._frame_at and icmp_extensions.wanted():
            # replies carry ICMP extensions: load scapy now the first frame is up
            icmp_extensions.load_in_background()
        self._frame_at = time.monotonic()
        view = self.view = redact(self.trace.snapshot(), self.privacy_max_ttl)
        table = self.hop_table
        table.labels = self.labels
        table.mpls = self.mpls
        table.branches = self.branches
        layout = table.layout_spec
        table.show(
            view, self.size.width, order=self.shown_order, chart=self.chart, zoom=self.chart_zoom
        )
        if table.layout_spec != layout and table.layout_spec is not None:
            self.table_header.show(table.layout_spec)
        self.status_bar.show(view, self.show_names, self._status_notice(view), self.size.width)
        if self.target_tabs is not None:
            self.target_tabs.show(self.trace.overview(), self.trace.shown, self.size.width)

        detail = self.detail_pane
        height = self._detail_height(table.row_count)
        self.detail = height > 0
        detail.display = self.detail
        if not self.detail:
            return
        if detail.styles.height is None or detail.styles.height.value != height:
            detail.styles.height = height
            detail_now = True
        if self.timeline_span is not None:
            self._timeline_points(view)
            if view.timeline is not None:
                lines = timeline_lines(
                    view,
                    view.timeline,
                    SPANS[self.timeline_span],
                    height - 1,
                    palette_of(self),
                    focused=view.focus is not None,
                )
                detail.set_lines(lines)
                self._detail_shown = None
            return
        ttl = table.selected_ttl
        hop = next((h for h in view.hops if h.ttl == ttl), None)
        verdict = view.diagnosis.of(ttl) if view.diagnosis is not None and ttl else None
        shown = (hop, verdict, self.labels, self.size.width, height, self.histogram)
        if detail_now or shown != self._detail_shown:
            # in the same frame as the table: the pane never contradicts the row above it
            self._detail_shown = shown
            detail.show(
                hop, verdict, self.labels, self.size.width, height - 1, histogram=self.histogram
            )

    def _detail_height(self, table_rows: int) -> int:
        """Rows for the detail pane: all it wants where the table leaves room, fewer on a
        small terminal, none where the path needs the room (Enter decides otherwise)."""
        if self.detail_choice is False:
            return 0
        chrome = CHROME_ROWS + (1 if self.several else 0)  # the tab line
        room = self.size.height - chrome - table_rows
        if self.detail_choice:
            return max(DETAIL_MIN_ROWS, min(DETAIL_ROWS, room))
        return min(DETAIL_ROWS, room) if room >= DETAIL_MIN_ROWS else 0

    def _status_notice(self, view: PathView) -> str:
        failure = self.trace.failure
        if failure is not None:
            return f"probing stopped: {failure}"
        if view.finished:
            return f"done: {view.rounds} rounds"
        if view.restart_reason:
            return view.restart_reason
        firing = [rule for rule, on in view.diagnosis.alerts if on] if view.diagnosis else []
        if firing:
            return f"ALERT {', '.join(firing)}"
        if view.focus is not None:
            start, end = (view.wall(moment) for moment in view.focus)
            return f"focus {start:%H:%M}–{end:%H:%M} UTC (F: whole run)"
        return ""

    def _timeline_points(self, view: PathView) -> None:
        """Ask the trace for the timeline the pane can show (as wide as the terminal)."""
        assert self.timeline_span is not None
        points = max(10, self.size.width - LABEL - SCALE - 2)
        self.trace.set_timeline(SPANS[self.timeline_span], self.timeline_back, points)

    def _soon(self) -> None:
        """Show a command's effect as soon as the engine has applied it."""
        self.set_timer(COMMAND_ECHO_SECONDS, self.refresh_frame)

    def on_resize(self) -> None:
        if self.view is not None:
            self.refresh_frame(detail_now=True)

    def on_hop_table_selected(self, _event: HopTable.Selected) -> None:
        self.refresh_frame(detail_now=True)

    # ----------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The target keys exist only with several targets (else left and right stay the
        table's, and neither help nor the palette lists them)."""
        if action in TARGET_ACTIONS:
            return self.several
        return True

    def _show_target(self, index: int) -> None:
        self.trace.show_target(index)  # the selection stays on its hop: compare paths
        self.refresh_frame(detail_now=True)

    def action_next_target(self) -> None:
        if self.several:
            self._show_target(self.trace.shown + 1)

    def action_previous_target(self) -> None:
        if self.several:
            self._show_target(self.trace.shown - 1)

    def action_targets(self) -> None:
        if self.several:
            self.push_screen(
                TargetsScreen(self.trace.overview, self.trace.shown), self._target_chosen
            )

    def _target_chosen(self, index: int | None) -> None:
        if index is not None:
            self._show_target(index)

    def action_pause(self) -> None:
        paused = self.view.paused if self.view is not None else False
        self.trace.pause(not paused)
        self._soon()

    def action_reset(self) -> None:
        try:
            self.trace.reset()
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify("Statistics reset")
        self._soon()

    def action_method(self, name: str) -> None:
        method = ProbeMethod(name)
        if self.view is not None and method is self.view.method:
            self.notify(f"Already probing with {method.upper()}")
            return
        try:
            self.trace.switch_method(method)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        before = f"; {self.view.method.upper()}'s statistics are kept" if self.view else ""
        self.notify(f"Switched to {method.upper()} probes{before}")
        self._soon()

    def action_settings(self, field: str) -> None:
        """mtr's i f m s Q b: the settings dialog, at the field of the key pressed."""
        view = self.view
        if view is None:
            return
        info = view.info
        if info.replay_speed is not None:
            self.notify(
                "a replay shows the recorded run: its settings cannot change", severity="error"
            )
            return
        values = {
            "interval": info.interval,
            "first_ttl": info.first_ttl,
            "max_ttl": info.max_ttl,
            "size": info.size,
            "tos": info.tos,
            "pattern": info.pattern,
            "max_unknown": info.max_unknown,
        }
        screen = SettingsScreen(values, field, self.trace.configure, info.target_name)
        self.push_screen(screen, self._settings_applied)

    def _settings_applied(self, said: str | None) -> None:
        if said:
            self.notify(f"Settings: {said}")
            self._soon()

    def action_toggle_method(self, name: str) -> None:
        """mtr's u and t: that method, or back to ICMP when already probing with it."""
        method = ProbeMethod(name)
        current = self.view.method if self.view is not None else None
        self.action_method(ProbeMethod.ICMP.value if current is method else name)

    def _relabel(self, labels: Labels) -> None:
        self.labels = labels
        self.trace.set_names(*labels.lookups)
        self.refresh_frame(detail_now=True)

    def action_toggle_names(self) -> None:
        self._relabel(self.labels._replace(names=not self.labels.names))

    def action_cycle_hosts(self) -> None:
        """Names, then addresses, then both (mtr's -b at run time; mtr's b key is the bit
        pattern)."""
        labels = self.labels
        if labels.names and not labels.ips:
            labels = labels._replace(names=False)
        elif not labels.names:
            labels = labels._replace(names=True, ips=True)
        else:
            labels = labels._replace(ips=False)
        self._relabel(labels)

    def action_toggle_asn(self) -> None:
        self._relabel(self.labels._replace(info=None if self.labels.info == 0 else 0))

    def action_cycle_ipinfo(self) -> None:
        """mtr's y: AS number, prefix, country, registry, allocation date, then off."""
        info = self.labels.info
        following = 0 if info is None else (None if info + 1 >= len(IPINFO_WIDTHS) else info + 1)
        self._relabel(self.labels._replace(info=following))

    def action_edit_order(self) -> None:
        self.push_screen(OrderScreen(self.order), self._order_chosen)

    def _order_chosen(self, order: str | None) -> None:
        if order:
            self.order = order
            self.jitter = False
            self.refresh_frame()

    def action_toggle_jitter(self) -> None:
        self.jitter = not self.jitter
        self.refresh_frame()

    def action_display_mode(self) -> None:
        self.chart = not self.chart
        self.refresh_frame()

    def _run_seconds(self) -> float:
        view = self.view
        return (view.taken - view.started).total_seconds() if view is not None else 0.0

    def _timeline_moved(self, span: int | None, back: float = 0.0) -> None:
        """Show the timeline over SPANS[span] ending ``back`` seconds ago (None: close it)."""
        self.timeline_span, self.timeline_back = span, back
        if span is None:
            self.trace.set_timeline(None)
        else:
            self.detail_choice = True
        self.refresh_frame(detail_now=True)
        self._soon()

    def action_timeline(self) -> None:
        if self.timeline_span is not None:
            self._timeline_moved(None)
            return
        # the shortest span that holds the whole run (10 min for a short one)
        fits = [index for index, span in enumerate(SPANS) if span >= self._run_seconds()]
        self._timeline_moved(fits[0] if fits else len(SPANS) - 1)

    def action_timeline_span(self, steps: int) -> None:
        if self.timeline_span is None:
            self.action_timeline()
            return
        span = max(0, min(len(SPANS) - 1, self.timeline_span + steps))
        self._timeline_moved(span, self.timeline_back)

    def action_timeline_move(self, halves: int) -> None:
        if self.timeline_span is None:
            self.action_timeline()
            return
        span = SPANS[self.timeline_span]
        furthest = max(0.0, min(SPANS[-1], self._run_seconds() - span / 2))  # half holds the run
        back = max(0.0, min(furthest, self.timeline_back + halves * span / 2))
        self._timeline_moved(self.timeline_span, back)

    def action_focus_span(self) -> None:
        view = self.view
        if view is None:
            return
        if view.focus is not None:
            self.trace.set_focus(None)
            self.notify("The whole run again")
        elif self.timeline_span is None or view.timeline is None:
            self.notify("Open the timeline (T) and choose the span to focus on first")
            return
        else:
            span = SPANS[self.timeline_span]
            end = view.clock - self.timeline_back
            self.trace.set_focus((end - span, end))
            self.notify("Focus: table, verdicts, summary and events of the span shown")
        self._soon()

    def action_toggle_histogram(self) -> None:
        self.histogram = not self.histogram
        self.detail_choice = True  # the histogram is in the detail pane: show it
        self.refresh_frame()

    def action_zoom(self, steps: int) -> None:
        """The chart's scale one step down (in) or up (out) the 1-2-5 ladder; the chart
        shows when zooming from the table."""
        self.chart = True
        self.chart_zoom = max(0, min(MAX_ZOOM, self.chart_zoom + steps))
        self.refresh_frame()

    def action_toggle_branches(self) -> None:
        self.branches = not self.branches
        self.refresh_frame()

    def action_toggle_mpls(self) -> None:
        self.mpls = not self.mpls
        self.refresh_frame()

    def action_toggle_detail(self) -> None:
        self.detail_choice = not self.detail
        self.refresh_frame(detail_now=True)

    def action_events(self) -> None:
        diagnosis = self.view.diagnosis if self.view is not None else None
        summary = diagnosis.summary if diagnosis is not None else ()
        events = diagnosis.events if diagnosis is not None else ()
        self.push_screen(EventsScreen(summary, events))

    def action_cycle_window(self) -> None:
        current = self.view.window if self.view is not None else None
        following = (
            WINDOWS[(WINDOWS.index(current) + 1) % len(WINDOWS)] if current in WINDOWS else None
        )
        self.trace.set_window(following)
        self.notify(
            "Statistics over "
            + ("the whole run" if following is None else f"the last {following / 60:g} min")
        )
        self.refresh_frame(detail_now=True)

    def action_inspect(self) -> None:
        """The latest reply of the selected row's responder (the hop's own on a hop row)."""
        view = self.view
        key = self.hop_table.selected_key
        if view is None or key is None:
            return
        ttl, _, rest = key[1:].partition(":")
        hop = next((h for h in view.hops if h.ttl == int(ttl)), None)
        if hop is None or hop.primary is None:
            self.notify("No reply from this hop to inspect")
            return
        responder = next((r for r in hop.responders if r.address == rest), hop.primary)
        tcp = responder.kind in (ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET)
        inspection = inspect_packet(
            responder.last_packet,
            family=int(view.info.family),
            responder=responder.address,
            local=view.info.source,
            tcp=tcp,
        )
        self.push_screen(InspectorScreen(inspection))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_rows(self, self.screen.active_bindings.values())))

    def action_export(self) -> None:
        info = self.trace.info
        moment = self.view.taken if self.view is not None else datetime.now(UTC)
        stamp = moment.strftime("%Y%m%d-%H%M%S")
        target = "".join(c if c.isalnum() or c in ".-" else "_" for c in info.target_name)
        stem = f"tracetui-{target}-{stamp}"
        self.push_screen(ExportScreen(self._export_dir, stem, self.render_report), self._exported)

    def action_copy_report(self) -> None:
        """The text report of what the screen shows, as OSC 52 hands it to the terminal's
        clipboard (terminals that do not honour OSC 52 ignore it; the notice says so)."""
        self.copy_to_clipboard(self.render_report("text"))
        self.notify(
            "Text report copied to the clipboard (if your terminal takes OSC 52)",
            title="Copied",
        )

    def render_report(self, fmt: str) -> str:
        """A report of what the screen shows now (the last frame's snapshot)."""
        view = self.view
        points = timeline_points(fmt)
        if view is None or points:  # charts need the run's history, which frames do not carry
            view = redact(self.trace.snapshot(points), self.privacy_max_ttl)
        return render(view, fmt, self.report_options())

    def _exported(self, path: Path | None) -> None:
        if path is not None:
            self.notify(f"Report written to {path}", title="Exported")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in palette_bindings():
            if binding.action in TARGET_ACTIONS and not self.several:
                continue
            yield SystemCommand(
                f"{binding.description}: {binding.tooltip}",
                f"key {self.get_key_display(binding)}",
                self._action_runner(binding.action),
            )

    def _action_runner(self, action: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await self.run_action(action)

        return run
