"""A real terminal for end-to-end runs of the live screen: one detached tmux session.

Each terminal gets its own tmux server (``-L``) with no configuration. Sharing
the default server raced: closing the last session makes that server exit, and
a session started in that instant failed with "server exited unexpectedly".
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

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
