"""Modal screens: key help, events, the inspector, columns, settings and the export dialog."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tracetui.columns import COLUMNS
from tracetui.inspector import Inspection
from tracetui.path.diagnosis import PathEvent
from tracetui.probe.tunables import TUNABLES, parse_changes, show_value
from tracetui.report import FORMATS
from tracetui.report.files import write_atomically
from tracetui.textsafe import printable
from tracetui.tui.keys import APP_BINDINGS, TABLE_BINDINGS
from tracetui.tui.verdicts import GLOSSARY

EXTRA_HELP = (("Ctrl+P", "command palette: every action", ""),)
COLUMN_HELP = (
    ("Hop", "the TTL: how many routers away (bold: the destination)"),
    (
        "Host",
        "who answered at that TTL: the name (n), the address, or both (a); ??? for no "
        "answer; a row of its own under a hop for every other address that answered there, "
        "with its reply count (12r) and times",
    ),
    ("Verdict", "what the loss means (see Verdicts below)"),
    (
        "History",
        "the last rounds, one character each: block height is the RTT within the "
        "hop's own range, ? a lost probe",
    ),
)
"""The columns that are not statistics; those explain themselves from tracetui.columns."""
HELP_NOTES = (
    "Loss% counts completed probes only: a probe still in flight is not lost. "
    "Snt counts probes sent; a probe the kernel refused to send is counted apart.",
    "Verdicts are decided from each hop's last 240 rounds with exact statistical tests, and "
    "change only when the evidence holds for three rounds; pings that confirm a rate limit "
    "never count in Snt or Loss%.",
    "The chart view (d) draws every hop's RTT from 0 ms to the slowest hop's, so hops can "
    "be compared; the history strip scales each hop to its own range.",
    "ignored: packets that reached us but answer none of the probes in flight: other "
    "programs' (foreign), a second copy (duplicate), after the timeout (late), from before "
    "a reset or method switch (stale), or not a well-formed reply (malformed).",
)


def help_rows(app: App, active: Iterable[ActiveBinding]) -> list[tuple[str, str, str]]:
    """One row per help text: the keys bound to it now (keymaps included), the text, and
    the binding ids a ``[keys]`` table in the config file remaps."""
    keys: dict[str, list[str]] = {}
    for entry in active:
        binding = entry.binding
        if binding.id is not None:
            keys.setdefault(binding.id, []).append(app.get_key_display(binding))
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for binding in (*APP_BINDINGS, *TABLE_BINDINGS):
        if binding.tooltip and binding.id in keys:
            shown, ids = rows.setdefault(binding.tooltip, ([], []))
            shown += [key for key in keys[binding.id] if key not in shown]
            ids.append(binding.id)
    return [
        (" ".join(shown), tooltip, " ".join(ids)) for tooltip, (shown, ids) in rows.items()
    ] + list(EXTRA_HELP)


def unused_name(directory: Path, stem: str, extension: str) -> Path:
    """``stem.ext``, or ``stem-2.ext``, ``stem-3.ext``... whichever does not exist yet."""
    candidate = directory / f"{stem}.{extension}"
    number = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{number}.{extension}"
        number += 1
    return candidate


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,h", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 90%;
                                  border: thick $primary; background: $surface; padding: 1 2; }
    HelpScreen .note { margin-top: 1; }
    HelpScreen Static { width: 1fr; }
    """

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(style="dim", no_wrap=True)
        for key, description, ids in self._keys:
            table.add_row(key, description, ids)
        columns = Table(box=None, show_header=False, padding=(0, 2), expand=True)
        columns.add_column(style="bold", no_wrap=True)
        columns.add_column(ratio=1)
        for label, meaning in COLUMN_HELP:
            columns.add_row(label, meaning)
        for column in COLUMNS.values():
            columns.add_row(column.label, f"{column.description}  (-o letter {column.letter})")
        verdicts = Table(box=None, show_header=False, padding=(0, 2), expand=True)
        verdicts.add_column(style="bold", no_wrap=True)
        verdicts.add_column(ratio=1)
        for label, meaning in GLOSSARY:
            verdicts.add_row(label, meaning)
        with VerticalScroll():
            yield Label(
                Text.assemble(
                    ("tracetui keys", "bold"), ("   (right: the id to remap it in [keys])", "dim")
                )
            )
            yield Static(table)
            yield Label(Text("Columns", style="bold"), classes="note")
            yield Static(columns)
            yield Label(Text("Verdicts (the column after Host)", style="bold"), classes="note")
            yield Static(verdicts)
            for note in HELP_NOTES:
                yield Static(Text(note, style="dim"), classes="note")


class EventsScreen(ModalScreen[None]):
    """The summary, then the path's events (oldest first), scrollable; text shown literally."""

    BINDINGS = [Binding("escape,q,v", "dismiss", "Close")]
    DEFAULT_CSS = """
    EventsScreen { align: center middle; }
    EventsScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 90%;
                                    border: thick $primary; background: $surface; padding: 1 2; }
    EventsScreen .events { margin-top: 1; }
    """

    def __init__(self, summary: tuple[str, ...], events: tuple[PathEvent, ...]) -> None:
        super().__init__()
        self._summary = summary
        self._events = events

    def compose(self) -> ComposeResult:
        summary = Text()
        for sentence in self._summary or ("No verdict yet.",):
            summary.append(f"• {printable(sentence, 400)}\n")
        events = Text()
        for event in self._events:
            local = event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            events.append(f"{local}  ", style="dim")
            events.append(f"{event.kind:<17}", style="bold")
            events.append(f"{printable(event.message, 400)}\n")
        if not self._events:
            events.append("Nothing has changed on the path since it was found.", style="dim")
        with VerticalScroll():
            yield Label(Text("What the path is doing", style="bold"))
            yield Static(summary)
            yield Label(Text(f"Events ({len(self._events)}, oldest first)", style="bold"))
            yield Static(events, classes="events")


class InspectorScreen(ModalScreen[None]):
    """A reply as scapy dissects it, then its bytes: scrollable, shown literally."""

    BINDINGS = [Binding("escape,q,x", "dismiss", "Close")]
    DEFAULT_CSS = """
    InspectorScreen { align: center middle; }
    InspectorScreen > VerticalScroll { width: 100; max-width: 100%; height: 90%;
                                       border: thick $primary; background: $surface;
                                       padding: 0 1; }
    """

    def __init__(self, inspection: Inspection) -> None:
        super().__init__()
        self._inspection = inspection

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(self._inspection.title, style="bold"))
            yield Static(Text("\n".join(self._inspection.lines)))

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()


class OrderScreen(ModalScreen[str | None]):
    """mtr's o: the statistics columns as a string of field letters."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    OrderScreen { align: center middle; }
    OrderScreen > Vertical { width: 76; max-width: 100%; height: auto; border: thick $primary;
                             background: $surface; padding: 1 2; }
    OrderScreen #error { color: $error; height: auto; }
    """

    def __init__(self, order: str) -> None:
        super().__init__()
        self._order = order

    def compose(self) -> ComposeResult:
        letters = Text()
        for column in COLUMNS.values():
            letters.append(f"{column.letter}", style="bold")
            letters.append(f" {column.label}  ")
        with Vertical():
            yield Label(Text("Columns, as mtr's field letters (space: a gap)", style="bold"))
            yield Static(letters)
            yield Input(value=self._order, id="order")
            yield Static("", id="error")
            yield Label(Text("Enter applies, Escape cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = event.value
        unknown = sorted({c for c in order if c != " " and c not in COLUMNS})
        if unknown or not order.strip():
            self.query_one("#error", Static).update(
                Text(f"Unknown field letters: {''.join(unknown) or '(none given)'}")
            )
            return
        self.dismiss(order)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SettingsScreen(ModalScreen[str | None]):
    """mtr's i f m s Q b prompts as one dialog (Trippy's settings dialog): the key pressed
    picks the field, Enter applies every field changed, Escape leaves them as they are.

    ``apply`` hands the changes to the trace; its ValueError (a range, first TTL above
    max TTL, a size too small for the method) stays in the dialog, to be corrected.
    The dialog returns what it changed, as the status line says it.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical { width: 78; max-width: 100%; height: auto; border: thick $primary;
                                background: $surface; padding: 0 1; }
    SettingsScreen Horizontal { height: 1; }
    SettingsScreen .label { width: 18; }
    SettingsScreen Input, SettingsScreen Input:focus { width: 12; height: 1; border: none;
                                                        padding: 0 1; }
    SettingsScreen Input:focus { background: $boost; text-style: bold; }
    SettingsScreen .hint { width: 1fr; padding-left: 1; color: $text-muted; }
    SettingsScreen #title { margin-bottom: 1; }
    SettingsScreen #error { color: $error; height: auto; }
    SettingsScreen #footnote { height: auto; margin-top: 1; }
    """

    def __init__(
        self,
        values: Mapping[str, int | float],
        focus: str,
        apply: Callable[[dict[str, int | float]], None],
        target: str,
    ) -> None:
        super().__init__()
        self._values = dict(values)
        self._focus = focus
        self._apply = apply
        self._target = target

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Probing settings for {self._target}", style="bold"), id="title")
            for field, tunable in TUNABLES.items():
                key = f"{tunable.key:>2} " if tunable.key else "   "
                value = self._values[field]
                with Horizontal():
                    yield Label(Text.assemble((key, "bold"), tunable.label), classes="label")
                    yield Input(f"{value:g}" if isinstance(value, float) else str(value), id=field)
                    unit = f"{tunable.unit}: " if tunable.unit else ""
                    yield Label(f"{unit}{tunable.hint}", classes="hint")
            yield Static("", id="error")
            yield Static(
                Text(
                    "Enter applies, Escape cancels, Tab moves on. Packet size and TOS start "
                    "new statistics (other packets, other numbers); the rest keep them.",
                    style="dim",
                ),
                id="footnote",
            )

    def on_mount(self) -> None:
        self.query_one(f"#{self._focus}", Input).focus()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        texts = {field: self.query_one(f"#{field}", Input).value for field in TUNABLES}
        try:
            values = parse_changes(texts)
            changes = {f: v for f, v in values.items() if v != self._values[f]}
            if changes:
                self._apply(changes)
        except ValueError as exc:
            self.query_one("#error", Static).update(Text(str(exc)))
            return
        said = ", ".join(f"{TUNABLES[f].name} {show_value(f, v)}" for f, v in changes.items())
        self.dismiss(said or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[Path | None]):
    """Pick a format and a file name; writes atomically and never replaces a file."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # before the focused field's own Enter (a radio button would only toggle)
        Binding("enter", "enter", "Export", priority=True),
    ]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 78; max-width: 100%; height: auto; border: thick $primary;
                              background: $surface; padding: 1 1; }
    ExportScreen RadioSet { width: 100%; layout: horizontal; }
    ExportScreen RadioSet > RadioButton { width: auto; margin-right: 1; }
    ExportScreen #error { color: $error; height: auto; }
    ExportScreen Horizontal { height: auto; margin-top: 1; }
    ExportScreen Button { margin-right: 2; }
    """

    def __init__(self, directory: Path, stem: str, render: Callable[[str], str]) -> None:
        super().__init__()
        self._directory = directory
        self._stem = stem
        self._make_report = render

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Export a report of the current state", style="bold"))
            with RadioSet(id="format"):
                for index, name in enumerate(FORMATS):
                    yield RadioButton(name, value=index == 0, id=f"fmt-{name}")
            yield Label(Text("File (relative to the current directory):", style="dim"))
            yield Input(value=self._default_path("text").name, id="path")
            yield Static("", id="error")
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def _default_path(self, fmt: str) -> Path:
        return unused_name(self._directory, self._stem, FORMATS[fmt].extension)

    @property
    def chosen_format(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.id.removeprefix("fmt-") if pressed and pressed.id else "text"

    def on_radio_set_changed(self, _event: RadioSet.Changed) -> None:
        path_input = self.query_one("#path", Input)
        if Path(path_input.value).stem.startswith(self._stem):
            path_input.value = self._default_path(self.chosen_format).name

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self._export()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._export()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_enter(self) -> None:
        """Enter exports with what the dialog shows, from whichever field has focus;
        on the Cancel button it cancels."""
        focused = self.focused
        if isinstance(focused, Button) and focused.id == "cancel":
            self.dismiss(None)
        else:
            self._export()

    def _export(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        error = self.query_one("#error", Static)
        if not raw:
            error.update("Enter a file name.")
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = self._directory / path
        try:
            write_atomically(path, self._make_report(self.chosen_format), replace=False)
        except FileExistsError:
            error.update(Text(f"{path} already exists; choose another name."))
            return
        except OSError as exc:
            error.update(Text(f"Cannot write {path}: {exc.strerror or exc}"))
            return
        self.dismiss(path)
