"""``--replay``: the engine runs again on a recording, on the recording's own clock.

The replay transport answers the engine the way the network did: each probe
the engine sends is matched to the recorded probe with the same bytes and TTL
(the recording's local identity makes them the same), and gets that probe's
send and kernel stamps; each recorded reply is handed over when the engine's
clock reaches the moment it was read, with its kernel receive stamp. So round
trips are the recorded stamps' differences, to the nanosecond, and a reply that
came after its probe's timeout is late again. The clock moves from one recorded
moment to the next (see ``ReplayTransport.wait``), so rounds start when they
started, commands are re-issued when they were given, and the run ends where
the recording ends.

Reading is streamed: only the next few seconds of the recording are in memory.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple, Protocol

from tracetui import __version__
from tracetui.path.snapshot import NameInfo
from tracetui.probe.packets import quoted_ipv4, quoted_ipv6
from tracetui.probe.tunables import parse_changes
from tracetui.probe.types import Family, Observation, ProbeMethod, ReplyKind
from tracetui.recording.notes import (
    ProbeNote,
    RecordingError,
    RecordingHeader,
    ReplyNote,
    TimelineRecord,
    parse_comment,
    parse_header,
    parse_name,
    parse_timeline,
)
from tracetui.recording.pcapng import Block, read_blocks
from tracetui.recording.wire import probe_payload, read_reply

LOOKAHEAD = 5.0
"""Seconds of recording read ahead of the clock (sends are matched within a round's reach)."""

_SendKey = tuple[ProbeMethod | None, bytes, int, str]


class _Recorded(NamedTuple):
    note: ProbeNote
    stamp: int
    packet: bytes


class Controls(Protocol):
    """What the recording's timeline asks of the engine (an Engine has these)."""

    def request_method(self, method: ProbeMethod) -> None: ...

    def request_reset(self) -> None: ...

    def request_pause(self, paused: bool) -> None: ...

    def request_settings(self, changes: Mapping[str, int | float]) -> None: ...

    def stop(self) -> None: ...


class ReplayClock:
    """The recording's engine clock: jumps ahead when replaying for a report, or runs at
    ``speed`` times real time for the live screen (and stands still while paused)."""

    def __init__(self, start: float, speed: float | None) -> None:
        self._now = start
        self.speed = speed
        self.paused = False
        self.woken = threading.Event()

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        """Move to ``when``; a wake (a command, the end) cuts a paced wait short."""
        speed = self.speed
        if speed is None:
            self._now = max(self._now, when)
            return
        woken = self.woken
        while self._now < when and not woken.is_set():
            if self.paused:
                woken.wait(0.1)
                continue
            step = min(when - self._now, 0.05 * speed)
            began = time.monotonic()
            woken.wait(step / speed)
            self._now = min(when, self._now + (time.monotonic() - began) * speed)


class RecordedNames:
    """The names the recorded run showed, as a name service: replay never asks DNS."""

    def __init__(self) -> None:
        self.known: dict[str, NameInfo] = {}
        self._aslookup = False

    def add(self, address: str, info: NameInfo) -> None:
        self.known[address] = info

    def request(self, address: str) -> None:
        """Nothing to ask: names arrive with the recording."""

    def lookup(self, address: str) -> NameInfo | None:
        info = self.known.get(address)
        if info is None or self._aslookup:
            return info
        return NameInfo(hostname=info.hostname)

    def set_enabled(self, enabled: bool) -> None:
        """Always answers from the recording."""

    def set_aslookup(self, enabled: bool) -> None:
        self._aslookup = enabled

    def wait(self, timeout: float) -> None:
        """Never waits: what the recording holds is all there is."""

    def stop(self) -> None:
        """Holds no thread or socket."""


class ReplayTransport:
    """A :class:`Transport` that plays a recording back (see the module docstring)."""

    def __init__(self, header: RecordingHeader, blocks: Iterator[Block], clock: ReplayClock):
        self.header = header
        self.family = header.family
        self.target = header.target
        self.identity = header.identity
        self.methods = header.methods
        self.malformed: Counter[str] = Counter()
        self.recorded_names = RecordedNames()
        self.unmatched = 0
        """Probes the engine sent that the recording does not have (replay diverged)."""
        self.clock = clock
        self.ended = False
        self._blocks = blocks
        self._exhausted = False
        self._read_until = clock.now()
        self._sends: defaultdict[_SendKey, deque[_Recorded]] = defaultdict(deque)
        self._send_times: deque[tuple[float, _SendKey]] = deque()
        self._timeline: deque[tuple[float, TimelineRecord | tuple[bytes, int, bool]]] = deque()
        self._stamps: defaultdict[ProbeMethod, deque[tuple[Observation, int]]] = defaultdict(deque)
        self._controls: Controls | None = None
        self._last_at = clock.now()
        self.first_round_at = clock.now()
        self._quoted = quoted_ipv4 if header.family is Family.V4 else quoted_ipv6

    def attach(self, controls: Controls) -> None:
        self._controls = controls

    # ---------------------------------------------------------- reading ahead
    def _fill(self, until: float) -> None:
        """Read the recording up to ``until`` (plus the look-ahead)."""
        horizon = until + LOOKAHEAD
        while not self._exhausted and self._read_until <= horizon:
            try:
                block = next(self._blocks)
            except StopIteration:
                self._exhausted = True
                self._timeline.append((self._last_at, TimelineRecord(self._last_at, "end")))
                return
            self._take(block)

    def _take(self, block: Block) -> None:
        if block.custom:
            try:
                record = parse_timeline(block.data.decode("utf-8", "replace"))
                if record.event == "name":
                    self.recorded_names.add(*parse_name(record.value))
                    return
            except RecordingError:
                return
            self._timeline.append((record.at, record))
            self._note_time(record.at)
            return
        try:
            note = parse_comment(block.comment)
        except RecordingError:
            return
        if isinstance(note, ReplyNote):
            self._timeline.append((note.at, (block.data, block.stamp_ns, note.raw)))
            self._note_time(note.at)
        elif isinstance(note, ProbeNote):
            sent = probe_payload(block.data)
            if sent is None:
                return
            payload, _ttl = sent
            ttl = note.ttl if note.method is not None else 64
            key = (note.method, payload, ttl, note.address)
            self._sends[key].append(_Recorded(note, block.stamp_ns, block.data))
            self._send_times.append((note.at, key))
            self._note_time(note.at)

    def _note_time(self, at: float) -> None:
        self._read_until = max(self._read_until, at)
        self._last_at = max(self._last_at, at)

    # ------------------------------------------------------------- transport
    def _stamp_now(self) -> int:
        h = self.header
        return h.started_ns + int((self.clock.now() - h.started_at) * 1e9)

    def _match(self, key: _SendKey) -> _Recorded | None:
        self._fill(self.clock.now())
        waiting = self._sends.get(key)
        if not waiting:
            self.unmatched += 1
            return None
        recorded = waiting.popleft()
        if not waiting:
            del self._sends[key]
        return recorded

    def _sent(self, recorded: _Recorded | None, method: ProbeMethod) -> int:
        if recorded is None:
            return self._stamp_now()
        note = recorded.note
        if note.errno:
            raise OSError(note.errno, os.strerror(note.errno))
        if note.kernel_stamp:
            probe = self._quoted(ReplyKind.TIME_EXCEEDED, 0, "", recorded.packet)
            if probe is not None:
                self._stamps[method].append((probe, recorded.stamp))
        return note.sent_ns

    def set_tos(self, tos: int) -> None:
        """Nothing to do: the recording holds the replies the recorded TOS got."""

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        return self._sent(self._match((method, payload, ttl, "")), method)

    def send_echo(self, address: str, payload: bytes) -> int:
        return self._sent(self._match((None, payload, 64, address)), ProbeMethod.ICMP)

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        waiting = self._stamps.get(method)
        if not waiting:
            return ()
        return [waiting.popleft() for _ in range(min(limit, len(waiting)))]

    def drain(self) -> Sequence[tuple[Observation, int]]:
        now = self.clock.now()
        self._fill(now)
        timeline = self._timeline
        out: list[tuple[Observation, int]] = []
        while timeline and timeline[0][0] <= now:
            item = timeline[0][1]
            if isinstance(item, TimelineRecord):
                if item.event != "malformed":
                    break  # a command or the end: wait() hands it over, then drains on
                self.malformed[item.value] += item.count
            else:
                data, stamp, raw = item
                obs = read_reply(data, raw)
                if obs is None:
                    self.malformed["not a reply"] += 1
                else:
                    out.append((obs, stamp))
            timeline.popleft()
        self._on_to_next_send(now)
        return out

    def _on_to_next_send(self, now: float) -> None:
        """A report's replay: if the recorded engine's next trace is a send, be there now.

        The recorded engine read its replies, and later in the same turn took the time
        for a round; the time spent in between left no trace but the round's own. The
        live screen skips this (it would hold this turn's replies back until then).
        """
        sends = self._send_times
        if self.clock.speed is not None or not sends:
            return
        send = sends[0][0]
        timeline = self._timeline
        if send >= now and (not timeline or timeline[0][0] > send):
            self.clock.advance_to(send)

    def wait(self, timeout: float) -> None:
        """Sleep until the recorded engine's next wake-up that left a trace: a read, a
        send, a command, the end. The engine wakes then, whatever ``timeout`` it asked
        for: that is when the recorded engine was awake (a busy machine's late round
        included), and what it did in between left nothing to replay. Probes that
        expired meanwhile are settled then, in the same order; their replies' kernel
        stamps still decide what was late."""
        clock = self.clock
        if self.ended:
            if self._controls is not None:
                self._controls.stop()  # the turn at the end has run: settled what it could
            return
        if clock.woken.is_set():
            clock.woken.clear()
            return
        now = clock.now()
        self._fill(now + timeout)
        timeline, sends = self._timeline, self._send_times
        if timeline and timeline[0][0] <= now:
            self._command()  # due now (drain stops before a command): the engine's next turn
            return  # applies it, at this same moment, and sends what followed it then
        self._forget_unsent(now)
        after = [times[0][0] for times in (timeline, sends) if times]
        if not after:
            clock.advance_to(now + timeout)  # the recording is over: the engine's own time
            clock.woken.clear()
            return
        when = min(after)
        clock.advance_to(when)
        if timeline and timeline[0][0] <= clock.now():
            self._command()
        clock.woken.clear()

    def _command(self) -> None:
        at, item = self._timeline.popleft()
        if isinstance(item, TimelineRecord):
            self._apply(item)
        else:  # a reply behind a command: the next drain hands it over
            self._timeline.appendleft((at, item))

    def _forget_unsent(self, now: float) -> None:
        """Drop recorded sends the engine has passed by: its turn at ``now`` is over, so
        what it did not send by now it never will (only a diverged replay leaves any)."""
        times = self._send_times
        while times and (times[0][0] <= now or times[0][1] not in self._sends):
            at, key = times.popleft()
            if at <= now and key in self._sends:
                waiting = self._sends[key]
                if waiting and waiting[0].note.at == at:
                    waiting.popleft()
                    if not waiting:
                        del self._sends[key]

    def _apply(self, record: TimelineRecord) -> None:
        controls = self._controls
        if record.event == "end":
            self.ended = True  # one more turn settles what expired by now; then wait() stops
            return
        if record.event == "malformed":
            self.malformed[record.value] += record.count
            return
        if controls is None:
            return
        if record.event == "method":
            try:
                controls.request_method(ProbeMethod(record.value))
            except ValueError:
                return
        elif record.event == "reset":
            controls.request_reset()
        elif record.event == "pause":
            controls.request_pause(bool(record.value))
        elif record.event == "settings":
            try:
                controls.request_settings(parse_changes(json.loads(record.value)))
            except (ValueError, TypeError, AttributeError, KeyError):
                return  # a damaged record changes nothing

    @property
    def divergence(self) -> str | None:
        """What to tell the user when the engine sent probes the recording does not have
        (a recording made by another version of tracetui, or damaged): those count as lost."""
        if not self.unmatched:
            return None
        made_by = f" (it was made by tracetui {self.header.version})"
        return (
            f"the replay sent {self.unmatched} probes the recording does not have"
            f"{made_by if self.header.version != __version__ else ''}; they count as lost"
        )

    def run_out(self) -> None:
        """After the engine finished: on to where the recorded run ended, whose report
        was taken there (after its last lookups), so the report's end time is the same."""
        while not self._exhausted:
            self._fill(self._read_until + LOOKAHEAD)
        ends = [
            at
            for at, item in self._timeline
            if isinstance(item, TimelineRecord) and item.event == "end"
        ]
        if ends:
            self.clock.advance_to(min(ends[0], self._last_at))
        self._timeline.clear()

    def wake(self) -> None:
        self.clock.woken.set()

    def close(self) -> None:
        self._sends.clear()
        self._timeline.clear()


def open_replay(path: str, speed: float | None) -> ReplayTransport:
    """The recording at ``path``, ready to drive an engine; RecordingError if it cannot.

    Its clock starts where the recorded run's did; ``first_round_at`` is where the
    recorded engine's first round began, which the caller moves the clock to
    once the engine is built (see :func:`tracetui.run.startup.open_session`).
    """
    comment, blocks = read_blocks(path)
    header = parse_header(comment)
    head: list[Block] = []
    first = header.started_at
    for block in blocks:
        head.append(block)
        note = None if block.custom else _safe_note(block.comment)
        if isinstance(note, ProbeNote):
            first = max(first, note.at)
            break
        if len(head) > 64:
            break

    def chained() -> Iterator[Block]:
        yield from head
        yield from blocks

    transport = ReplayTransport(header, chained(), ReplayClock(header.started_at, speed))
    transport.first_round_at = first
    return transport


def _safe_note(comment: str) -> ProbeNote | ReplyNote | None:
    try:
        return parse_comment(comment)
    except RecordingError:
        return None
