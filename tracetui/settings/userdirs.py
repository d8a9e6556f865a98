"""Where a user's files live, also under sudo (their settings, not root's)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The invoking user's home: under sudo, the user who ran sudo."""
    uid = os.environ.get("SUDO_UID", "")
    if os.geteuid() == 0 and uid.isdigit():
        import pwd

        try:
            return Path(pwd.getpwuid(int(uid)).pw_dir)
        except KeyError:
            pass
    return Path.home()


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else home() / ".config") / "tracetui"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME")
    return (Path(base) if base else home() / ".local" / "state") / "tracetui"
