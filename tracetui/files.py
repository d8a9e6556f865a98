"""Write reports so that a failure never leaves a partial or clobbered file.

The text goes to a temporary file in the same directory, is flushed to disk,
and only then takes the final name (rename to replace, hard link to refuse
replacing). A full disk or a read-only directory leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, replace: bool = True) -> None:
    """Raises FileExistsError when ``replace`` is false and ``path`` exists; OSError otherwise."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644 & ~_umask())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
            os.unlink(temporary)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def unused_name(directory: Path, stem: str, extension: str) -> Path:
    """``stem.ext``, or ``stem-2.ext``, ``stem-3.ext``... whichever does not exist yet."""
    candidate = directory / f"{stem}.{extension}"
    number = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{number}.{extension}"
        number += 1
    return candidate
