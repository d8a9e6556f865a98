"""The round loop: send, match, time out, and decide how long the path is.

Every round sends one probe per TTL of the current path, all in flight at once,
so a path is discovered in about one round trip. A
probe is in flight until a reply proves it was answered or its timeout passes;
only then is it counted. Results go to a sink as :mod:`tracetui.events`
tuples; the engine holds no statistics.

Path length. The first round probes every TTL up to ``max_ttl``. Afterwards a
TTL ``t`` is the end of the path when some probe at ``t`` got an end-of-path
reply (target reached, or a router refused) and no TTL at or beyond ``t`` has
answered with time-exceeded since then or in the last ``RECENT_ROUNDS``
rounds. The window keeps an ECMP pair of unequal length from flapping the
path length every round, and still notices a longer path at once (a
time-exceeded where the target used to answer) and a shorter one within a few
rounds. With no known end, probing continues ``max_unknown`` TTLs past the
highest TTL that ever answered.

Thread-safety: ``run`` executes in one thread; ``request_*`` and ``stop`` may
be called from any other and take effect at the top of the next loop turn.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from tracetui.events import (
    EngineEvent,
    PathChanged,
    ProbeDiscarded,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    Restarted,
    RoundStarted,
)
from tracetui.probe.codec import ProbeCodec, make_codec
from tracetui.probe.network import Clock, Transport
from tracetui.probe.types import Observation, ProbeMethod, ReplyKind

RECENT_ROUNDS = 10
READ_INTERVAL = 0.1
MAX_STAMPS = 4096
_NEVER = -(10**9)
_RECENT_KEYS = 8192


class ProbeSettings(NamedTuple):
    method: ProbeMethod = ProbeMethod.ICMP
    first_ttl: int = 1
    max_ttl: int = 30
    interval: float = 1.0
    timeout: float = 2.0
    count: int | None = None
    size: int = 64
    port: int | None = None
    max_unknown: int = 5
    vary_ports: bool = False


class EngineCounters:
    """Packets that did not become a hop result, by reason; read by snapshots."""

    __slots__ = (
        "beyond_path",
        "clock_errors",
        "duplicate",
        "foreign",
        "kernel_send_stamps",
        "key_exhausted",
        "last_send_error",
        "late",
        "replies",
        "send_errors",
        "sent",
        "stale",
    )

    def __init__(self) -> None:
        self.sent = self.replies = self.foreign = self.duplicate = self.late = 0
        self.stale = self.beyond_path = self.send_errors = self.clock_errors = 0
        self.key_exhausted = self.kernel_send_stamps = 0
        self.last_send_error = ""

    def as_dict(self) -> dict[str, int | str]:
        return {name: getattr(self, name) for name in self.__slots__}


class _Done(enum.IntEnum):
    ANSWERED = 1
    LOST = 2
    STALE = 3


class _Probe:
    __slots__ = ("ttl", "round", "sent_at", "stamp")

    def __init__(self, ttl: int, round_: int, sent_at: float, stamp: int | None) -> None:
        self.ttl = ttl
        self.round = round_
        self.sent_at = sent_at
        self.stamp = stamp


Sink = Callable[[EngineEvent], None]


class Engine:
    def __init__(
        self, transport: Transport, clock: Clock, settings: ProbeSettings, sink: Sink
    ) -> None:
        self.transport = transport
        self.clock = clock
        self.settings = settings
        self.counters = EngineCounters()
        self.paused = False
        self.read_interval = READ_INTERVAL
        self._sink = sink
        self._commands: deque[Callable[[], None]] = deque()
        self._stopping = False
        self._next_key = 0
        self._recent: dict[int, _Done] = {}
        self._previous_codec: ProbeCodec | None = None
        self._inflight: dict[int, _Probe] = {}
        self._unstamped = 0
        self._codec = self._make_codec(settings.method)
        self._begin("start")

    # ----------------------------------------------------------------- control
    @property
    def method(self) -> ProbeMethod:
        return self.settings.method

    @property
    def rounds_started(self) -> int:
        return self._round

    def request_method(self, method: ProbeMethod) -> None:
        """Restart with another probe method; statistics start afresh."""
        if method not in self.transport.methods:
            raise ValueError(f"{method.upper()} probes are not available without privileges")
        self._command(lambda: self._switch(method))

    def request_reset(self) -> None:
        self._command(lambda: self._begin("statistics reset"))

    def request_pause(self, paused: bool) -> None:
        self._command(lambda: self._set_paused(paused))

    def stop(self) -> None:
        self._stopping = True
        self.transport.wake()

    def _command(self, command: Callable[[], None]) -> None:
        self._commands.append(command)
        self.transport.wake()

    def _switch(self, method: ProbeMethod) -> None:
        if method is self.settings.method:
            return
        self._previous_codec = self._codec
        self.settings = self.settings._replace(method=method)
        self._codec = self._make_codec(method)
        self._begin(f"switched to {method.upper()}")

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self._next_round_at = self.clock.now()

    def _make_codec(self, method: ProbeMethod) -> ProbeCodec:
        s = self.settings
        t = self.transport
        return make_codec(method, t.family, t.target, t.identity, s.size, s.port, s.vary_ports)

    def _begin(self, reason: str) -> None:
        """Forget the path and everything in flight; replies to old probes become stale."""
        s = self.settings
        for key in self._inflight:
            self._remember(key, _Done.STALE)
        self._inflight = {}
        self._timeout_ns = int(s.timeout * 1e9)
        self._expiry: deque[tuple[float, int, _Probe]] = deque()
        self._round = 0
        self._next_round_at = self.clock.now()
        size = s.max_ttl + 2
        self._te_round = [_NEVER] * size
        self._end_round = [_NEVER] * size
        self._highest_reply = s.first_ttl - 1
        self._first_round_open = 0
        self._discovered = False
        self._limit_dirty = False
        self._dest_ttl: int | None = None
        self._limit = s.max_ttl
        self._reported = PathChanged(self._limit, None, False)
        self._sink(Restarted(s.method, reason))
        self._sink(self._reported)

    # -------------------------------------------------------------------- loop
    @property
    def finished(self) -> bool:
        count = self.settings.count
        return count is not None and self._round >= count and not self._inflight

    def run(self, until: float | None = None) -> None:
        """Probe until ``count`` rounds are done and answered, ``stop()``, or ``until``.

        The loop wakes for sends, timeouts and commands, and reads replies at most
        ``read_interval`` later than they arrive: round trips come from kernel
        timestamps, so reading late costs no accuracy, and one wake-up per batch
        instead of one per reply is most of the CPU an idle monitor spends.
        """
        transport = self.transport
        clock = self.clock
        on_observation = self._on_observation
        commands = self._commands
        read_interval = self.read_interval
        while not self._stopping:
            while commands:
                commands.popleft()()
            if self._unstamped:
                for probe, stamp in transport.sent_stamps(self.settings.method, MAX_STAMPS):
                    self._on_sent_stamp(probe, stamp)
            for obs, stamp in transport.drain():
                on_observation(obs, stamp)
            now = clock.now()
            self._expire(now)
            if until is not None and now >= until:
                return
            if self._round_due(now):
                self._start_round(now)
            if self.finished:
                return
            deadline = min(self._next_deadline(), now + read_interval)
            if until is not None:
                deadline = min(deadline, until)
            transport.wait(max(0.0, deadline - clock.now()))

    def _round_due(self, now: float) -> bool:
        count = self.settings.count
        if self.paused or (count is not None and self._round >= count):
            return False
        return now >= self._next_round_at

    def _next_deadline(self) -> float:
        deadline = self._expiry[0][0] if self._expiry else float("inf")
        count = self.settings.count
        if not self.paused and (count is None or self._round < count):
            deadline = min(deadline, self._next_round_at)
        if deadline == float("inf"):
            deadline = self.clock.now() + 3600.0
        return deadline

    def _start_round(self, now: float) -> None:
        s = self.settings
        self._round += 1
        round_ = self._round
        self._next_round_at = max(self._next_round_at + s.interval, now)
        self._sink(RoundStarted(round_))
        self._limit_dirty = True
        top = self._current_limit()
        if round_ == 1:
            self._first_round_open = top - s.first_ttl + 1
        method = self.settings.method
        sent_stamps = self.transport.sent_stamps
        for ttl in range(s.first_ttl, top + 1):
            self._send(ttl, round_, now)
            # reading this probe's transmit stamp now, not later, is work done anyway
            # that also spaces the probes out: a burst queues up behind itself
            for probe, stamp in sent_stamps(method, 1):
                self._on_sent_stamp(probe, stamp)

    def _send(self, ttl: int, round_: int, now: float) -> None:
        key = self._allocate_key()
        if key is None:
            self.counters.key_exhausted += 1
            if round_ == 1:
                self._first_round_open -= 1
            return
        payload = self._codec.build(key)
        try:
            stamp: int | None = self.transport.send(self.settings.method, payload, ttl)
        except OSError as exc:
            stamp = None
            self.counters.send_errors += 1
            self.counters.last_send_error = exc.strerror or str(exc)
        probe = _Probe(ttl, round_, now, stamp)
        self._inflight[key] = probe
        self._expiry.append((now + self.settings.timeout, key, probe))
        self.counters.sent += 1
        self._unstamped += 1
        self._sink(ProbeSent(ttl, round_))

    def _allocate_key(self) -> int | None:
        space = self._codec.key_space
        inflight = self._inflight
        key = self._next_key % space
        for _ in range(space):
            if key not in inflight:
                self._next_key = key + 1
                self._recent.pop(key, None)
                return key
            key = (key + 1) % space
        return None

    def _remember(self, key: int, done: _Done) -> None:
        recent = self._recent
        recent[key] = done
        if len(recent) > _RECENT_KEYS:
            del recent[next(iter(recent))]

    # ---------------------------------------------------------------- results
    def _expire(self, now: float) -> None:
        expiry = self._expiry
        inflight = self._inflight
        while expiry and expiry[0][0] <= now:
            _, key, probe = expiry.popleft()
            if inflight.get(key) is probe:
                del inflight[key]
                self._remember(key, _Done.LOST)
                self._complete(probe)
                if probe.ttl > self._current_limit():
                    self._discard(probe)
                else:
                    self._sink(ProbeLost(probe.ttl, probe.round))

    def _on_observation(self, obs: Observation, stamp: int) -> None:
        counters = self.counters
        key = self._codec.key_of(obs)
        if key is None:
            previous = self._previous_codec
            if previous is not None and previous.key_of(obs) is not None:
                counters.stale += 1
            else:
                counters.foreign += 1
            return
        probe = self._inflight.pop(key, None)
        if probe is None:
            done = self._recent.get(key)
            if done is _Done.ANSWERED:
                counters.duplicate += 1
            elif done is _Done.LOST:
                counters.late += 1
            elif done is _Done.STALE:
                counters.stale += 1
            else:
                counters.foreign += 1
            return
        self._remember(key, _Done.ANSWERED)
        counters.replies += 1
        self._complete(probe)
        ttl = probe.ttl
        if probe.stamp is None or stamp < probe.stamp:
            counters.clock_errors += 1
            self._sink(ProbeLost(ttl, probe.round))
            return
        if stamp - probe.stamp > self._timeout_ns:
            # arrived after its timeout (by the kernel's clock), even if read before expiry
            counters.late += 1
            self._sink(ProbeLost(ttl, probe.round))
            return
        kind = obs.kind
        self._record_path_evidence(ttl, probe.round, kind)
        if ttl > self._current_limit():
            self._discard(probe)
            return
        rtt = (stamp - probe.stamp) / 1e6
        self._sink(ProbeReplied(ttl, probe.round, obs.responder, rtt, kind, obs.code))

    def _on_sent_stamp(self, sent: Observation, stamp: int) -> None:
        """Replace the stamp taken before sendmsg with the kernel's transmit stamp."""
        key = self._codec.key_of(sent)
        probe = self._inflight.get(key) if key is not None else None
        self._unstamped = max(0, self._unstamped - 1)
        if probe is not None and probe.stamp is not None:
            probe.stamp = stamp
            self.counters.kernel_send_stamps += 1

    def _complete(self, probe: _Probe) -> None:
        if probe.round == 1 and not self._discovered:
            self._first_round_open -= 1
            if self._first_round_open <= 0:
                self._discovered = True
                self._limit_dirty = True

    def _discard(self, probe: _Probe) -> None:
        self.counters.beyond_path += 1
        self._sink(ProbeDiscarded(probe.ttl, probe.round))

    # ------------------------------------------------------------- path length
    def _record_path_evidence(self, ttl: int, round_: int, kind: ReplyKind) -> None:
        """Note what this reply says about the path; recompute the limit only on news."""
        dest = self._dest_ttl
        if kind is ReplyKind.TIME_EXCEEDED:
            if round_ > self._te_round[ttl]:
                self._te_round[ttl] = round_
            if dest is not None and ttl >= dest:
                self._limit_dirty = True
        else:
            if round_ > self._end_round[ttl]:
                self._end_round[ttl] = round_
            if dest is None or ttl < dest:
                self._limit_dirty = True
        if ttl > self._highest_reply:
            self._highest_reply = ttl
            if dest is None:
                self._limit_dirty = True

    def _current_limit(self) -> int:
        if self._limit_dirty:
            self._limit_dirty = False
            self._update_limit()
        return self._limit

    def _update_limit(self) -> None:
        s = self.settings
        recent = self._round - RECENT_ROUNDS
        te_round = self._te_round
        end_round = self._end_round
        dest: int | None = None
        newest_te_beyond = _NEVER
        for ttl in range(s.max_ttl, s.first_ttl - 1, -1):
            newest_te_beyond = max(newest_te_beyond, te_round[ttl])
            end = end_round[ttl]
            if end != _NEVER and newest_te_beyond < end and newest_te_beyond < recent:
                dest = ttl
        if dest is not None:
            limit = dest
        elif not self._discovered:
            limit = s.max_ttl
        else:
            limit = min(s.max_ttl, max(self._highest_reply, s.first_ttl - 1) + s.max_unknown)
        self._limit = limit
        self._dest_ttl = dest
        change = PathChanged(limit, dest, self._discovered)
        if change != self._reported:
            self._reported = change
            self._sink(change)
