"""The hop table: one row per hop, extra responders of a hop on rows beneath it.

Rows are keyed by hop (``h3``) and responder (``h3:198.18.3.2``). Each frame
updates only the cells whose text changed; the table is rebuilt only when its
shape changes (path length, a new responder, the column set, the width).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from tracetui.snapshot import LOST, PathView
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
HOST_SHARE = 36
MIN_HISTORY = 10
MAX_HISTORY = 60


@dataclass(frozen=True)
class TableLayout:
    """Column widths for a terminal width; cells carry their own one-space gutter."""

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
    def labels(self) -> tuple[Text, ...]:
        if self.chart:
            names = ("Hop", " Host", "Loss%", "Avg", " RTT over time (bars from 0 ms)")
        else:
            numbers = JITTER_COLUMNS if self.jitter else LATENCY_COLUMNS
            history = (" History",) if self.history_width else ()
            names = ("Hop", " Host", "Loss%", "Snt", *numbers, *history)
        return tuple(
            Text(name, justify="left" if name.startswith(" ") else "right") for name in names
        )

    @property
    def widths(self) -> list[int]:
        if self.chart:
            return [HOP_WIDTH, self.host_width, LOSS_WIDTH, NUMBER_WIDTH, self.history_width + 1]
        widths = [HOP_WIDTH, self.host_width, LOSS_WIDTH, SNT_WIDTH] + [NUMBER_WIDTH] * 5
        return widths + ([self.history_width + 1] if self.history_width else [])


def _right(text: str | Text) -> Text:
    cell = text if isinstance(text, Text) else Text(text)
    cell.justify = "right"
    return cell


def _strip(strip: Text) -> Text:
    return Text(" ").append_text(strip)


class HopTable(DataTable):
    """Reads snapshots; never touches the engine or the model."""

    DEFAULT_CSS = """
    HopTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kwargs)
        self.layout_spec: TableLayout | None = None
        self._shape: tuple[str, ...] = ()
        self._cells: dict[str, list[Text | str]] = {}
        self.show_names = True
        self.show_asn = False

    @property
    def selected_ttl(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or ""
        return int(key[1:].split(":")[0]) if key.startswith("h") else None

    def show(self, view: PathView, width: int, jitter: bool, chart: bool) -> None:
        host_need = max((self._host(hop.primary).cell_len for hop in view.hops), default=0)
        host_need = max(
            [host_need] + [4 + self._host(r).cell_len for h in view.hops for r in h.responders[1:]]
        )
        layout = TableLayout.fit(width, jitter, chart, host_need + 2)
        rows = self._rows(view, layout)
        shape = tuple(rows)
        if layout != self.layout_spec or shape != self._shape:
            self._rebuild(rows, layout)
            return
        for key, cells in rows.items():
            old = self._cells[key]
            for index, (new, previous) in enumerate(zip(cells, old, strict=True)):
                if new != previous:
                    self.update_cell(key, f"c{index}", new)
            self._cells[key] = cells

    def _rebuild(self, rows: dict[str, list[Text | str]], layout: TableLayout) -> None:
        selected = self.selected_ttl
        self.clear(columns=True)
        self.layout_spec = layout
        for index, (label, width) in enumerate(zip(layout.labels, layout.widths, strict=True)):
            self.add_column(label, width=width, key=f"c{index}")
        for key, cells in rows.items():
            self.add_row(*cells, key=key)
        self._shape = tuple(rows)
        self._cells = rows
        if selected is not None and f"h{selected}" in rows:
            self.move_cursor(row=self.get_row_index(f"h{selected}"), animate=False)

    def _host(self, responder) -> Text:
        return host_text(responder, self.show_names, self.show_asn)

    def _rows(self, view: PathView, layout: TableLayout) -> dict[str, list[Text | str]]:
        rows: dict[str, list[Text | str]] = {}
        chart_top = 0.0
        if layout.chart:
            values = [s for hop in view.hops for s in hop.history if s == s and s != LOST]
            chart_top = max(values, default=0.0)
        for hop in view.hops:
            hop_cell = _right(Text(str(hop.ttl), style="bold" if hop.is_destination else ""))
            host = Text(" ").append_text(self._host(hop.primary))
            if hop.is_destination:
                host.stylize("bold")
            loss = _right(loss_text(hop))
            if layout.chart:
                avg = _right(f"{hop.rtt.avg:.1f}" if hop.rtt.count else "-")
                strip = history_strip(
                    hop.history, layout.history_width, 0.0, chart_top, graded=False
                )
                rows[f"h{hop.ttl}"] = [hop_cell, host, loss, avg, _strip(strip)]
                continue
            numbers = jitter_cells(hop.rtt) if layout.jitter else latency_cells(hop.rtt)
            cells: list[Text | str] = [hop_cell, host, loss, _right(str(hop.sent))]
            cells += [_right(n) for n in numbers]
            if layout.history_width:
                low, high = own_range(hop.history[-layout.history_width :])
                strip = history_strip(hop.history, layout.history_width, low, high)
                cells.append(_strip(strip))
            rows[f"h{hop.ttl}"] = cells
            for extra in hop.responders[1:]:
                label = Text("  └ ", style="dim")
                label.append_text(self._host(extra))
                numbers = jitter_cells(extra.rtt) if layout.jitter else latency_cells(extra.rtt)
                extra_cells: list[Text | str] = ["", label, "", _right(f"{extra.received}r")]
                extra_cells += [_right(n) for n in numbers]
                if layout.history_width:
                    extra_cells.append("")
                rows[f"h{hop.ttl}:{extra.address}"] = extra_cells
        return rows
