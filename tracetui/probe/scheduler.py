"""Many engines on one thread (#15): a thread per target does not scale to a thousand paths.

Each engine is turned (:meth:`Engine.turn`) only when it has something to do:
its next send or timeout is due, a reply landed in its inbox, or a command or a
stop woke it. Replies are read once per read interval for every target at once
(the raw-socket hub routes them; ``RawHub.pumped_elsewhere``), so a thousand
idle paths cost a few reads a second, not a thousand loop turns. Transports
with sockets of their own (unprivileged runs) are turned every read interval,
as their own loop would.

Targets start spread evenly over one round interval: a thousand targets' first
rounds leaving in one burst would overflow the socket buffers (replies and
transmit stamps dropped by the kernel: probes counted lost, or timed from the
moment they were handed over rather than when they left), would trip a shared
first router's ICMP rate limit, and their later rounds would keep bursting
together.

Round trips come from kernel stamps, so an engine turned a little later than
its deadline or a reply read up to a read interval late measures the same RTT.
"""

from __future__ import annotations

import contextlib
import heapq
import threading
from collections.abc import Callable, Sequence

from tracetui.probe.engine import READ_INTERVAL, Engine
from tracetui.probe.hub import HubTransport, RawHub
from tracetui.probe.network import Clock


class EngineScheduler:
    def __init__(
        self,
        engines: Sequence[Engine],
        clock: Clock,
        read_interval: float = READ_INTERVAL,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """``sleep``: how to pass time until the next thing to do (tests pass a
        virtual clock's); by default a wait that a command or stop cuts short."""
        self.engines = list(engines)
        self.turns = 0
        """Engine turns over the run (tests: how much work it did)."""
        self.error: BaseException | None = None
        hubs: list[RawHub] = []
        for engine in self.engines:
            transport = engine.transport
            if isinstance(transport, HubTransport) and transport.hub not in hubs:
                hubs.append(transport.hub)
        self._hubs = hubs
        self._clock = clock
        self._read_interval = read_interval
        self._sleep = sleep or self._wait
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._woken: set[int] = set()
        self._mailed: set[int] = set()
        self._polled: list[int] = []
        for hub in hubs:
            hub.pumped_elsewhere = True
        for index, engine in enumerate(self.engines):
            engine.wake = self._waker(index)
            transport = engine.transport
            if isinstance(transport, HubTransport):
                transport.on_mail = self._mail_for(index)
            else:
                self._polled.append(index)

    def _waker(self, index: int) -> Callable[[], None]:
        def wake() -> None:
            with self._lock:
                self._woken.add(index)
            self._event.set()

        return wake

    def _mail_for(self, index: int) -> Callable[[], None]:
        add = self._mailed.add  # only ever called on the scheduler's thread, in pump()
        return lambda: add(index)

    def _wait(self, timeout: float) -> None:
        if self._event.wait(timeout):
            self._event.clear()

    def stop(self) -> None:
        for engine in self.engines:
            engine.stop()

    def run(self) -> None:
        """Until every engine's run is over (its rounds done, or stopped).

        An engine that raises ends the whole run (``error`` keeps why); the
        others are stopped and settled, as their threads would be on exit.
        """
        try:
            self._loop()
        except BaseException as exc:  # the caller says why probing stopped
            self.error = exc
            raise
        finally:
            for engine in self.engines:
                engine.settle()

    def run_in_thread(self) -> None:
        """As :meth:`run`, for a thread's target: the error stays in ``error`` for the
        thread that started it to report, rather than a traceback on stderr."""
        with contextlib.suppress(Exception):
            self.run()

    def _loop(self) -> None:
        engines = self.engines
        clock = self._clock
        now = clock.now()
        count = len(engines)
        due = []
        for index, engine in enumerate(engines):
            start = now + engine.settings.interval * index / count
            engine.defer_start(start)
            due.append(start)
        heap = [(at, index) for index, at in enumerate(due)]
        heapq.heapify(heap)
        live = set(range(len(engines)))
        next_read = now
        sleep = self._sleep
        mailed = self._mailed
        while live:
            now = clock.now()
            ready: set[int] = set()
            while heap and heap[0][0] <= now:
                at, index = heapq.heappop(heap)
                if due[index] == at:
                    due[index] = -1.0  # popped: whatever it says next is pushed
                    ready.add(index)
            with self._lock:
                ready.update(self._woken)
                self._woken.clear()
            if ready or now >= next_read:
                # read before any engine judges its timeouts: a reply that came just
                # before its probe's timeout must be seen first, as a lone engine does
                for hub in self._hubs:
                    hub.pump()
                ready.update(mailed)
                mailed.clear()
            if now >= next_read:
                next_read = now + self._read_interval
                ready.update(self._polled)
            for index in sorted(ready & live):
                engine = engines[index]
                turn = None if engine.stopping else engine.turn()
                self.turns += 1
                if turn is None:
                    live.discard(index)
                    due[index] = -1.0
                    continue
                deadline = turn[1]
                if deadline != due[index]:
                    due[index] = deadline
                    heapq.heappush(heap, (deadline, index))
            if not live:
                return
            wake_at = min(next_read, heap[0][0]) if heap else next_read
            timeout = wake_at - clock.now()
            if timeout > 0:
                sleep(timeout)
