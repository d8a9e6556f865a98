"""Give up root (and every capability) once the sockets are open, as mtr-packet does.

Everything after start-up (parsing packets from strangers, rendering text from
DNS, writing files) then runs with the invoking user's rights; exported files
belong to that user.
"""

from __future__ import annotations

import os
import struct

_CAP_VERSION_3 = 0x20080522


def _clear_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets (e.g. after setcap cap_net_raw)."""
    import ctypes  # rarely needed: not worth its import time on every start

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    header = ctypes.create_string_buffer(struct.pack("Ii", _CAP_VERSION_3, 0))
    data = ctypes.create_string_buffer(bytes(24))
    libc.capset(header, data)


def invoking_user() -> tuple[int, int] | None:
    """The uid and gid sudo recorded, when we run as root through sudo."""
    uid, gid = os.environ.get("SUDO_UID", ""), os.environ.get("SUDO_GID", "")
    if not (uid.isdigit() and gid.isdigit()):
        return None
    return int(uid), int(gid)


def drop_privileges() -> None:
    """Become the sudo caller when root; always shed capabilities.

    Started by root directly (no sudo), there is no other user to become, so
    uid 0 stays, but capabilities are still cleared.
    """
    if os.geteuid() == 0:
        user = invoking_user()
        if user is not None and user[0] != 0:
            uid, gid = user
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            if os.geteuid() != uid or os.getegid() != gid:
                raise OSError("could not drop privileges")
            try:
                os.setuid(0)
            except PermissionError:
                pass
            else:
                raise OSError("could regain root after dropping privileges")
            return
    _clear_capabilities()
