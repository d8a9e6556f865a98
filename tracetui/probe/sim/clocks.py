"""The simulation's two clocks: virtual (tests, screenshots) and real (``--demo``)."""

from __future__ import annotations

import threading
import time


class VirtualClock:
    """Time that moves only when someone waits: a week of rounds in seconds, deterministically."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        if when > self._now:
            self._now = when


class RealtimeClock:
    """Monotonic time, plus the interruptible sleep the simulation needs in real time."""

    def __init__(self) -> None:
        self._wake = threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def advance_to(self, when: float) -> None:
        self._wake.wait(max(0.0, when - time.monotonic()))
        self._wake.clear()

    def wake(self) -> None:
        self._wake.set()
