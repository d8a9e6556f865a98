"""The hop table: one row per hop, extra responders of a hop on rows beneath it.

A Line-API widget rather than a DataTable: each row is rendered to a strip
once and kept until its text changes, so a frame costs the rows that changed,
not the whole table (a DataTable re-renders every cell after any update, which
made the screen cost more CPU than mtr's whole process). Rows are keyed by hop
(``h3``) and responder (``h3:198.18.3.2``); the header is its own widget and
is rendered again only when the columns change. The statistics columns come
from :mod:`tracetui.columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from tracetui.columns import (
    COLUMNS,
    Column,
    RowStats,
    cell_text,
    columns_of,
    hop_stats,
    responder_stats,
)
from tracetui.icmp_extensions import MplsLabel, decode_if_ready
from tracetui.path.diagnosis import BranchVerdict
from tracetui.path.snapshot import (
    HISTORY_ROUNDS,
    BranchView,
    PathView,
    ResponderView,
    branches_said,
    has_rtt,
)
from tracetui.probe.types import ReplyKind
from tracetui.tui.format import Labels, history_strip, host_text, loss_text, own_range
from tracetui.tui.keys import TABLE_BINDINGS
from tracetui.tui.palette import palette_of
from tracetui.tui.segments import text_segments
from tracetui.tui.verdicts import (
    QUIET_LOSS,
    VERDICT_WIDTH,
    branch_verdict_text,
    branches_mark,
    verdict_text,
)

HOP_WIDTH = 4
SCROLLBAR = 2
MIN_HOST = 18
"""A leading space, 16 characters of name, the gutter."""
MIN_HISTORY = 10
MAX_HISTORY = HISTORY_ROUNDS
"""As wide as the rounds each hop keeps: a wide terminal shows four minutes at 1 s."""
LEFT = "left"
RIGHT = "right"
CHART_ORDER = "LA"
"""Loss% and Avg beside the chart of every hop."""


SCALE_STEPS = (1.0, 2.0, 5.0)
"""A chart's top is 1, 2 or 5 times a power of ten milliseconds: a scale that reads at
a glance and stays put while the slowest round trip moves a little."""


def chart_scale(slowest_ms: float, zoom: int = 0) -> float:
    """The chart's top: the first round value at or above the slowest round trip, then
    ``zoom`` steps down the 1-2-5 ladder (bars taller than the top are cut)."""
    import math

    if slowest_ms <= 0:
        return 1.0  # nothing to show yet
    exponent = math.floor(math.log10(slowest_ms))
    ladder = [step * 10.0**e for e in range(exponent - 6, exponent + 2) for step in SCALE_STEPS]
    index = next((i for i, value in enumerate(ladder) if value >= slowest_ms), len(ladder) - 1)
    return ladder[max(0, index - zoom)]


COMPACT_BELOW = 24
"""Host width under which number columns give up a character each (an 80-column screen)."""


@dataclass(frozen=True)
class TableLayout:
    """Column labels and widths for a terminal width.

    Left-aligned cells keep a one-space gutter on their right, numbers are
    right-aligned with room to spare; on a narrow screen (``compact``) number
    columns are one narrower and times of a second or more drop their decimal.
    """

    order: str
    chart: bool
    host_width: int
    history_width: int
    verdicts: bool = True
    compact: bool = False
    chart_top: float = 0.0
    """Milliseconds at the top of the chart's bars (chart mode)."""
    zoomed: bool = False

    @classmethod
    def fit(
        cls, total: int, order: str, chart: bool, host_need: int, verdicts: bool = True
    ) -> TableLayout:
        """Host gets what its longest label needs (within limits), history the rest."""
        if chart:
            order = CHART_ORDER
        statistics = columns_of(order)
        fixed = HOP_WIDTH + SCROLLBAR + (VERDICT_WIDTH if verdicts else 0)
        free = total - fixed - sum(column.width for column in statistics)
        compact = min(host_need, free) < COMPACT_BELOW and not chart
        if compact:
            free += len(statistics)
        if chart:
            host = max(MIN_HOST, min(host_need, free - 3 * MIN_HISTORY))
            return cls(order, chart, host, max(MIN_HISTORY, free - host - 1), verdicts)
        host = max(MIN_HOST, min(host_need, free))
        history = min(MAX_HISTORY, free - host - 1)
        if history < MIN_HISTORY:
            return cls(order, chart, max(MIN_HOST, free), 0, verdicts, compact)
        return cls(order, chart, host, history, verdicts, compact)

    @property
    def statistics(self) -> list[Column]:
        return columns_of(self.order)

    @property
    def columns(self) -> list[tuple[str, int, str]]:
        columns = [("Hop", HOP_WIDTH, RIGHT), (" Host", self.host_width, LEFT)]
        if self.verdicts:
            columns.append(("Verdict", VERDICT_WIDTH, LEFT))
        narrower = 1 if self.compact else 0
        columns += [(column.label, column.width - narrower, RIGHT) for column in self.statistics]
        if self.chart:
            top = f"{self.chart_top:g} ms"
            label = f" RTT over time, bars 0 to {top}"
            label += " (zoomed: - to zoom out)" if self.zoomed else " (+ to zoom)"
            columns.append((label, self.history_width + 1, LEFT))
        elif self.history_width:
            columns.append((" History", self.history_width + 1, LEFT))
        return columns

    @property
    def labels(self) -> list[str]:
        return [name.strip() for name, _, _ in self.columns]


def join_cells(cells: list[Text], layout: TableLayout) -> Text:
    """One table line: every cell cut or padded to its column, numbers to the right."""
    line = Text(no_wrap=True, end="")
    columns = layout.columns
    last = len(columns) - 1
    for index, (cell, (_, width, align)) in enumerate(zip(cells, columns, strict=True)):
        text = cell.copy()
        if align == LEFT:
            room = width if index == last else width - 1
            text.truncate(room, overflow="ellipsis")
            line.append_text(text)
            line.append(" " * (width - text.cell_len))
            continue
        if text.cell_len >= width:
            text = _whole(text)
        text.truncate(width, overflow="crop")
        line.append(" " * (width - text.cell_len))
        line.append_text(text)
    return line


def row_strip(
    cells: list[Text], layout: TableLayout, console: Console, under: Style | None = None
) -> Strip:
    """``join_cells`` straight to a strip: the same cells, cut and padded the same way,
    without building a line of text first (this runs for every row of every frame)."""
    segments: list[Segment] = []
    columns = layout.columns
    if len(cells) < len(columns):
        # a row of fewer cells: its last cell spans the columns left (a label stack row)
        span = sum(width for _, width, _ in columns[len(cells) - 1 :])
        columns = [*columns[: len(cells) - 1], ("", span, LEFT)]
    last = len(columns) - 1
    blank = under or Style.null()
    total = 0
    for index, (cell, (_, width, align)) in enumerate(zip(cells, columns, strict=True)):
        length = cell.cell_len
        if align == LEFT:
            room = width if index == last else width - 1
            if length > room:
                cell = cell.copy()
                cell.truncate(room, overflow="ellipsis")
                length = cell.cell_len
            segments += text_segments(cell, console, under)
            if width > length:
                segments.append(Segment(" " * (width - length), blank))
        else:
            if length >= width:
                cell = _whole(cell)
                if cell.cell_len > width:
                    cell = cell.copy()
                    cell.truncate(width, overflow="crop")
                length = cell.cell_len
            if width > length:
                segments.append(Segment(" " * (width - length), blank))
            segments += text_segments(cell, console, under)
        total += max(width, length)
    return Strip(segments, total)


def _whole(text: Text) -> Text:
    """``1234.5`` as ``1235``: a number that would fill its column loses its decimal."""
    try:
        value = float(text.plain)
    except ValueError:
        return text
    return Text(str(round(value)), style=text.style, end="")


class TableHeader(Static):
    DEFAULT_CSS = """
    TableHeader { height: 1; text-style: bold; background: $panel; }
    """

    def show(self, layout: TableLayout) -> None:
        self.update(join_cells([Text(name) for name, _, _ in layout.columns], layout))


class HopTable(ScrollView, can_focus=True):
    """Reads snapshots; never touches the engine or the model."""

    BINDINGS = [*TABLE_BINDINGS]
    COMPONENT_CLASSES = {"hop-table--cursor"}
    DEFAULT_CSS = """
    HopTable { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; }
    HopTable > .hop-table--cursor { background: $accent 60%; text-style: bold; }
    """

    class Selected(Message):
        """The cursor moved to another row."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout_spec: TableLayout | None = None
        self.labels = Labels()
        self.mpls = False
        """Rows under each hop for its MPLS label stack (mtr's e)."""
        self.branches = True
        """With --multipath: each branch of a balanced hop on a row beneath it (B)."""
        self.cursor = 0
        self._keys: list[str] = []
        self._cells: dict[str, list[Text]] = {}
        self._strips: dict[str, tuple[Style, int, Strip]] = {}
        """Each row's finished strip, with the line style and width it was made for."""
        self._line_style = Style.null()

    # --------------------------------------------------------------- reading
    @property
    def row_count(self) -> int:
        return len(self._keys)

    def row_texts(self, key: str) -> list[str]:
        """The plain text of each cell of a row (what tests and screen readers see)."""
        return [cell.plain for cell in self._cells[key]]

    @property
    def selected_key(self) -> str | None:
        """``h3`` (a hop), ``h3:198.18.3.2`` (a responder under it), ``h3:mpls0`` (a label)."""
        return self._keys[self.cursor] if self._keys else None

    @property
    def selected_ttl(self) -> int | None:
        if not self._keys:
            return None
        return int(self._keys[self.cursor][1:].split(":")[0])

    # -------------------------------------------------------------- updating
    def show(self, view: PathView, width: int, *, order: str, chart: bool, zoom: int = 0) -> None:
        host_need = max(
            [self._host(hop.primary).cell_len for hop in view.hops]
            + [4 + self._host(r).cell_len for hop in view.hops for r in hop.responders[1:]]
            + [0]
        )
        verdicts = view.diagnosis is not None
        layout = TableLayout.fit(width, order, chart, host_need + 2, verdicts)
        if layout.chart:
            values = [s for hop in view.hops for s in hop.history if has_rtt(s)]
            top = chart_scale(max(values, default=0.0), zoom)
            layout = replace(layout, chart_top=top, zoomed=zoom > 0)
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
            hop_key = selected.split(":")[0] if selected else None
            if selected in keys:
                self.cursor = keys.index(selected)
            elif hop_key in keys:
                # a row under a hop went away (labels hidden, a responder gone): its hop
                self.cursor = keys.index(hop_key)
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

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._keys):
            self.move_cursor(row - self.cursor)

    # ------------------------------------------------------------- rendering
    def render_lines(self, crop: Region) -> list[Strip]:
        # the widget's style, computed once per paint rather than once per line
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.size.width
        style = self._line_style
        if index >= len(self._keys) or self.layout_spec is None:
            return Strip.blank(width, style)
        key = self._keys[index]
        if index == self.cursor:
            cursor = style + self.get_component_rich_style("hop-table--cursor")
            strip = row_strip(self._cells[key], self.layout_spec, self.app.console, cursor)
            return strip.crop_extend(0, width, style)
        kept = self._strips.get(key)
        if kept is not None and kept[1] == width and kept[0] == style:
            return kept[2]
        strip = row_strip(self._cells[key], self.layout_spec, self.app.console, style)
        strip = strip.crop_extend(0, width, style)
        self._strips[key] = (style, width, strip)
        return strip

    def _host(self, responder: ResponderView | None, width: int = 0) -> Text:
        return host_text(responder, self.labels, width, palette_of(self.app))

    def _rows(self, view: PathView, layout: TableLayout) -> dict[str, list[Text]]:
        rows: dict[str, list[Text]] = {}
        statistics = layout.statistics
        chart_top = layout.chart_top
        diagnosis = view.diagnosis
        palette = palette_of(self.app)
        for hop in view.hops:
            hop_cell = Text(str(hop.ttl), style="bold" if hop.is_destination else "")
            host = Text(" ").append_text(self._host(hop.primary, layout.host_width - 2))
            if hop.span > 1:
                host.append(f" ×{hop.span} TTLs", style="dim")
            found = view.multipath.at(hop.ttl) if view.multipath is not None else None
            if found is not None and len(found.interfaces) > 1:
                host.append(f" {branches_mark(found, view.multipath)}", style="dim")
            if not hop.on_path:
                host.append(" (left the path)", style="dim")
                host.stylize("dim")
            if hop.is_destination:
                host.stylize("bold")
            row = hop_stats(hop)
            cells = [hop_cell, host]
            verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
            if layout.verdicts:
                cells.append(verdict_text(verdict, palette))
            quiet = verdict is not None and verdict.verdict in QUIET_LOSS
            cells += [
                loss_text(hop, quiet, palette)
                if column is COLUMNS["L"]
                else Text(cell_text(column, row))
                for column in statistics
            ]
            if layout.chart:
                strip = history_strip(
                    hop.history,
                    layout.history_width,
                    0.0,
                    chart_top,
                    graded=False,
                    quiet=quiet,
                    palette=palette,
                )
                cells.append(Text(" ").append_text(strip))
            elif layout.history_width:
                low, high = own_range(hop.history[-layout.history_width :])
                strip = history_strip(
                    hop.history, layout.history_width, low, high, quiet=quiet, palette=palette
                )
                cells.append(Text(" ").append_text(strip))
            rows[f"h{hop.ttl}"] = cells
            if self.mpls and hop.primary is not None:
                stack = decode_if_ready(hop.primary.extension_data).mpls
                for index, label in enumerate(stack):
                    rows[f"h{hop.ttl}:mpls{index}"] = self._label_row(label, layout)
            if layout.chart:
                continue
            watched = view.multipath.branches_at(hop.ttl) if view.multipath is not None else ()
            if self.branches and watched:
                judged = {(v.ttl, v.address): v for v in diagnosis.branches} if diagnosis else {}
                for index, branch in enumerate(watched):
                    rows[f"h{hop.ttl}:branch:{branch.address}"] = self._branch_row(
                        branch,
                        judged.get((hop.ttl, branch.address)),
                        index == len(watched) - 1,
                        layout,
                    )
                if found is not None and view.multipath is not None:
                    said = branches_said(found, view.multipath.confidence)
                    line = Text(f"    {said}", style="dim")
                    rows[f"h{hop.ttl}:branches"] = [Text(), line]  # the line spans the row
                continue
            for extra in hop.responders[1:]:
                rows[f"h{hop.ttl}:{extra.address}"] = self._responder_row(extra, layout)
        return rows

    def _branch_row(
        self, branch: BranchView, verdict: BranchVerdict | None, last: bool, layout: TableLayout
    ) -> list[Text]:
        """Under its hop: one branch as its own flow saw it, with its own loss and verdict."""
        palette = palette_of(self.app)
        responder = ResponderView(
            branch.address, branch.names, branch.received, branch.rtt, ReplyKind.TIME_EXCEEDED, 0
        )
        label = Text("  └ " if last else "  ├ ", style="dim").append_text(
            self._host(responder, layout.host_width - 5)
        )
        if branch.moved:
            label.append(f" moved {branch.moved}", style="dim")
        row = RowStats(
            branch.sent,
            branch.received,
            branch.lost,
            branch.loss_pct if branch.received + branch.lost else None,
            branch.rtt,
        )
        cells = [Text(), label]
        if layout.verdicts:
            cells.append(branch_verdict_text(verdict, palette))
        for column in layout.statistics:
            value = column.value(row)
            cells.append(Text() if value is None else Text(cell_text(column, row)))
        if layout.history_width:
            cells.append(Text())
        return cells

    def _label_row(self, label: MplsLabel, layout: TableLayout) -> list[Text]:
        """One entry of a hop's label stack, in the host column, as mtr's e shows it."""
        text = Text(
            f"   [MPLS: Lbl {label.label} TC {label.tc} S {int(label.bottom)} TTL {label.ttl}]",
            style="dim",
        )
        return [Text(), text]  # the label spans the row (see row_strip)

    def _responder_row(self, responder: ResponderView, layout: TableLayout) -> list[Text]:
        """Under its hop: the responder's own replies (``12r``) and times; no hop counts."""
        label = Text("  └ ", style="dim").append_text(self._host(responder, layout.host_width - 5))
        if not responder.current:
            label.append(" (gone)", style="dim")
        row = responder_stats(responder)
        cells = [Text(), label]
        if layout.verdicts:
            cells.append(Text())
        for column in layout.statistics:
            if column is COLUMNS["S"]:
                cells.append(Text(f"{responder.received}r"))
            elif column.value(row) is None:
                cells.append(Text())
            else:
                cells.append(Text(cell_text(column, row)))
        if layout.history_width:
            cells.append(Text())
        return cells
