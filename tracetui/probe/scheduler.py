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
import itertools
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
        *,
        persistent: bool = False,
    ) -> None:
        """``sleep``: how to pass time until the next thing to do (tests pass a
        virtual clock's); by default a wait that a command or stop cuts short.
        ``persistent``: run on with no engine left, for engines :meth:`add` brings
        (an agent whose targets a reload changes), until :meth:`stop`."""
        self.turns = 0
        """Engine turns over the run (tests: how much work it did)."""
        self.error: BaseException | None = None
        self._clock = clock
        self._read_interval = read_interval
        self._sleep = sleep or self._wait
        self._persistent = persistent
        self._closing = False
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._engines: dict[int, Engine] = {}
        self._ids = itertools.count()
        self._hubs: list[RawHub] = []
        self._woken: set[int] = set()
        self._mailed: set[int] = set()
        self._polled: set[int] = set()
        self._arriving: list[Engine] = list(engines)
        """Engines not yet turned: started spread over one round interval (see above)."""

    @property
    def engines(self) -> list[Engine]:
        """The engines still run or to be run, oldest first."""
        with self._lock:
            return [*self._engines.values(), *self._arriving]

    def add(self, engine: Engine) -> None:
        """Run ``engine`` too, from any thread; those added together start spread out."""
        with self._lock:
            self._arriving.append(engine)
        self._event.set()

    def _attach(self, engine: Engine) -> int:
        index = next(self._ids)
        with self._lock:  # the engines property reads it from other threads
            self._engines[index] = engine
        engine.wake = self._waker(index)
        transport = engine.transport
        if isinstance(transport, HubTransport):
            hub = transport.hub
            if hub not in self._hubs:
                self._hubs.append(hub)
                hub.pumped_elsewhere = True
            transport.on_mail = self._mail_for(index)
        else:
            self._polled.add(index)
        return index

    def _detach(self, index: int) -> None:
        with self._lock:
            engine = self._engines.pop(index)
        self._polled.discard(index)
        engine.settle()

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
        self._closing = True
        for engine in self.engines:
            engine.stop()
        self._event.set()

    def run(self) -> None:
        """Until every engine's run is over (its rounds done, or stopped), and with
        ``persistent`` until :meth:`stop` too.

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

    def _admit(self, now: float, heap: list[tuple[float, int]], due: dict[int, float]) -> None:
        with self._lock:
            arriving, self._arriving = self._arriving, []
        for position, engine in enumerate(arriving):
            index = self._attach(engine)
            if self._closing:
                engine.stop()
            start = now + engine.settings.interval * position / len(arriving)
            engine.defer_start(start)
            due[index] = start
            heapq.heappush(heap, (start, index))

    def _loop(self) -> None:
        engines = self._engines
        clock = self._clock
        heap: list[tuple[float, int]] = []
        due: dict[int, float] = {}
        next_read = clock.now()
        sleep = self._sleep
        mailed = self._mailed
        while True:
            now = clock.now()
            if self._arriving:
                self._admit(now, heap, due)
            if not engines and (not self._persistent or self._closing):
                return
            ready: set[int] = set()
            while heap and heap[0][0] <= now:
                at, index = heapq.heappop(heap)
                if due.get(index) == at:
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
            for index in sorted(ready):
                engine = engines.get(index)
                if engine is None:
                    continue  # gone since (its mail or wake-up came late)
                turn = None if engine.stopping else engine.turn()
                self.turns += 1
                if turn is None:
                    del due[index]
                    self._detach(index)
                    continue
                deadline = turn[1]
                if deadline != due[index]:
                    due[index] = deadline
                    heapq.heappush(heap, (deadline, index))
            if not engines and not self._arriving and (not self._persistent or self._closing):
                return
            wake_at = min(next_read, heap[0][0]) if heap else next_read
            timeout = wake_at - clock.now()
            if timeout > 0 and not self._arriving:
                sleep(timeout)
