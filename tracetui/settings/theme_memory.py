"""The live screen's theme, remembered across runs (the last one picked in the palette).

Kept in the user's state directory, not in their config file, which tracetui
never rewrites. A theme set in the config file wins over the remembered one.
"""

from __future__ import annotations

import contextlib

from tracetui.settings.userdirs import state_dir

MAX_NAME = 64


def remembered_theme() -> str | None:
    try:
        text = (state_dir() / "theme").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text and len(text) <= MAX_NAME and text.isprintable() else None


def remember_theme(name: str) -> None:
    """Best effort: a read-only home only means the theme is not remembered."""
    with contextlib.suppress(OSError):
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "theme").write_text(name + "\n", encoding="utf-8")
