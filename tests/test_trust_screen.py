"""Hostile text on the real screen, export failures, and bad starts that must not draw a screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import demo_app, screen_text
from unavailable import unavailable

from tracetui.path.snapshot import NameInfo
from tracetui.tui.hop_table import HopTable
from tracetui.tui.screens import ExportScreen

SIZE = (120, 34)
HOSTILE_NAME = "[b]bold[/b]\x1b[2J\x1b]0;pwned\x07evil.example\u202e"
HOSTILE_AS = "[red]EVIL[/red] \x1b[31mAS\x07"


class HostileNames:
    """A name service whose answers are chosen by an attacker."""

    def request(self, address: str) -> None:
        """Answers need no lookups."""

    def lookup(self, address: str) -> NameInfo:
        return NameInfo(HOSTILE_NAME, 64666, HOSTILE_AS, "[i]198.18.0.0/15")

    def set_enabled(self, enabled: bool) -> None:
        """Always on."""

    def set_aslookup(self, enabled: bool) -> None:
        """Always answers AS fields."""

    def wait(self, timeout: float) -> None:
        """Never waits."""

    def stop(self) -> None:
        """Holds nothing."""


async def test_hostile_names_are_shown_literally_and_harmlessly(monkeypatch, tmp_path):
    monkeypatch.setattr(
        "tracetui.run.live.open_names", lambda config, aslookup, *recorded: HostileNames()
    )
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z")
        plain = app.query_one(HopTable).row_texts("h1")[1]
        assert "[b]bold[/b]" in plain  # markup is text, not style
        assert "\x1b" not in plain and "\x07" not in plain and "\u202e" not in plain
        assert "\\x1b[2J" in plain
        text = screen_text(app)
        assert "[b]bold[/b]\\x1b[2J\\x1b]0;pwned\\x07evil.example\\u202e" in text
        assert "[red]EVIL[/red]" in text  # the detail pane's AS name, literally
        assert "\x1b" not in text


@pytest.fixture
def small_disk():
    """A 64 KiB tmpfs, filled up (needs root to mount)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        unavailable("mounting a tiny file system needs root")
    path = Path(f"/tmp/tracetui-full-{os.getpid()}")
    path.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)], check=True)
    try:
        with (path / "filler").open("wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 4096)
            except OSError:
                pass
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)
        path.rmdir()


def _dialog_error(app) -> str:
    """The export dialog's error line as shown (it may wrap on screen)."""
    return str(app.screen.query_one("#error").render())


async def test_export_to_a_full_disk_says_so_and_leaves_nothing(monkeypatch, small_disk):
    app = demo_app(monkeypatch, small_disk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.click("#export")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "No space left on device" in _dialog_error(app)
        assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
        await pilot.press("escape")
        await pilot.press("down")
        assert app.is_running and app.query_one(HopTable).selected_ttl == 2


async def test_export_to_a_read_only_directory(monkeypatch, tmp_path):
    if os.geteuid() == 0:
        target = Path(f"/tmp/tracetui-ro-{os.getpid()}")
        target.mkdir(exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(target)], check=True
        )
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o555)
    try:
        app = demo_app(monkeypatch, target)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("E")
            await pilot.click("#export")
            await pilot.pause()
            text = _dialog_error(app)
            assert "Cannot write" in screen_text(app)
            assert "Read-only file system" in text or "Permission denied" in text
            assert list(target.iterdir()) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(target)], check=False)
            target.rmdir()


@pytest.mark.parametrize(
    "argv",
    [["-c", "0", "h"], ["--dns-server", "x", "h"], ["not a host"], ["-6", "198.18.0.1"]],
)
def test_bad_start_of_the_live_screen_draws_nothing(argv):
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "-n", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "\x1b" not in done.stderr and done.stderr.count("\n") == 1
