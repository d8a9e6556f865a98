"""The status header and the detail pane: read-only views of a snapshot."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tracetui.probe.types import ProbeMethod
from tracetui.snapshot import HopView, PathView
from tracetui.textsafe import printable
from tracetui.tui.format import host_text, ms, rtt_chart

CHART_HEIGHT = 4


def _elapsed(view: PathView) -> str:
    seconds = max(0, int((view.taken - view.started).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours:d}:{rest // 60:02d}:{rest % 60:02d}"


class StatusBar(Static):
    """Target, method, family, interval, rounds, elapsed time, running or paused."""

    DEFAULT_CSS = """
    StatusBar { height: 2; padding: 0 1; background: $boost; }
    """

    def show(self, view: PathView, paused: bool, names: bool, notice: str) -> None:
        info = view.info
        line = Text()
        line.append("tracetui ", style="bold")
        line.append("→ ")
        line.append(printable(info.target_name), style="bold")
        if info.target_name != info.target:
            line.append(f" ({info.target})")
        line.append("   ")
        for method in ProbeMethod:
            active = method is view.method
            label = f" {method.upper()} "
            line.append(label, style="reverse bold" if active else "dim")
        line.append(f"  IPv{int(info.family)}  every {info.interval:g}s  ")
        line.append(f"round {view.rounds}  {_elapsed(view)}  ")
        if paused:
            line.append(" PAUSED ", style="reverse yellow")
        else:
            line.append("● running", style="green")
        second = Text(style="dim")
        second.append(f"from {info.source}  ")
        second.append("names on" if names else "names off (-n)")
        if notice:
            second.append("   ")
            second.append(notice, style="italic")
        ignored = {k: v for k, v in view.counters.items() if v}
        if ignored:
            second.append(
                "   ignored: " + ", ".join(f"{v} {k}" for k, v in sorted(ignored.items()))
            )
        self.update(Group(line, second))


class DetailPane(Static):
    """Everything about the selected hop: its responders, an RTT chart, AS numbers."""

    DEFAULT_CSS = """
    DetailPane { height: auto; max-height: 14; border-top: solid $primary; padding: 0 1; }
    """

    def show(self, hop: HopView | None, show_names: bool, width: int) -> None:
        if hop is None:
            self.update(Text("No hop selected.", style="dim"))
            return
        title = Text(f"Hop {hop.ttl}", style="bold")
        if hop.is_destination:
            title.append("  (destination)", style="bold green")
        title.append(
            f"   sent {hop.sent}  received {hop.received}  lost {hop.lost}"
            f"  in flight {hop.in_flight}  loss {hop.loss_pct:.1f}%"
        )
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        for column, justify in (
            ("Responder", "left"),
            ("AS", "left"),
            ("Rcv", "right"),
            ("Share", "right"),
            ("Avg", "right"),
            ("Best", "right"),
            ("Wrst", "right"),
            ("Javg", "right"),
        ):
            table.add_column(column, justify=justify, style="dim" if column == "AS" else "")
        for responder in hop.responders:
            share = 100.0 * responder.received / hop.received if hop.received else 0.0
            names = responder.names
            as_text = Text(printable(names.as_label or "", 48))
            if names.as_prefix:
                as_text.append(f" {names.as_prefix}")
            table.add_row(
                host_text(responder, show_names, show_asn=False),
                as_text,
                str(responder.received),
                f"{share:.0f}%",
                ms(responder.rtt.avg),
                ms(responder.rtt.best),
                ms(responder.rtt.worst),
                ms(responder.rtt.javg),
            )
        if not hop.responders:
            table.add_row(
                Text("no answer from this hop yet", style="dim"), "", "", "", "", "", "", ""
            )
        if hop.other_replies:
            table.add_row(Text(f"+ {hop.other_replies} replies from further addresses"), *[""] * 7)
        chart_width = max(10, width - 4)
        chart = rtt_chart(hop.history, chart_width, CHART_HEIGHT)
        scale = Text(
            f"RTT, last {min(chart_width, len(hop.history))} rounds, 0 to "
            f"{ms(max((s for s in hop.history if s == s and s != float('inf')), default=0.0))} ms"
            "  (red: lost)",
            style="dim",
        )
        self.update(Group(title, table, scale, *chart))
