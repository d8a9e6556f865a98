"""Link emulation without netem: TUN pairs joined by one process that delays and drops.

For every emulated link the forwarder creates one TUN device in each of the
two namespaces (while it sits in that namespace, via setns), then moves IP
packets between them: a packet read from one side is written to the other
after the link's one-way delay, unless the link's loss drops it. Pending
packets wait in one heap ordered by due time, so every link keeps its own
delay exactly and packets never overtake each other on a link.

The TUN devices are not persistent: when this process exits (killed, or its
parent's pipe on stdin closes) the kernel removes them, and the lab's links
are gone with it.

Precision: the process runs SCHED_FIFO with 1 ns timer slack, sleeps in
select() until shortly before the next packet is due and polls from there,
because wake-ups from a sleep arrive tens to hundreds of microseconds late on
a virtual machine. What remains is the delay between a packet's arrival and
this process noticing it; tests/lab/README.md gives the measured figures.

Run: python forwarder.py '<json list of links>'; prints "ready" when all
devices exist.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
PR_SET_TIMERSLACK = 29
MTU_READ = 65536
SPIN = 0.0003  # wake this early and poll until a packet is due: wake-ups are late

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def _open_tun(namespace: str, name: str) -> int:
    _setns(f"/run/netns/{namespace}")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def _realtime() -> None:
    _libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    with contextlib.suppress(PermissionError, OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))


def main() -> None:
    links = json.loads(sys.argv[1])
    home = "/proc/self/ns/net"
    home_fd = os.open(home, os.O_RDONLY)
    route: dict[int, tuple[int, float, float, random.Random]] = {}
    for link in links:
        fd_a = _open_tun(link["a_ns"], link["a_dev"])
        fd_b = _open_tun(link["b_ns"], link["b_dev"])
        delay = link["delay_ms"] / 1000.0
        rng = random.Random(link.get("seed", 1))
        route[fd_a] = (fd_b, delay, link["loss_ab"] / 100.0, rng)
        route[fd_b] = (fd_a, delay, link["loss_ba"] / 100.0, rng)
    _libc.setns(home_fd, CLONE_NEWNET)
    _realtime()
    print("ready", flush=True)

    readers = [*route, sys.stdin.fileno()]
    pending: list[tuple[float, int, int, bytes]] = []
    order = 0
    monotonic = time.monotonic
    while True:
        now = monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, packet = heapq.heappop(pending)
            with contextlib.suppress(OSError):  # the other side's device is going away
                os.write(out, packet)
        if pending:
            gap = pending[0][0] - now
            timeout = 0.0 if gap <= SPIN else gap - SPIN
        else:
            timeout = None
        ready, _, _ = select.select(readers, [], [], timeout)
        if not ready:
            continue
        now = monotonic()
        for fd in ready:
            if fd not in route:
                if not os.read(fd, 4096):
                    return  # parent went away: take the links down with us
                continue
            out, delay, loss, rng = route[fd]
            while True:
                try:
                    packet = os.read(fd, MTU_READ)
                except BlockingIOError:
                    break
                if loss and rng.random() < loss:
                    continue
                order += 1
                heapq.heappush(pending, (now + delay, order, out, packet))


if __name__ == "__main__":
    main()
