"""The two things the engine needs from the world: a clock and a transport.

Both are passed in, so the same engine runs on raw sockets with the monotonic
clock, or on the simulated network with a virtual clock (tests, ``--demo``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from tracetui.probe.codec import LocalIdentity
from tracetui.probe.types import Family, Observation, ProbeMethod


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a clock that never jumps; used for scheduling and timeouts."""
        ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class Transport(Protocol):
    """Sends probe bytes and yields decoded replies with kernel receive stamps.

    Send and receive stamps are nanoseconds on one clock of the transport's
    choosing (CLOCK_REALTIME for sockets, as SO_TIMESTAMPNS reports it; the
    virtual clock for the simulation), so their difference is the round trip.
    """

    family: Family
    target: str
    identity: LocalIdentity
    methods: frozenset[ProbeMethod]
    malformed: Counter[str]

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        """Send one probe; return its send stamp. Raises OSError when the kernel refuses."""
        ...

    def send_echo(self, address: str, payload: bytes) -> int:
        """Send one ICMP echo request to ``address`` (any host, TTL 64); return its send stamp."""
        ...

    def set_tos(self, tos: int) -> None:
        """The IP TOS / traffic class of probes and pings from now on (mtr's Q key)."""
        ...

    def drain(self) -> Sequence[tuple[Observation, int]]:
        """Everything that has arrived, without waiting."""
        ...

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        """Kernel transmit stamps of probes, each with the probe it stamps (may be empty)."""
        ...

    def wait(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds; packets do not interrupt it, ``wake`` does."""
        ...

    def wake(self) -> None:
        """Make a ``wait`` in another thread return early."""
        ...

    def close(self) -> None: ...
