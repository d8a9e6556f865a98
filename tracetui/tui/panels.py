"""The status header and the detail pane: read-only views of a snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tracetui.icmp_extensions import IcmpExtensions, decode_if_ready
from tracetui.path.diagnosis import HopVerdict
from tracetui.path.snapshot import HopView, PathView, has_rtt
from tracetui.probe.methods import METHODS
from tracetui.probe.types import ProbeMethod
from tracetui.textsafe import printable
from tracetui.tui.format import Labels, host_text, ms, rtt_chart
from tracetui.tui.palette import palette_of
from tracetui.tui.segments import text_strip
from tracetui.tui.verdicts import QUIET_LOSS, verdict_text

CHART_HEIGHT = 4


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _elapsed(view: PathView) -> str:
    seconds = max(0, int((view.taken - view.started).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours:d}:{rest // 60:02d}:{rest % 60:02d}"


class LinesPanel(Widget):
    """Shows lines of text, repainting only the lines that changed.

    A line wider than the panel wraps at word boundaries. Both panels redraw
    several times a second while most of their lines stay the same; Textual's
    general ``render()`` path would reflow and repaint all of them each time.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._given: list[Text] = []
        self._lines: list[Text] = []
        self._strips: dict[int, tuple[Style, int, Strip]] = {}
        self._width = 0
        self._line_style = Style.null()

    def set_lines(self, lines: list[Text]) -> None:
        width = self.size.width
        if lines == self._given and width == self._width:
            return
        self._given = lines
        wrapped = self._wrap(lines, width)
        if width != self._width or len(wrapped) != len(self._lines):
            self._width = width
            self._lines = wrapped
            self._strips.clear()
            self.refresh()
            return
        for y, (old, new) in enumerate(zip(self._lines, wrapped, strict=True)):
            if old != new:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))
        self._lines = wrapped

    def _wrap(self, lines: list[Text], width: int) -> list[Text]:
        if not width:
            return list(lines)
        wrapped: list[Text] = []
        for line in lines:
            if line.cell_len <= width:
                wrapped.append(line)
            else:
                wrapped.extend(line.wrap(self.app.console, width, overflow="fold"))
        return wrapped

    @property
    def plain(self) -> str:
        """What the panel shows, as plain text (for tests and screen readers)."""
        return "\n".join(line.plain for line in self._lines)

    def on_resize(self) -> None:
        self.set_lines(self._given)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self._line_style
        if y >= len(self._lines):
            return Strip.blank(width, style)
        kept = self._strips.get(y)
        if kept is not None and kept[1] == width and kept[0] == style:
            return kept[2]
        strip = text_strip(self._lines[y], self.app.console, style)
        strip = strip.crop_extend(0, width, style)
        self._strips[y] = (style, width, strip)
        return strip


_COMPACT_STEPS = ("methods", "every", "brand", "elapsed", "address")
"""What the first status line gives up, in this order, until it fits its width."""


class StatusBar(LinesPanel):
    """Target, method, family, interval, rounds, elapsed time, running or paused."""

    DEFAULT_CSS = """
    StatusBar { height: 3; padding: 0 1; background: $boost; }
    """

    def show(self, view: PathView, names: bool, notice: str, width: int) -> None:
        """``width``: the terminal's; lines are fitted to it, never wrapped."""
        width = max(20, width - 2)
        line = Text()
        for compact in range(len(_COMPACT_STEPS) + 1):
            line = self._first_line(view, set(_COMPACT_STEPS[:compact]))
            if line.cell_len <= width:
                break
        info = view.info
        second = Text(style="dim")
        second.append(f"from {info.source}  ")
        second.append("names on" if names else "names off (-n)")
        if not info.raw_sockets:
            second.append("   no root: ", style="bold")
            icmp = view.method is ProbeMethod.ICMP
            second.append(
                "ICMP through ping sockets" if icmp else "a port per probe (no fixed flow)"
            )
        if notice:
            second.append("   ")
            second.append(notice, style="italic")
        failed = view.ignored.get("send failed", 0)
        if failed:
            second.append(f"   {failed} probes not sent ({view.last_failure})", style="bold")
        ignored = {k: v for k, v in view.ignored.items() if v and k != "send failed"}
        if ignored:
            second.append(
                "   ignored: " + ", ".join(f"{v} {k}" for k, v in sorted(ignored.items()))
            )
        summary = view.diagnosis.summary if view.diagnosis is not None else ()
        verdict_line = Text(printable(summary[0]) if summary else "", style="bold")
        more = Text(f"  (+{len(summary) - 1} more: v)", style="dim") if len(summary) > 1 else Text()
        verdict_line.truncate(width - more.cell_len, overflow="ellipsis")
        verdict_line.append_text(more)
        lines = [line, verdict_line, second]
        for text in lines:
            text.truncate(width, overflow="ellipsis")
        self.set_lines(lines)

    def _first_line(self, view: PathView, compact: set[str]) -> Text:
        """Target, method, family, interval, round, time, state; ``compact`` names the
        parts given up (or shortened) to fit a narrow terminal, in _COMPACT_STEPS order."""
        palette = palette_of(self.app)
        info = view.info
        line = Text()
        if "brand" not in compact:
            line.append("tracetui ", style="bold")
            line.append("→ ")
        line.append(printable(info.target_name), style="bold")
        if info.target_name != info.target and "address" not in compact:
            line.append(f" ({info.target})")
        line.append("  ")
        for method, spec in METHODS.items():
            active = method is view.method
            if active or "methods" not in compact:
                line.append(f" {spec.label} ", style="reverse bold" if active else "dim")
        every = f"{info.interval:g}s" if "every" in compact else f"every {info.interval:g}s"
        line.append(f"  IPv{int(info.family)}  {every}  ")
        line.append(f"round {view.rounds}  ")
        if "elapsed" not in compact:
            line.append(f"{_elapsed(view)}  ")
        if view.focus is not None:
            line.append("focus  ", style="bold")
        elif view.window is not None:
            line.append(f"last {_span(view.window)}  ", style="bold")
        if view.finished:
            line.append("■ done", style="bold")
        elif view.paused:
            line.append(" PAUSED ", style=palette.paused)
        elif info.replay_speed is not None:
            line.append(f"▶ replay ×{info.replay_speed:g}", style=palette.running)
        else:
            line.append("● running", style=palette.running)
        return line


def _extension_lines(extensions: IcmpExtensions) -> list[Text]:
    """What the responder's ICMP extensions say: its MPLS label stack (top first, in
    mtr's notation) and the interface the probe came in on (RFC 5837)."""
    lines = []
    if extensions.mpls:
        stack = " ".join(
            f"[Lbl {m.label} TC {m.tc} S {int(m.bottom)} TTL {m.ttl}]" for m in extensions.mpls
        )
        lines.append(Text(f"  MPLS {stack}", style="dim"))
    interface = extensions.incoming
    if interface is not None:
        parts = [printable(interface.name, 64)] if interface.name else []
        details = []
        if interface.address:
            details.append(interface.address)
        if interface.index is not None:
            details.append(f"ifindex {interface.index}")
        if interface.mtu is not None:
            details.append(f"MTU {interface.mtu}")
        if details:
            parts.append(f"({', '.join(details)})")
        lines.append(Text(f"  {interface.role} interface {' '.join(parts)}", style="dim"))
    return lines


def rtt_histogram(samples: Sequence[float], width: int, height: int) -> list[Text]:
    """The rounds' round trips in ``height - 1`` equal bins from the fastest to the
    slowest, a bar each: where the times cluster, and how long the tail is."""
    values = [s for s in samples if has_rtt(s)]
    bins = max(1, height - 1)
    head = Text(f"RTT histogram, last {len(values)} replies (g: over time)", style="dim")
    if not values:
        return [head, Text("no replies yet", style="dim")]
    low, high = min(values), max(values)
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / step))] += 1
    label_width = len(f"{ms(high)}-{ms(high)} ms ")
    bar_width = max(1, width - label_width - 8)
    top = max(counts)
    lines = [head]
    for index, count in enumerate(counts):
        lo = low + index * step
        label = f"{ms(lo)}-{ms(lo + step)} ms"
        bar = "█" * round(count / top * bar_width) if count else ""
        lines.append(Text(f"{label:>{label_width}} {bar} {count}"))
    return lines


class DetailPane(LinesPanel):
    """Everything about the selected hop: its responders, an RTT chart, AS numbers."""

    DEFAULT_CSS = """
    DetailPane { height: 11; border-top: solid $primary; padding: 0 1; }
    """

    def show(
        self,
        hop: HopView | None,
        verdict: HopVerdict | None,
        labels: Labels,
        width: int,
        rows: int = 10,
        *,
        histogram: bool = False,
    ) -> None:
        """``rows``: lines inside the pane; the RTT chart gets what the text leaves
        (over time, or as a histogram of the same rounds)."""
        if hop is None:
            self.set_lines([Text("No hop selected.", style="dim")])
            return
        palette = palette_of(self.app)
        title = Text(f"Hop {hop.ttl}", style="bold")
        if hop.is_destination:
            title.append("  (destination)", style=f"bold {palette.ok}")
        if not hop.on_path:
            title.append("  (no longer on the path)", style="bold")
        title.append(
            f"   sent {hop.sent}  received {hop.received}  lost {hop.lost}"
            f"  in flight {hop.in_flight}  loss {hop.loss_pct:.1f}%"
        )
        if hop.failed:
            title.append(f"  not sent {hop.failed}", style="bold")
        lines = [title]
        if verdict is not None:
            lines.append(
                Text.assemble(
                    verdict_text(verdict, palette), " ", (printable(verdict.reason, 400), "")
                )
            )
        lines += self._responder_lines(hop, labels)
        chart_height = min(CHART_HEIGHT, rows - len(lines) - 1)
        if chart_height < 1:
            self.set_lines(lines)
            return
        chart_width = max(10, width - 4)
        if histogram:
            self.set_lines([*lines, *rtt_histogram(hop.history, chart_width, chart_height)])
            return
        quiet = verdict is not None and verdict.verdict in QUIET_LOSS
        chart = rtt_chart(hop.history, chart_width, chart_height, quiet=quiet, palette=palette)
        scale = Text(
            f"RTT, last {min(chart_width, len(hop.history))} rounds, 0 to "
            f"{ms(max((s for s in hop.history if has_rtt(s)), default=0.0))} ms"
            + f"  ({palette.chart_legend[quiet]})",
            style="dim",
        )
        self.set_lines([*lines, scale, *chart])

    @staticmethod
    def _responder_lines(hop: HopView, shown: Labels) -> list[Text]:
        """Plain fixed-width lines: a Rich Table here cost more than the whole hop table.

        The detail pane names each responder fully: its name and its address.
        """
        full = Labels(names=shown.names, ips=True)
        labels = [host_text(r, full) for r in hop.responders]
        as_labels = []
        for responder in hop.responders:
            names = responder.names
            as_name = printable(names.as_label or "", 48)
            as_labels.append(f"{as_name} {names.as_prefix}" if names.as_prefix else as_name)
        host_width = max([len("Responder"), *(label.cell_len for label in labels)])
        as_width = max([len("AS"), *map(len, as_labels)])
        numbers = "{:>5} {:>6} {:>7} {:>7} {:>7} {:>7}"
        header = Text(
            f"{'Responder':<{host_width}}  {'AS':<{as_width}} "
            + numbers.format("Rcv", "Share", "Avg", "Best", "Wrst", "Javg"),
            style="bold",
        )
        lines = [header]
        for responder, label, as_label in zip(hop.responders, labels, as_labels, strict=True):
            share = 100.0 * responder.received / hop.received if hop.received else 0.0
            rtt = responder.rtt
            line = label.copy()
            line.append(" " * (host_width - label.cell_len + 2))
            line.append(f"{as_label:<{as_width}} ", style="dim")
            line.append(
                numbers.format(
                    responder.received,
                    f"{share:.0f}%",
                    ms(rtt.avg),
                    ms(rtt.best),
                    ms(rtt.worst),
                    ms(rtt.javg),
                )
            )
            place = " ".join(p for p in (responder.names.country, responder.names.city) if p)
            if place:
                line.append(f"  {printable(place, 52)}", style="dim")
            lines.append(line)
            lines += _extension_lines(decode_if_ready(responder.extension_data))
        if not hop.responders:
            what = "no answer from this hop" if hop.completed else "no answer from this hop yet"
            lines.append(Text(what, style="dim"))
        if hop.other_replies:
            lines.append(Text(f"+ {hop.other_replies} replies from further addresses"))
        return lines
