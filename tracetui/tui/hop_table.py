"""The hop table: one row per hop, extra responders of a hop on rows beneath it.

A Line-API widget rather than a DataTable: each row is rendered to a strip
once and kept until its text changes, so a frame costs the rows that changed,
not the whole table (a DataTable re-renders every cell after any update, which
made the screen cost more CPU than mtr's whole process). Rows are keyed by hop
(``h3``) and responder (``h3:198.18.3.2``); the header is its own widget and
is rendered again only when the columns change.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from tracetui.snapshot import LOST, PathView, ResponderView
from tracetui.tui.format import (
    history_strip,
    host_text,
    jitter_cells,
    latency_cells,
    loss_text,
    own_range,
)

LATENCY_COLUMNS = ("Last", "Avg", "Best", "Wrst", "StDev")
JITTER_COLUMNS = ("Last", "Jttr", "Javg", "Jmax", "Jint")
HOP_WIDTH = 4
LOSS_WIDTH = 7
SNT_WIDTH = 6
NUMBER_WIDTH = 7
SCROLLBAR = 2
MIN_HOST = 16
MIN_HISTORY = 10
MAX_HISTORY = 60
LEFT = "left"
RIGHT = "right"


@dataclass(frozen=True)
class TableLayout:
    """Column labels and widths for a terminal width; cells carry a one-space gutter."""

    jitter: bool
    chart: bool
    host_width: int
    history_width: int

    @classmethod
    def fit(cls, total: int, jitter: bool, chart: bool, host_need: int) -> TableLayout:
        """Host gets what its longest label needs (within limits), history the rest."""
        if chart:
            free = total - HOP_WIDTH - LOSS_WIDTH - NUMBER_WIDTH - SCROLLBAR
            host = max(MIN_HOST, min(host_need, free - 3 * MIN_HISTORY))
            return cls(jitter, chart, host, max(MIN_HISTORY, free - host - 1))
        free = total - HOP_WIDTH - LOSS_WIDTH - SNT_WIDTH - 5 * NUMBER_WIDTH - SCROLLBAR
        host = max(MIN_HOST, min(host_need, free))
        history = min(MAX_HISTORY, free - host - 1)
        if history < MIN_HISTORY:
            return cls(jitter, chart, max(MIN_HOST, free), 0)
        return cls(jitter, chart, host, history)

    @property
    def columns(self) -> list[tuple[str, int, str]]:
        if self.chart:
            return [
                ("Hop", HOP_WIDTH, RIGHT),
                (" Host", self.host_width, LEFT),
                ("Loss%", LOSS_WIDTH, RIGHT),
                ("Avg", NUMBER_WIDTH, RIGHT),
                (" RTT over time (bars from 0 ms)", self.history_width + 1, LEFT),
            ]
        numbers = JITTER_COLUMNS if self.jitter else LATENCY_COLUMNS
        columns = [
            ("Hop", HOP_WIDTH, RIGHT),
            (" Host", self.host_width, LEFT),
            ("Loss%", LOSS_WIDTH, RIGHT),
            ("Snt", SNT_WIDTH, RIGHT),
            *((name, NUMBER_WIDTH, RIGHT) for name in numbers),
        ]
        if self.history_width:
            columns.append((" History", self.history_width + 1, LEFT))
        return columns

    @property
    def labels(self) -> list[str]:
        return [name.strip() for name, _, _ in self.columns]


def join_cells(cells: list[Text], layout: TableLayout) -> Text:
    """One table line: every cell cut or padded to its column, numbers to the right."""
    line = Text(no_wrap=True, end="")
    for cell, (_, width, align) in zip(cells, layout.columns, strict=True):
        text = cell.copy()
        text.truncate(width, overflow="ellipsis" if align == LEFT else "crop")
        pad = width - text.cell_len
        if align == RIGHT:
            line.append(" " * pad)
            line.append_text(text)
        else:
            line.append_text(text)
            line.append(" " * pad)
    return line


class TableHeader(Static):
    DEFAULT_CSS = """
    TableHeader { height: 1; text-style: bold; background: $panel; }
    """

    def show(self, layout: TableLayout) -> None:
        self.update(join_cells([Text(name) for name, _, _ in layout.columns], layout))


class HopTable(ScrollView, can_focus=True):
    """Reads snapshots; never touches the engine or the model."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor(-1000)", "First hop", show=False),
        Binding("end", "cursor(1000)", "Last hop", show=False),
    ]
    COMPONENT_CLASSES = {"hop-table--cursor"}
    DEFAULT_CSS = """
    HopTable { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; }
    HopTable > .hop-table--cursor { background: $accent 60%; text-style: bold; }
    """

    class Selected(Message):
        """The cursor moved to another row."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.layout_spec: TableLayout | None = None
        self.show_names = True
        self.show_asn = False
        self.cursor = 0
        self._keys: list[str] = []
        self._cells: dict[str, list[Text]] = {}
        self._strips: dict[str, Strip] = {}

    # --------------------------------------------------------------- reading
    @property
    def row_count(self) -> int:
        return len(self._keys)

    def row_texts(self, key: str) -> list[str]:
        """The plain text of each cell of a row (what tests and screen readers see)."""
        return [cell.plain for cell in self._cells[key]]

    @property
    def selected_ttl(self) -> int | None:
        if not self._keys:
            return None
        return int(self._keys[self.cursor][1:].split(":")[0])

    # -------------------------------------------------------------- updating
    def show(self, view: PathView, width: int, jitter: bool, chart: bool) -> None:
        host_need = max(
            [self._host(hop.primary).cell_len for hop in view.hops]
            + [4 + self._host(r).cell_len for hop in view.hops for r in hop.responders[1:]]
            + [0]
        )
        layout = TableLayout.fit(width, jitter, chart, host_need + 2)
        rows = self._rows(view, layout)
        selected = self._keys[self.cursor] if self._keys else None
        if layout != self.layout_spec:
            self.layout_spec = layout
            self._strips.clear()
            self._cells.clear()
            self.refresh()
        keys = list(rows)
        if keys != self._keys:
            self._keys = keys
            self.virtual_size = Size(width, len(keys))
            if selected in keys:
                self.cursor = keys.index(selected)
            else:
                self.cursor = min(self.cursor, max(0, len(keys) - 1))
            self._strips.clear()
            self.refresh()
        for index, (key, cells) in enumerate(rows.items()):
            if self._cells.get(key) != cells:
                self._cells[key] = cells
                self._strips.pop(key, None)
                self.refresh_line(index)

    def refresh_line(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def move_cursor(self, delta: int) -> None:
        if not self._keys:
            return
        old = self.cursor
        self.cursor = max(0, min(len(self._keys) - 1, self.cursor + delta))
        if self.cursor != old:
            self.refresh_line(old)
            self.refresh_line(self.cursor)
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False)
            self.post_message(self.Selected())

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(delta)

    def on_click(self, event) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._keys):
            self.move_cursor(row - self.cursor)

    # ------------------------------------------------------------- rendering
    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.size.width
        if index >= len(self._keys) or self.layout_spec is None:
            return Strip.blank(width, self.rich_style)
        key = self._keys[index]
        strip = self._strips.get(key)
        if strip is None:
            text = join_cells(self._cells[key], self.layout_spec)
            strip = self._strips[key] = Strip(list(text.render(self.app.console)))
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("hop-table--cursor")
        return strip.apply_style(base).crop_extend(0, width, self.rich_style)

    def _host(self, responder: ResponderView | None) -> Text:
        return host_text(responder, self.show_names, self.show_asn)

    def _rows(self, view: PathView, layout: TableLayout) -> dict[str, list[Text]]:
        rows: dict[str, list[Text]] = {}
        chart_top = 0.0
        if layout.chart:
            values = [s for hop in view.hops for s in hop.history if s == s and s != LOST]
            chart_top = max(values, default=0.0)
        for hop in view.hops:
            hop_cell = Text(str(hop.ttl), style="bold" if hop.is_destination else "")
            host = Text(" ").append_text(self._host(hop.primary))
            if hop.is_destination:
                host.stylize("bold")
            loss = loss_text(hop)
            if layout.chart:
                avg = Text(f"{hop.rtt.avg:.1f}" if hop.rtt.count else "-")
                strip = history_strip(
                    hop.history, layout.history_width, 0.0, chart_top, graded=False
                )
                rows[f"h{hop.ttl}"] = [hop_cell, host, loss, avg, Text(" ").append_text(strip)]
                continue
            numbers = jitter_cells(hop.rtt) if layout.jitter else latency_cells(hop.rtt)
            cells = [hop_cell, host, loss, Text(str(hop.sent)), *map(Text, numbers)]
            if layout.history_width:
                low, high = own_range(hop.history[-layout.history_width :])
                strip = history_strip(hop.history, layout.history_width, low, high)
                cells.append(Text(" ").append_text(strip))
            rows[f"h{hop.ttl}"] = cells
            for extra in hop.responders[1:]:
                label = Text("  └ ", style="dim").append_text(self._host(extra))
                numbers = jitter_cells(extra.rtt) if layout.jitter else latency_cells(extra.rtt)
                received = Text(f"{extra.received}r")
                extra_cells = [Text(), label, Text(), received, *map(Text, numbers)]
                if layout.history_width:
                    extra_cells.append(Text())
                rows[f"h{hop.ttl}:{extra.address}"] = extra_cells
        return rows
