"""Several targets on the screen (#15): a tab line, and the list of every target.

The tab line names each target with a mark of its state, so a glance shows
which path needs a look before switching to it (Trippy's keys: left and right).
The list (``l``) gives each target one line: reached, the worst verdict and
where, loss and RTT (average, best) at the destination; Enter shows the target
chosen.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tracetui.diagnose.overview import TargetLine
from tracetui.path.diagnosis import Verdict
from tracetui.textsafe import printable
from tracetui.tui.palette import Palette, palette_of
from tracetui.tui.panels import LinesPanel
from tracetui.tui.verdicts import verdict_text

TAB_NAME_WIDTH = 24
"""A long name is cut here on its tab (the list shows it whole)."""


def state_mark(line: TargetLine, palette: Palette) -> Text:
    """One glyph: ✓ reached and fine, ▶ loss starts on the path, ✗ not reached, … too early."""
    worst = line.worst.verdict if line.worst is not None else None
    if worst is None or not (line.reached or line.discovered):
        return Text("…", style=palette.aside)
    if not line.reached:
        return Text("✗", style=palette.unreachable)
    if worst is Verdict.LOSS_ORIGIN or worst is Verdict.LOSS_CARRIED:
        return Text("▶", style=palette.origin)
    return Text("✓", style=palette.ok)


class TargetTabs(LinesPanel):
    """One line: ``‹ 3 | 4 ✓ name | 5 ▶ other | … ›``, the shown target highlighted and kept
    in view however many targets there are."""

    DEFAULT_CSS = """
    TargetTabs { height: 1; padding: 0 1; background: $panel; }
    """

    def show(self, lines: tuple[TargetLine, ...], shown: int, width: int) -> None:
        """Only the tabs that fit are built: a thousand targets cost a frame a few."""
        palette = palette_of(self.app)
        width = max(20, width - 2)
        names = [_tab_name(line.target) for line in lines]
        # a tab is " N M NAME ": its number, its mark (one column) and its name
        sizes = [len(str(index + 1)) + cell_len(name) + 5 for index, name in enumerate(names)]
        hint = Text("  ←/→ target  l list", style="dim")
        first, last = shown, shown + 1
        used = sizes[shown] if sizes else 0

        def room(extra: int) -> bool:
            """Whether ``extra`` more columns fit beside the ‹N and N› marks still needed."""
            left = len(f"‹{first} ") if first > 0 else 0
            right = len(f" {len(sizes) - last}›") if last < len(sizes) else 0
            return used + extra + left + right <= width

        grew = True
        while grew:  # grow the window of tabs around the shown one, alternately
            grew = False
            if last < len(sizes) and room(sizes[last] + 1):
                used += sizes[last] + 1
                last += 1
                grew = True
            if first > 0 and room(sizes[first - 1] + 1):
                first -= 1
                used += sizes[first] + 1
                grew = True
        line = Text()
        if first > 0:
            line.append(f"‹{first} ", style="dim")
        for index in range(first, last):
            if index > first:
                line.append("│", style="dim")
            tab = Text(f" {index + 1} ")
            tab.append_text(state_mark(lines[index], palette))
            tab.append(f" {names[index]} ")
            if index == shown:
                tab.stylize("reverse bold")
            line.append_text(tab)
        if last < len(sizes):
            line.append(f" {len(sizes) - last}›", style="dim")
        if line.cell_len + hint.cell_len <= width:
            line.append_text(hint)
        line.truncate(width, overflow="ellipsis")
        self.set_lines([line])


def _tab_name(target: str) -> str:
    name = printable(target)
    return name if len(name) <= TAB_NAME_WIDTH else name[: TAB_NAME_WIDTH - 1] + "…"


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def overview_row(index: int, line: TargetLine, palette: Palette, name_width: int) -> Text:
    """One target as a row of the list: number, mark, name, reached, the worst verdict and
    its hop, and Loss% / Avg / Best at the destination, and the path's hops."""
    row = Text(f"{index + 1:>3} ")
    row.append_text(state_mark(line, palette))
    name = printable(line.target)
    if line.address and line.address != line.target:
        name += f" ({line.address})"
    if len(name) > name_width:
        name = name[: name_width - 1] + "…"
    row.append(f" {name:<{name_width}} ")
    row.append("yes " if line.reached else "no  ", style="" if line.reached else "bold")
    verdict = verdict_text(line.worst, palette)
    quiet = line.worst is None or line.worst.verdict in (Verdict.OK, Verdict.PENDING)
    if line.worst_ttl is not None and not quiet:
        verdict.append(f" @{line.worst_ttl}")
    verdict.truncate(VERDICT_COLUMN)
    verdict.pad_right(VERDICT_COLUMN - verdict.cell_len)
    row.append_text(verdict)
    loss = f"{line.loss_pct:.1f}%" if line.loss_pct is not None else "-"
    row.append(f" {loss:>6} {_ms(line.avg_ms):>7} {_ms(line.best_ms):>7} {line.hops:>4}")
    return row


VERDICT_COLUMN = 14
FIXED_COLUMNS = 4 + 1 + 2 + 4 + VERDICT_COLUMN + 7 + 8 + 8 + 5
"""Everything in a row but the name."""
OVERVIEW_HEADER = "  #   {target} Rch {verdict} Loss%     Avg    Best Hops"


class TargetsScreen(ModalScreen[int | None]):
    """Every target, one line each, refreshed once a second; Enter shows the one chosen."""

    BINDINGS = [Binding("escape,q,l", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    TargetsScreen { align: center middle; }
    TargetsScreen > Label { width: 100%; padding: 0 0; background: $panel; }
    TargetsScreen > OptionList, TargetsScreen > OptionList:focus {
        width: 100%; height: 1fr; border: none; padding: 0 0;
    }
    """

    def __init__(self, lines: Callable[[], tuple[TargetLine, ...]], shown: int) -> None:
        super().__init__()
        self._lines = lines
        self._shown = shown

    def _name_width(self) -> int:
        """What the terminal leaves the name (the scroll bar may take two columns)."""
        return max(12, min(48, self.app.size.width - FIXED_COLUMNS - 2))

    def compose(self) -> ComposeResult:
        header = OVERVIEW_HEADER.format(
            target="Target".ljust(self._name_width()),
            verdict="Worst verdict".ljust(VERDICT_COLUMN),
        )
        yield Label(Text(header, style="bold"))
        yield OptionList()
        yield Label(Text("Enter: show this target   Esc: back", style="dim"))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        self._fill(options)
        options.highlighted = self._shown
        options.focus()
        self.set_interval(1.0, lambda: self._fill(options))

    def _fill(self, options: OptionList) -> None:
        palette = palette_of(self.app)
        width = self._name_width()
        highlighted = options.highlighted
        rows = [
            Option(overview_row(index, line, palette, width), id=str(index))
            for index, line in enumerate(self._lines())
        ]
        options.clear_options()
        options.add_options(rows)
        if highlighted is not None:
            options.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)
