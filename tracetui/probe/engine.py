"""The round loop: send, match, time out, and decide how long the path is.

Every round sends one probe per TTL of the current path, all in flight at once,
so a path is discovered in about one round trip. A probe is awaited until a
reply proves it was answered or its timeout passes; only then is it counted
(:mod:`tracetui.probe.lifecycle` holds every probe's state). How far a round
probes is :mod:`tracetui.probe.path_length`'s decision. Results go to a sink
as :mod:`tracetui.probe.events` tuples; the engine holds no statistics, and nothing
outside it reads its state: pause, end of run and ignored-packet counts are
events too.

Thread-safety: ``run`` executes in one thread; ``request_*`` and ``stop`` may
be called from any other. Requests go through one command queue and take
effect at the top of the next loop turn.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Mapping

from tracetui.probe.branch_watch import BranchWatch
from tracetui.probe.codec import EchoCodec, ProbeCodec, SplitFlowCodec
from tracetui.probe.discovery import Discovery
from tracetui.probe.events import (
    EchoLost,
    EchoReplied,
    EchoSent,
    EngineEvent,
    Finished,
    FlowNote,
    PathChanged,
    Paused,
    ProbeDiscarded,
    ProbeFailed,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    Reconfigured,
    Restart,
    Restarted,
    RoundStarted,
    Tally,
)
from tracetui.probe.lifecycle import Probe, ProbeLedger, ProbeState
from tracetui.probe.mda import MdaSearch
from tracetui.probe.methods import FlowSpec, make_codec, make_flows_codec
from tracetui.probe.network import Clock, Transport
from tracetui.probe.path_length import PathLength
from tracetui.probe.tunables import apply_changes, changed_fields, describe, starts_afresh
from tracetui.probe.types import Observation, ProbeMethod, ProbeSettings, ReplyKind

READ_INTERVAL = 0.1
MAX_STAMPS = 4096
IDLE_WAIT = 3600.0


MULTIPATH_REFRESH = 600.0
"""Seconds between two multipath searches while nothing suggests the path changed."""
MULTIPATH_AGAIN = 30.0
"""Seconds at least between two searches that the path's changes start."""

SILENCE_MARGIN = 0.05
"""Seconds added to three times the slowest reply before the path's end counts as silent."""

# why a packet or a probe did not become a hop result (the Tally event's keys)
_LATE_BY_STATE = {
    ProbeState.ANSWERED: "duplicate",
    ProbeState.LOST: "late",
    ProbeState.VOID: "stale",
}

Sink = Callable[[EngineEvent], None]


class Engine:
    _next_round_at: float
    _path: PathLength

    def __init__(
        self, transport: Transport, clock: Clock, settings: ProbeSettings, sink: Sink
    ) -> None:
        self.transport = transport
        self.clock = clock
        self.settings = settings
        self.read_interval = READ_INTERVAL
        self.sent = 0
        """Probes handed to the kernel over the whole run (for benchmarks)."""
        self.kernel_send_stamps = 0
        """Probes whose RTT starts at the kernel's transmit stamp (for benchmarks)."""
        self.beyond_path = 0
        """Probes and replies beyond the end of the path: the price of finding it."""
        self.ignored: Counter[str] = Counter()
        self._ignored_version = 0
        self._tallied_version = 0
        self._sink = sink
        self.wake: Callable[[], None] = transport.wake
        """Ends a wait for a command or a stop; a scheduler running the engine puts its own."""
        self._commands: deque[Callable[[], None]] = deque()
        self._stopping = False
        self._paused = False
        self._finished_sent = False
        self._previous_codec: ProbeCodec | None = None
        self._codec = self._make_codec(settings.method)
        self._ledger = ProbeLedger(self._codec.key_space)
        self._echo_codec = EchoCodec(transport.family, transport.identity.icmp_ident)
        self._echoes = ProbeLedger(self._echo_codec.key_space)
        self._unstamped = 0
        self._discovery: Discovery | None = None
        self._watch: BranchWatch | None = None
        self._refresh_at: float | None = None
        self._found_at: dict[int, frozenset[str]] = {}
        """The last search's interfaces by TTL: a round's reply from another means the path
        changed, and the search runs again."""
        self._path_moved = False
        self._searched_at = -math.inf
        self._begin(Restart.START)

    # ----------------------------------------------------------------- control
    @property
    def method(self) -> ProbeMethod:
        return self.settings.method

    def request_method(self, method: ProbeMethod) -> None:
        """Restart with another probe method; statistics start afresh."""
        if method not in self.transport.methods:
            raise ValueError(f"{method.upper()} probes are not available without privileges")
        self._command(lambda: self._switch(method))

    def request_reset(self) -> None:
        self._command(lambda: self._begin(Restart.RESET))

    def request_settings(self, changes: Mapping[str, int | float]) -> None:
        """Change probing settings (probe/tunables.py); ValueError, at once, if they do
        not make sense together. A Reconfigured event says what changed."""
        apply_changes(self.settings, changes, self.transport.family)  # checked here, now
        self._command(lambda: self._reconfigure(changes))

    def request_discovery(self) -> None:
        """Search the path's branches again (a route change; the user asked)."""
        self._command(lambda: self._discover(self.clock.now()))

    def request_pause(self, paused: bool) -> None:
        self._command(lambda: self._set_paused(paused))

    def request_echo(self, address: str) -> None:
        """Ping ``address`` once (rate-limit triage): EchoReplied or EchoLost follows."""
        self._command(lambda: self._send_echo(address))

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    def _command(self, command: Callable[[], None]) -> None:
        self._commands.append(command)
        self.wake()

    def _switch(self, method: ProbeMethod) -> None:
        if method is self.settings.method:
            return
        self._previous_codec = self._codec
        self.settings = self.settings._replace(method=method)
        self._codec = self._make_codec(method)
        self._ledger = ProbeLedger(self._codec.key_space)
        self._begin(Restart.SWITCH)

    def _reconfigure(self, changes: Mapping[str, int | float]) -> None:
        """Apply changes in the engine's thread; a packet size or TOS starts afresh."""
        before = self.settings
        try:
            after = apply_changes(before, changes, self.transport.family)
        except ValueError:
            return  # a method switch in between made it impossible (checked when asked)
        changed = changed_fields(before, after)
        if not changed:
            return
        self.settings = after
        if "tos" in changed:
            self.transport.set_tos(after.tos)
        if "size" in changed or "pattern" in changed:
            self._codec = self._make_codec(after.method)  # the same keys, other bytes
        if "interval" in changed and self._round:
            start = self._next_round_at - before.interval + after.interval
            self._next_round_at = max(start, self.clock.now())
        fresh = starts_afresh(before, after)
        self._sink(Reconfigured(after, describe(before, after), fresh))
        if fresh:
            self._begin(Restart.SETTINGS)
        elif {"first_ttl", "max_ttl", "max_unknown"} & set(changed):
            self._path.retarget(after.first_ttl, after.max_ttl, after.max_unknown)
            self._report_path()
        self.wake()

    def _set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        if not paused:
            self._next_round_at = self.clock.now()
        self._sink(Paused(paused))

    def _watch_branches(self, discovery: Discovery, now: float) -> None:
        """From now on, each round also probes one flow per interface of each balanced hop."""
        s = self.settings
        watch = BranchWatch(
            self.transport,
            s.method,
            discovery.codec,
            discovery.search.finished,
            s.timeout,
            now,
            self._sink,
        )
        self._watch = watch if watch.branches else None
        self._found_at = {
            hop.ttl: frozenset(hop.interfaces)
            for hop in discovery.search.finished
            if hop.interfaces
        }
        if self._watch is None:
            # nothing to watch: search again later all the same (a balancer may appear)
            self._refresh_at = now + MULTIPATH_REFRESH

    def _flow_spec(self) -> FlowSpec:
        s = self.settings
        t = self.transport
        return FlowSpec(t.family, t.target, t.identity, s.size, s.port, s.vary_ports, s.pattern)

    def _make_codec(self, method: ProbeMethod) -> ProbeCodec:
        return make_codec(method, self._flow_spec())

    def _begin(self, reason: Restart) -> None:
        """Forget the path and every awaited probe; replies to old probes become stale.

        A method switch keeps counting rounds (each method's statistics live on in
        the model, on one time line); a reset starts again from round one.
        """
        s = self.settings
        self._ledger.void_all()
        self._timeout_ns = int(s.timeout * 1e9)
        if reason is Restart.START or reason is Restart.RESET:
            self._round = 0  # a switch or new settings keep counting toward --count
        self._first_round = self._round + 1
        self._next_round_at = self._last_round_at = self.clock.now()
        self._path = PathLength(s.first_ttl, s.max_ttl, s.max_unknown)
        self._first_round_open = 0
        self._first_round_in = False
        self._finished_sent = False
        self._tail_reached = False
        self._tail_noted = False
        self._slowest_reply = 0.0
        self._first_round_at = self.clock.now()
        self._reported = self._path.end
        self._sink(Restarted(s.method, reason))
        self._sink(PathChanged(*self._reported))
        if s.multipath:
            self._discover(self._first_round_at)

    def _discover(self, now: float) -> None:
        """Start (or start again) the multipath search beside the rounds."""
        if self._discovery is not None:
            self._discovery.stop()
            self._discovery = None
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self._refresh_at = None
        self._found_at = {}
        self._path_moved = False
        s = self.settings
        if not s.multipath:
            return
        identity = self.transport.identity
        if not (identity.udp_port or identity.tcp_port):
            # unprivileged sockets: the kernel picks every probe's ports, not us
            self._sink(FlowNote("the multipath search needs raw sockets (run as root)"))
            return
        codec = make_flows_codec(s.method, self._flow_spec())
        if codec is None:
            self._sink(
                FlowNote(f"{s.method.upper()} probes have no ports to vary: no multipath search")
            )
            return
        self._searched_at = now
        search = MdaSearch(
            s.first_ttl, s.max_ttl, codec.flows, s.multipath, s.max_unknown, self.transport.target
        )
        self._discovery = Discovery(
            self.transport, s.method, codec, search, s.timeout, now, self._sink
        )

    # -------------------------------------------------------------------- loop
    @property
    def ledger_sizes(self) -> tuple[int, int, int]:
        """Probes awaited, deadlines queued, final states remembered: bounded (soak test)."""
        return self._ledger.sizes

    @property
    def finished(self) -> bool:
        count = self.settings.count
        return (
            count is not None
            and self._round >= count
            and not self._ledger
            and self._discovery is None
            and not (self._watch is not None and self._watch.awaiting)
        )

    def run(self, until: float | None = None) -> None:
        """Probe until ``count`` rounds are done and settled, ``stop()``, or ``until``.

        The loop wakes for sends, timeouts and commands, and reads replies at most
        ``read_interval`` later than they arrive: round trips come from kernel
        timestamps, so reading late costs no accuracy, and one wake-up per batch
        instead of one per reply is most of the CPU an idle monitor spends.
        """
        transport = self.transport
        clock = self.clock
        read_interval = self.read_interval
        try:
            while not self._stopping:
                turn = self.turn(until)
                if turn is None:
                    return
                now, deadline = turn
                deadline = min(deadline, now + read_interval)
                if until is not None:
                    deadline = min(deadline, until)
                transport.wait(max(0.0, deadline - clock.now()))
        finally:
            self._tally()

    def defer_start(self, when: float) -> None:
        """Start the first round at ``when`` instead of at once; later rounds follow it.

        Many targets in one process start spread over one interval (see
        probe/scheduler.py), so their rounds never all leave in one burst.
        """
        if self._round == 0:
            self._next_round_at = self._last_round_at = when

    def settle(self) -> None:
        """Tell the last counts of ignored packets: the run is over (``run`` does this itself)."""
        self._tally()

    def turn(self, until: float | None = None) -> tuple[float, float] | None:
        """One pass of the loop: commands, stamps, replies, timeouts, a round if due.

        Returns the time it looked at the clock and when the engine next has
        something to do (a send or a timeout; replies may come sooner), or None
        once the run is over. :meth:`run` waits in between; a scheduler driving
        many engines on one thread (probe/scheduler.py) calls it directly.
        """
        commands = self._commands
        while commands:
            commands.popleft()()
        transport = self.transport
        if self._unstamped:
            for probe, stamp in transport.sent_stamps(self.settings.method, MAX_STAMPS):
                self._on_sent_stamp(probe, stamp)
        on_observation = self._on_observation
        for obs, stamp in transport.drain():
            on_observation(obs, stamp)
        now = self.clock.now()
        self._expire(now)
        discovery = self._discovery
        if discovery is not None and not self._first_round_in:
            pass  # the search starts once the first round is in: its replies are samples
        elif discovery is not None:
            if discovery.turn(now):
                for probe, stamp in transport.sent_stamps(self.settings.method, MAX_STAMPS):
                    self._on_sent_stamp(probe, stamp)
            if discovery.over:
                self._discovery = None
                self._watch_branches(discovery, now)
        elif self._path_moved and now - self._searched_at >= MULTIPATH_AGAIN:
            self._discover(now)
        elif self._watch is not None:
            self._watch.expire(now)
            if self._watch.changed or now - self._watch.started_at >= MULTIPATH_REFRESH:
                self._discover(now)
        elif self._refresh_at is not None and now >= self._refresh_at:
            self._discover(now)
        self._report_path()
        if until is not None and now >= until:
            return None
        if self._round_due(now):
            self._start_round(now)
        if self.finished:
            if not self._finished_sent:
                self._finished_sent = True
                self._tally()
                self._sink(Finished())
            return None
        self._tally()
        return now, self._next_deadline(now)

    def _send_echo(self, address: str) -> None:
        ledger = self._echoes
        key = ledger.allocate()
        if key is None:
            return
        now = self.clock.now()
        try:
            stamp = self.transport.send_echo(address, self._echo_codec.build(key))
        except OSError:
            self._sink(EchoSent(address))
            self._sink(EchoLost(address))
            return
        echo = Probe(0, 0, now, stamp, address)
        ledger.await_reply(key, echo, now + self.settings.timeout)
        self._sink(EchoSent(address))
        # the ICMP socket stamps it like any probe: read the stamp, or it would sit there
        for sent, kernel_stamp in self.transport.sent_stamps(ProbeMethod.ICMP, 4):
            if self._echo_codec.key_of(sent) == key:
                echo.stamp = kernel_stamp
            elif self.settings.method is ProbeMethod.ICMP:
                self._on_sent_stamp(sent, kernel_stamp)

    def _on_echo(self, obs: Observation, stamp: int) -> bool:
        """Whether ``obs`` is a reply to one of our triage pings (then it is handled)."""
        key = self._echo_codec.key_of(obs)
        if key is None or obs.kind is not ReplyKind.ECHO_REPLY:
            return False
        ledger = self._echoes
        probe = ledger.get(key)
        if probe is None or probe.address != obs.responder:
            self._ignore("late" if ledger.state_of(key) is ProbeState.LOST else "duplicate")
            return True
        ledger.settle(key, ProbeState.ANSWERED)
        if stamp < probe.stamp or stamp - probe.stamp > self._timeout_ns:
            self._sink(EchoLost(probe.address))
        else:
            self._sink(EchoReplied(probe.address, (stamp - probe.stamp) / 1e6))
        return True

    def _round_due(self, now: float) -> bool:
        count = self.settings.count
        if self._paused or (count is not None and self._round >= count):
            return False
        return now >= self._next_round_at

    def _next_deadline(self, now: float) -> float:
        deadline = self._ledger.next_deadline()
        if deadline is None:
            deadline = now + IDLE_WAIT
        echo = self._echoes.next_deadline()
        if echo is not None:
            deadline = min(deadline, echo)
        if self._discovery is not None and self._first_round_in:
            search = self._discovery.next_deadline()
            if search is not None:
                deadline = min(deadline, search)
        if self._watch is not None:
            branch = self._watch.next_deadline()
            if branch is not None:
                deadline = min(deadline, branch)
        s = self.settings
        if not self._paused and (s.count is None or self._round < s.count):
            deadline = min(deadline, self._next_round_at)
        elif s.grace is not None and s.count is not None and self._ledger:
            deadline = min(deadline, self._last_round_at + s.grace)
        return deadline

    def _start_round(self, now: float) -> None:
        s = self.settings
        self._round += 1
        round_ = self._round
        self._last_round_at = now
        late = now - self._next_round_at
        self._next_round_at = max(self._next_round_at + s.interval, now)
        self._sink(RoundStarted(round_, now, late))
        self._path.start_round(round_)
        top = self._path.limit
        if round_ == self._first_round:
            self._first_round_open = top - s.first_ttl + 1
            self._first_round_at = now
        method = self.settings.method
        sent_stamps = self.transport.sent_stamps
        for ttl in range(s.first_ttl, top + 1):
            self._send(ttl, round_, now)
            # reading this probe's transmit stamp now, not later, is work done anyway
            # that also spaces the probes out: a burst queues up behind itself
            for probe, stamp in sent_stamps(method, 1):
                self._on_sent_stamp(probe, stamp)
        if self._watch is not None and self._watch.send_round(round_, now, top):
            for probe, stamp in sent_stamps(method, MAX_STAMPS):
                self._on_sent_stamp(probe, stamp)
        self._report_path()

    def _end_silent(self, now: float) -> bool:
        """Whether the end of the path has been silent to the fixed flow for long enough.

        Long enough: the first round is settled, or three times the slowest reply
        so far (plus 50 ms) has passed since it was sent, by when the target would
        have answered, so short fast reports (``-c 5 -i 0.1``) get there too.
        """
        end = self._path.end
        if end.discovered:
            return True
        if not self._slowest_reply:
            return False
        wait = min(self.settings.timeout, 3 * self._slowest_reply + SILENCE_MARGIN)
        return now >= self._first_round_at + wait

    def _tail_flow(self, ttl: int, now: float) -> bool:
        """Whether this probe goes in the varying flow (see SplitFlowCodec).

        Only past the last hop that forwards: a probe reveals one hop, the one its
        TTL ends at, so varying the ports of probes that end beyond every known
        router shows no hop a different load-balanced branch.
        """
        codec = self._codec
        if not isinstance(codec, SplitFlowCodec) or ttl <= self._path.last_transit:
            return False
        if self._path.last_transit < self.settings.first_ttl:
            return False
        if self._path.end.dest_ttl is not None and not self._tail_reached:
            return False
        if not self._tail_reached and not self._end_silent(now):
            return False
        if not self._tail_noted:
            self._tail_noted = True
            last = self._path.last_transit
            split = codec.split
            for probe in self._ledger.void_where(lambda key, p: key < split and p.ttl > last):
                self._settled_in_round(probe.round)
            self._sink(
                FlowNote(
                    f"UDP probes past hop {last} vary their destination port "
                    f"(from {codec.tail.port}): the end of the path stayed silent on "
                    f"{codec.fixed.port}",
                    last + 1,
                )
            )
        return True

    def _send(self, ttl: int, round_: int, now: float) -> None:
        codec = self._codec
        if not isinstance(codec, SplitFlowCodec):
            key = self._ledger.allocate()
        elif self._tail_flow(ttl, now):
            key = self._ledger.allocate(codec.split, codec.key_space)
        else:
            key = self._ledger.allocate(0, codec.split)
        if key is None:
            self._failed(ttl, round_, "too many probes in flight")
            return
        try:
            stamp = self.transport.send(self.settings.method, self._codec.build(key), ttl)
        except OSError as exc:
            self._failed(ttl, round_, exc.strerror or str(exc))
            return
        self._ledger.await_reply(key, Probe(ttl, round_, now, stamp), now + self.settings.timeout)
        self.sent += 1
        self._unstamped += 1
        self._sink(ProbeSent(ttl, round_))

    def _failed(self, ttl: int, round_: int, reason: str) -> None:
        """A probe that never left: counted apart, never as the hop's loss."""
        self._ignore("send failed")
        self._sink(ProbeFailed(ttl, round_, reason))
        self._settled_in_round(round_)

    def _ignore(self, reason: str) -> None:
        self.ignored[reason] += 1
        self._ignored_version += 1

    def _tally(self) -> None:
        malformed = self.transport.malformed
        version = self._ignored_version + sum(malformed.values())
        if version == self._tallied_version:
            return
        self._tallied_version = version
        counts = dict(self.ignored)
        if malformed:
            counts["malformed"] = sum(malformed.values())
        self._sink(Tally(tuple(sorted(counts.items()))))

    # ---------------------------------------------------------------- results
    def _grace_over(self, now: float) -> bool:
        """All rounds sent and the grace time after the last one has passed (mtr's -G)."""
        s = self.settings
        return (
            s.grace is not None
            and s.count is not None
            and self._round >= s.count
            and now >= self._last_round_at + s.grace
        )

    def _expire(self, now: float) -> None:
        for _key, echo in self._echoes.expired(now):
            self._sink(EchoLost(echo.address))
        limit = self._path.limit
        horizon = math.inf if self._grace_over(now) else now
        for key, probe in self._ledger.expired(horizon):
            self._settled_in_round(probe.round)
            if probe.ttl > limit:
                self._discard(key, probe)
            else:
                self._sink(ProbeLost(probe.ttl, probe.round))

    def _on_observation(self, obs: Observation, stamp: int) -> None:
        key = self._codec.key_of(obs)
        if key is None:
            if self._on_echo(obs, stamp):
                return
            if self._discovery is not None and self._discovery.claim(obs, stamp):
                return
            if self._watch is not None and self._watch.claim(obs, stamp):
                return
            previous = self._previous_codec
            stale = previous is not None and previous.key_of(obs) is not None
            self._ignore("stale" if stale else "foreign")
            return
        ledger = self._ledger
        probe = ledger.get(key)
        if probe is None:
            state = ledger.state_of(key)
            if state is ProbeState.DISCARDED:
                self.beyond_path += 1
            else:
                self._ignore(_LATE_BY_STATE[state] if state else "foreign")
            return
        ttl = probe.ttl
        if stamp < probe.stamp:
            ledger.settle(key, ProbeState.LOST)
            self._ignore("clock error")
            self._settled_in_round(probe.round)
            self._sink(ProbeLost(ttl, probe.round))
            return
        if stamp - probe.stamp > self._timeout_ns:
            # arrived after its timeout (by the kernel's clock), even if read before expiry
            ledger.settle(key, ProbeState.LOST)
            self._ignore("late")
            self._settled_in_round(probe.round)
            self._sink(ProbeLost(ttl, probe.round))
            return
        ledger.settle(key, ProbeState.ANSWERED)
        self._settled_in_round(probe.round)
        if obs.kind.ends_path:
            self._path.path_ended(ttl, probe.round)
            codec = self._codec
            if isinstance(codec, SplitFlowCodec) and key >= codec.split:
                self._tail_reached = True
        else:
            self._path.time_exceeded(ttl, probe.round)
        if ttl > self._path.limit:
            self._discard(key, probe)
            return
        rtt = (stamp - probe.stamp) / 1e6
        self._slowest_reply = max(self._slowest_reply, rtt / 1000.0)
        found = self._found_at.get(ttl)
        if found is not None and obs.responder not in found:
            self._path_moved = True  # the rounds' flow meets a router the search did not
        if self._discovery is not None and not self.settings.vary_ports:
            codec = self._codec  # the split tail's ports vary: not the fixed flow
            if not isinstance(codec, SplitFlowCodec) or key < codec.split:
                self._discovery.observed(ttl, obs.responder, obs.kind.ends_path)
        self._sink(
            ProbeReplied(
                ttl,
                probe.round,
                obs.responder,
                rtt,
                obs.kind,
                obs.code,
                obs.mtu,
                obs.extensions,
                obs.packet,
            )
        )

    def _on_sent_stamp(self, sent: Observation, stamp: int) -> None:
        """Replace the stamp taken before sendmsg with the kernel's transmit stamp."""
        key = self._codec.key_of(sent)
        if key is None:
            if self._discovery is not None and self._discovery.stamped(sent, stamp):
                return
            if self._watch is not None and self._watch.stamped(sent, stamp):
                return
        probe = self._ledger.get(key) if key is not None else None
        self._unstamped = max(0, self._unstamped - 1)
        if probe is not None:
            probe.stamp = stamp
            self.kernel_send_stamps += 1

    def _settled_in_round(self, round_: int) -> None:
        """Once every probe of the first round is settled, the path's first picture is complete."""
        if round_ == self._first_round and self._first_round_open > 0:
            self._first_round_open -= 1
            if self._first_round_open == 0:
                self._first_round_in = True
                self._path.first_round_done()

    def _discard(self, key: int, probe: Probe) -> None:
        """Sent beyond what turned out to be the end of the path: normal, and never counted."""
        self._ledger.mark(key, ProbeState.DISCARDED)
        self.beyond_path += 1
        self._sink(ProbeDiscarded(probe.ttl, probe.round))

    def _report_path(self) -> None:
        end = self._path.end
        if end != self._reported:
            self._reported = end
            self._sink(PathChanged(*end))
