"""What the lab needs from the machine, and a clear reason when something is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TOOLS = ("ip", "nft", "dnsmasq", "ping")


def missing() -> str | None:
    """None when the lab can be built here, else what is missing (for the skip reason)."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, raw sockets)"
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        packages = "iproute2 nftables dnsmasq-base iputils-ping"
        return f"the lab needs {', '.join(absent)} (apt-get install {packages})"
    if not Path("/dev/net/tun").exists():
        return "the lab needs /dev/net/tun for its link emulation"
    if not Path("/proc/self/ns/net").exists():
        return "the kernel has no network namespaces"
    return None
