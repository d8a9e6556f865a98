"""Write reports so that a failure never leaves a partial or clobbered file.

The text goes to a temporary file in the same directory, is flushed to disk,
and only then takes the final name (rename to replace, hard link to refuse
replacing). A full disk or a read-only directory leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os


def write_atomically(path: str | os.PathLike[str], text: str, *, replace: bool = True) -> None:
    """Raises FileExistsError when ``replace`` is false and ``path`` exists; OSError otherwise."""
    import tempfile  # only when writing: it costs start-up time every report would pay

    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    name = os.path.basename(path)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
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
