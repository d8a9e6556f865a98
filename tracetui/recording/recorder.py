"""``--record``: a transport that passes everything through and keeps a copy in a pcapng file.

The engine's thread only appends small tuples to a queue (a few hundred
nanoseconds per packet); a writer thread builds the IP headers, imports scapy
(in the background, after the first probes are out) and writes. Probes wait
in ``_pending`` for their kernel transmit stamp, which the engine reads right
after each send, and go to the queue at the next drain whether or not one came.
The file stops growing at ``--record-limit``: the run goes on, and a note says so.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from tracetui.names.service import NamesAround
from tracetui.path.snapshot import NameInfo
from tracetui.probe.events import (
    EngineEvent,
    FlowNote,
    Paused,
    Reconfigured,
    Restart,
    Restarted,
    RoundStarted,
)
from tracetui.probe.network import Clock, Transport
from tracetui.probe.packets import PROTO_ICMPV6
from tracetui.probe.tunables import TUNABLES
from tracetui.probe.types import Family, Observation, ProbeMethod
from tracetui.recording.notes import (
    ProbeNote,
    RecordingHeader,
    ReplyNote,
    TimelineRecord,
    header_text,
    name_value,
    probe_comment,
    reply_comment,
    timeline_text,
)
from tracetui.recording.wire import probe_packet, reply_packet

if TYPE_CHECKING:
    from tracetui.names.service import NameService

BLOCK_OVERHEAD = 56
"""Bytes a packet block adds to its packet and comment (headers, options, padding)."""
PROBE_NOTE_MAX = 104
REPLY_NOTE_MAX = 48
REBUILT_MAX = 104
"""Upper bounds for the probing side's count of the file (see ``_queue``): a probe's note,
a reply's, a reply rebuilt from the error queue (two IPv6 headers and 24 bytes)."""
HEADER_ALLOWANCE = 1536
"""The section header, its settings and the interface block (about 1 kB)."""
END_RESERVE = 160
"""Bytes kept under the limit for the record that marks the end of the run."""
MAX_QUEUED = 200_000
"""Packets waiting for the writer before new ones are dropped (a stalled disk)."""
JOIN_SECONDS = 5.0

Sink = Callable[[EngineEvent], None]


def parse_size(text: str) -> int:
    """``--record-limit``: bytes, with an optional k/M/G suffix (powers of 1024)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    value = text.strip()
    scale = units.get(value[-1:].lower(), 1)
    number = value[:-1] if scale > 1 else value
    try:
        size = float(number) * scale
    except ValueError:
        raise ValueError(f"not a size: {text!r} (say e.g. 500M or 2G)") from None
    if not 4096 <= size <= 1 << 50:
        raise ValueError(f"a recording limit must be between 4k and 1024T: {text!r}")
    return int(size)


class _Writer(threading.Thread):
    """Owns the file: everything scapy does for a recording happens in this thread.

    The first item queued is the header (the engine must exist before it can be
    written, see :func:`tracetui.run.startup.open_session`); None ends the thread.
    """

    def __init__(self, file: IO[bytes], limit: int) -> None:
        super().__init__(name="tracetui-record", daemon=True)
        self.queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self.limit_reached = False
        self.error: str | None = None
        self._file = file
        self._limit = limit

    def run(self) -> None:
        from tracetui import __version__

        first = self.queue.get()
        if first is None or first[0] != "header":
            return  # closed before the run began: nothing to write
        header: RecordingHeader = first[1]
        from tracetui.recording.pcapng import INBOUND, OUTBOUND, make_writer

        try:
            writer = make_writer(self._file, header_text(header), f"tracetui {__version__}")
            writer.write_header(None)
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            return
        family, source, target = header.family, header.identity.source, header.target
        get = self.queue.get
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                self._flush()
                item = get()
            if item is None:
                self._flush()
                return
            if self.error is not None:
                continue
            try:
                if item[0] == "timeline":
                    text = timeline_text(item[1])
                    if item[1].event == "end" or self._fits(len(text)):
                        writer.custom(text)
                    continue
                if item[0] == "probe":
                    note: ProbeNote = item[1]
                    dst = note.address or target
                    data = probe_packet(family, source, dst, note.method, item[2], item[3])
                    text, stamp, direction = probe_comment(note), item[4], OUTBOUND
                else:
                    obs, stamp, at = item[1], item[2], item[3]
                    data, raw = reply_packet(family, source, obs)
                    text, direction = reply_comment(ReplyNote(at, raw)), INBOUND
                if not self._fits(len(data) + len(text)):
                    continue
                writer.packet(data, stamp, text, direction)
            except OSError as exc:
                self.error = exc.strerror or str(exc)

    def _fits(self, size: int) -> bool:
        """Whether a block this big still fits, leaving room for the end of the run."""
        if not self.limit_reached:
            room = self._limit - END_RESERVE - self._file.tell()
            self.limit_reached = size + BLOCK_OVERHEAD > room
        return not self.limit_reached

    def _flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            self.error = self.error or exc.strerror or str(exc)


class _NamesKept(NamesAround):
    """A name service whose answers also go into the recording, for the replay to show."""

    def __init__(self, inner: NameService, put: Callable[[Any], None], clock: Clock) -> None:
        super().__init__(inner)
        self._put = put
        self._clock = clock
        self._kept: dict[str, NameInfo] = {}

    def lookup(self, address: str) -> NameInfo | None:
        info = self._inner.lookup(address)
        if info is not None and self._kept.get(address) != info:
            self._kept[address] = info
            record = TimelineRecord(self._clock.now(), "name", name_value(address, info))
            self._put(("timeline", record))
        return info


class RecordingTransport:
    """A :class:`Transport` that records what passes through it (see the module docstring)."""

    def __init__(self, inner: Transport, clock: Clock, file: IO[bytes], limit: int) -> None:
        self.inner = inner
        self.family = inner.family
        self.target = inner.target
        self.identity = inner.identity
        self.methods = inner.methods
        self.malformed: Counter[str] = inner.malformed
        self.path = getattr(file, "name", "")
        self._clock = clock
        self._limit = limit
        self._writer = _Writer(file, limit)
        self._put = self._writer.queue.put
        self._pending: dict[bytes, list[Any]] = {}
        self._round_at = clock.now()
        self._in_round = False
        """The engine's turn started a round: its probes (and the branches') leave at the
        round's time; others (the multipath search's, paced) at their own."""
        self.engine_at = clock.now()
        self._malformed_seen: Counter[str] = Counter()
        self._sink: Sink | None = None
        self._noted = False
        self._dropped = 0
        self._full = False
        self._estimate = HEADER_ALLOWANCE
        self._ip_header = 20 if inner.family is Family.V4 else 40
        self._reply_header = 0 if inner.family is Family.V4 else 40
        """A raw IPv6 socket hands over no IPv6 header; the recording adds one."""
        self._closed = False
        self._writer.start()

    @classmethod
    def open(cls, inner: Transport, clock: Clock, path: str, limit: int) -> RecordingTransport:
        """Create the file now (as the invoking user: privileges are gone), or raise OSError."""
        file = open(path, "wb")  # noqa: SIM115 - the writer thread owns it until close()
        return cls(inner, clock, file, limit)

    def begin(self, header: RecordingHeader) -> None:
        """What the recording starts with; nothing is written before it."""
        self._put(("header", header))

    def keep_names(self, service: NameService) -> NameService:
        """The run's name service, its answers recorded as they are shown."""
        return _NamesKept(service, self._put, self._clock)

    def tap(self, sink: Sink) -> Sink:
        """The engine's sink, seen on the way: round times, commands, and where notes go."""
        self._sink = sink
        put = self._put
        clock = self._clock

        def tapped(event: EngineEvent) -> None:
            match event:
                case RoundStarted():
                    self._round_at = event.at
                    self._in_round = True
                case Restarted(reason=Restart.START):
                    self.engine_at = clock.now()  # microseconds after the engine read it
                case Restarted(reason=Restart.SETTINGS):
                    pass  # the Reconfigured before it is in the timeline
                case Restarted():
                    what = "method" if event.switch else "reset"
                    put(("timeline", TimelineRecord(clock.now(), what, str(event.method))))
                case Reconfigured():
                    values = {f: str(getattr(event.settings, f)) for f in TUNABLES}
                    record = TimelineRecord(clock.now(), "settings", json.dumps(values))
                    put(("timeline", record))
                case Paused():
                    paused = "1" if event.paused else ""
                    put(("timeline", TimelineRecord(clock.now(), "pause", paused)))
            sink(event)

        return tapped

    # ------------------------------------------------------------- transport
    def set_tos(self, tos: int) -> None:
        self.inner.set_tos(tos)

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        at = self._round_at if self._in_round else self._clock.now()
        try:
            stamp = self.inner.send(method, payload, ttl)
        except OSError as exc:
            note = ProbeNote(method, ttl, at, time.time_ns(), False, exc.errno or 1)
            self._queue(("probe", note, payload, ttl, note.sent_ns))
            raise
        self._pending[payload[:8]] = [method, payload, ttl, at, stamp, 0, ""]
        return stamp

    def send_echo(self, address: str, payload: bytes) -> int:
        at = self._clock.now()
        try:
            stamp = self.inner.send_echo(address, payload)
        except OSError as exc:
            note = ProbeNote(None, 64, at, time.time_ns(), False, exc.errno or 1, address)
            self._queue(("probe", note, payload, 64, note.sent_ns))
            raise
        self._pending[payload[:8]] = [None, payload, 64, at, stamp, 0, address]
        return stamp

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        stamps = self.inner.sent_stamps(method, limit)
        pending = self._pending
        for probe, stamp in stamps:
            header = probe.header[:8]
            if probe.proto == PROTO_ICMPV6:  # the kernel filled in the checksum we left at 0
                header = header[:2] + b"\0\0" + header[4:]
            entry = pending.get(header)
            if entry is not None:
                entry[5] = stamp
        return stamps

    def drain(self) -> Sequence[tuple[Observation, int]]:
        self._in_round = False  # a new turn of the engine's loop
        self._flush_pending()
        out = self.inner.drain()
        at = self._clock.now()
        for obs, stamp in out:
            self._queue(("reply", obs, stamp, at))
        malformed = self.malformed
        if malformed != self._malformed_seen:
            for reason, count in malformed.items():
                grew = count - self._malformed_seen[reason]
                if grew > 0:
                    self._put(("timeline", TimelineRecord(at, "malformed", reason, grew)))
            self._malformed_seen = Counter(malformed)
        writer = self._writer
        stopped = self._full or writer.limit_reached or writer.error or self._dropped
        if stopped and not self._noted:
            self._note()
        return out

    def wait(self, timeout: float) -> None:
        self.inner.wait(timeout)

    def wake(self) -> None:
        self.inner.wake()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._flush_pending()
        self._put(("timeline", TimelineRecord(self._clock.now(), "end")))
        self._put(None)
        self._writer.join(JOIN_SECONDS)
        self._writer._file.close()
        self.inner.close()

    # --------------------------------------------------------------- helpers
    def _queue(self, item: tuple[Any, ...]) -> None:
        """Queue a packet for the writer, unless the file is (by this thread's own
        count, which runs ahead of the writer's) full: the note must not wait for a
        writer that lags behind, and the last round of a report is too late for it."""
        if self._full:
            return
        if item[0] == "probe":
            size = len(item[2]) + self._ip_header + PROBE_NOTE_MAX
        else:
            packet = item[1].packet
            read = len(packet) + self._reply_header if packet else REBUILT_MAX
            size = read + REPLY_NOTE_MAX
        self._estimate += size + BLOCK_OVERHEAD
        if self._estimate > self._limit - END_RESERVE:
            self._full = True
            return
        if self._writer.queue.qsize() >= MAX_QUEUED:
            self._dropped += 1
            return
        self._put(item)

    def _flush_pending(self) -> None:
        pending = self._pending
        if not pending:
            return
        for method, payload, ttl, at, sent, kernel, address in pending.values():
            note = ProbeNote(method, ttl, at, sent, bool(kernel), 0, address)
            self._queue(("probe", note, payload, ttl, kernel or sent))
        pending.clear()

    def _note(self) -> None:
        """Say once, where the run's notes go, that the recording stopped short."""
        self._noted = True
        writer = self._writer
        if writer.error:
            text = f"recording to {self.path} stopped: {writer.error}"
        elif self._full or writer.limit_reached:
            text = (
                f"recording to {self.path} stopped at its limit of {self._limit:,} bytes "
                "(--record-limit); probing goes on"
            )
        else:
            text = f"recording to {self.path} dropped packets: the disk could not keep up"
        if self._sink is not None:
            self._sink(FlowNote(text))
