"""Modal screens: key help, and the export dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tracetui.files import write_atomically
from tracetui.report import EXTENSIONS

EXPORT_FORMATS = ("text", "json", "csv", "markdown")


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
    HelpScreen > Vertical { width: 76; height: auto; max-height: 90%; border: thick $primary;
                            background: $surface; padding: 1 2; }
    """

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", justify="right")
        table.add_column()
        for key, description in self._keys:
            table.add_row(key, description)
        notes = Text(
            "\nLoss% counts completed probes only: a probe still in flight is not lost.\n"
            "History: one character per round, block height = RTT between the hop's own\n"
            "best and worst in view; a red ? is a lost probe. The chart view (d) scales\n"
            "every hop from 0 ms to the slowest, so hops can be compared.",
            style="dim",
        )
        with Vertical():
            yield Label(Text("tracetui keys", style="bold"))
            yield Static(table)
            yield Static(notes)


class ExportScreen(ModalScreen[Path | None]):
    """Pick a format and a file name; writes atomically and never replaces a file."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 70; height: auto; border: thick $primary;
                              background: $surface; padding: 1 2; }
    ExportScreen RadioSet { width: 100%; layout: horizontal; }
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
                for index, name in enumerate(EXPORT_FORMATS):
                    yield RadioButton(name, value=index == 0, id=f"fmt-{name}")
            yield Label(Text("File (relative to the current directory):", style="dim"))
            yield Input(value=self._default_path("text").name, id="path")
            yield Static("", id="error")
            with Horizontal():
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def _default_path(self, fmt: str) -> Path:
        return unused_name(self._directory, self._stem, EXTENSIONS[fmt])

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
