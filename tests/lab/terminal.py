"""A real terminal for end-to-end runs of the live screen: one detached tmux session.

Each terminal gets its own tmux server (``-L``) with no configuration. Sharing
the default server raced: closing the last session makes that server exit, and
a session started in that instant failed with "server exited unexpectedly".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from typing import NamedTuple

# tmux started without a terminal exports COLUMNS=80 and LINES=24 to its panes, and
# programs (Textual too) believe those over the real pane size
UNSET_SIZE = "env -u COLUMNS -u LINES"


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


class Terminal:
    """``command`` (a shell command line) running in a detached tmux pane of the given size."""

    def __init__(self, command: str, columns: int = 120, rows: int = 34) -> None:
        self.name = f"tracetui-{uuid.uuid4().hex[:10]}"
        self._tmux = ["tmux", "-L", self.name, "-f", "/dev/null"]
        self.started = time.monotonic()
        done = subprocess.run(
            [
                *self._tmux,
                "new-session",
                "-d",
                "-P",
                "-F",
                "#{pane_pid}",
                "-s",
                self.name,
                "-x",
                str(columns),
                "-y",
                str(rows),
                f"{UNSET_SIZE} {command}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux could not start: {done.stderr.strip()}")
        self.pid = int(done.stdout.strip())

    def screen(self) -> str:
        """What the pane shows now, as plain text."""
        return subprocess.run(
            [*self._tmux, "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def styled_screen(self) -> str:
        """What the pane shows now, with its colours and attributes (SGR sequences)."""
        return subprocess.run(
            [*self._tmux, "capture-pane", "-p", "-e", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def wait_until(self, predicate, timeout: float = 15.0, poll: float = 0.2) -> str:
        """The first screen ``predicate`` accepts; AssertionError with the last one if none."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(poll)
        raise AssertionError(f"screen never matched:\n{screen}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self._tmux, "send-keys", "-t", self.name, *keys], check=True)

    def close(self) -> None:
        """End the session and its private server (and with them what still runs in the pane)."""
        subprocess.run([*self._tmux, "kill-server"], capture_output=True, check=False)


class Cell(NamedTuple):
    char: str
    fg: tuple[int, int, int]
    bg: tuple[int, int, int]
    bold: bool
    dim: bool
    reverse: bool


DEFAULT_FG = (229, 229, 229)
DEFAULT_BG = (0, 0, 0)
_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_BASIC = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]  # fmt: skip


def xterm_rgb(index: int) -> tuple[int, int, int]:
    """The colour xterm shows for a 256-colour index."""
    if index < 16:
        return _BASIC[index]
    if index < 232:
        index -= 16
        steps = (0, 95, 135, 175, 215, 255)
        return steps[index // 36], steps[index // 6 % 6], steps[index % 6]
    level = 8 + 10 * (index - 232)
    return level, level, level


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        channels = []
        for value in rgb:
            c = value / 255
            channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def parse_cells(captured: str) -> list[list[Cell]]:
    """``tmux capture-pane -e`` output as cells with their colours and attributes."""
    rows = []
    fg, bg, bold, dim, reverse = DEFAULT_FG, DEFAULT_BG, False, False, False
    for line in captured.split("\n"):
        row: list[Cell] = []
        position = 0
        for match in [*_SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            for char in line[position:end]:
                row.append(Cell(char, fg, bg, bold, dim, reverse))
            if match is None:
                break
            position = match.end()
            codes = [int(code) if code else 0 for code in match.group(1).split(";")]
            index = 0
            while index < len(codes):
                code = codes[index]
                if code == 0:
                    fg, bg, bold, dim, reverse = DEFAULT_FG, DEFAULT_BG, False, False, False
                elif code == 1:
                    bold = True
                elif code == 2:
                    dim = True
                elif code == 22:
                    bold = dim = False
                elif code == 7:
                    reverse = True
                elif code == 27:
                    reverse = False
                elif code in (38, 48) and index + 1 < len(codes):
                    if codes[index + 1] == 5:
                        colour = xterm_rgb(codes[index + 2])
                        index += 2
                    else:
                        colour = tuple(codes[index + 2 : index + 5])  # type: ignore[assignment]
                        index += 4
                    if code == 38:
                        fg = colour
                    else:
                        bg = colour
                elif code == 39:
                    fg = DEFAULT_FG
                elif code == 49:
                    bg = DEFAULT_BG
                elif 30 <= code <= 37 or 90 <= code <= 97:
                    fg = _BASIC[code - 30 if code < 90 else code - 82]
                elif 40 <= code <= 47 or 100 <= code <= 107:
                    bg = _BASIC[code - 40 if code < 100 else code - 92]
                index += 1
        rows.append(row)
    return rows
