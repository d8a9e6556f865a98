"""``--stream FILE``: every completed probe and every path event as a JSON line, as it happens.

For log pipelines (Loki, Vector, jq): one object per line, flushed per line.
The probing side only puts a small tuple on a bounded queue and never waits:
when the reader falls behind (a slow pipe) and the queue is full, lines are
dropped and counted, and a ``{"dropped": N}`` line says so once the writer
catches up; the engine's timing is never the reader's to decide.

Lines (times are UTC with milliseconds, round trips milliseconds):

- ``{"time", "target", "method", "ttl", "round", "responder", "rtt_ms"}``: a reply;
- the same with ``"lost": true`` instead of responder and rtt_ms: no reply in time;
- the same with ``"not_sent": REASON``: the kernel refused to send the probe;
- ``{"time", "target", "event", "hop", "message"}``: what the diagnosis found
  (the kinds ``--events`` writes: route changes, loss episodes, latency steps);
- ``{"time", "target", "dropped"}``: that target's lines lost to a slow reader since
  the last such line.

Several targets share one writer (one file, one thread, one queue); each has a
:class:`TargetStream` that names it on its lines.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from tracetui.probe.events import EngineEvent, ProbeFailed, ProbeLost, ProbeReplied, Restarted

if TYPE_CHECKING:
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView

QUEUED_LINES = 10_000
JOIN_SECONDS = 2.0


def _stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ProbeStream:
    """The writer: one file, its thread and its bounded queue, for one target or many."""

    def __init__(self, file: IO[str], *, owned: bool) -> None:
        self.dropped = 0
        """Lines lost to a slow reader over the whole run."""
        self.error: str | None = None
        self._file = file
        self._owned = owned
        self._queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue(QUEUED_LINES)
        self._unreported: Counter[str] = Counter()
        self._drops = threading.Lock()
        self._thread = threading.Thread(target=self._write, name="tracetui-stream", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, path: str) -> ProbeStream:
        """``-`` is standard output; else the file is appended to (OSError if it cannot be)."""
        import sys

        if path == "-":
            return cls(sys.stdout, owned=False)
        return cls(open(path, "a", buffering=1), owned=True)

    def target(self, name: str, method: str = "") -> TargetStream:
        return TargetStream(self, name, method)

    def put(self, item: tuple[Any, ...]) -> None:
        """From the probing side: never waits (a full queue drops the line, counted)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._drops:
                self.dropped += 1
                self._unreported[item[0]] += 1

    def close(self) -> None:
        with contextlib.suppress(queue.Full):  # a stuck reader: the thread is a daemon
            self._queue.put(None, timeout=JOIN_SECONDS)
        self._thread.join(JOIN_SECONDS)
        if self._owned and not self._thread.is_alive():
            self._file.close()

    # ------------------------------------------------------------- writer side
    @staticmethod
    def _line(item: tuple[Any, ...]) -> dict[str, Any]:
        target, what, at = item[0], item[1], item[2]
        line: dict[str, Any] = {"time": _stamp(at), "target": target}
        if what == "event":
            line.update(event=item[3], hop=item[4], message=item[5])
            return line
        line.update(method=item[3], ttl=item[4], round=item[5])
        if what == "reply":
            line.update(responder=item[6], rtt_ms=round(item[7], 3))
        elif what == "lost":
            line["lost"] = True
        else:
            line["not_sent"] = item[6]
        return line

    def _write(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is None:
                return
            if self.error is not None:
                continue
            try:
                if self._unreported:
                    with self._drops:
                        counts, self._unreported = self._unreported, Counter()
                    now = _stamp(time.time())
                    for target, count in counts.items():
                        dropped = {"time": now, "target": target, "dropped": count}
                        self._file.write(json.dumps(dropped) + "\n")
                self._file.write(json.dumps(self._line(item)) + "\n")
                self._file.flush()
            except (OSError, ValueError) as exc:  # a closed pipe, a full disk
                self.error = getattr(exc, "strerror", None) or str(exc)


class TargetStream:
    """One target's lines: what its engine and its diagnosis report, named for it."""

    def __init__(self, writer: ProbeStream, target: str, method: str = "") -> None:
        self.writer = writer
        self.target = target
        self.method = method
        """The probe method of the lines (the engine's, kept up to date by Restarted)."""

    def observe(self, event: EngineEvent) -> None:
        put = self.writer.put
        match event:
            case ProbeReplied():
                put((self.target, "reply", time.time(), self.method, event.ttl, event.round,
                     event.responder, event.rtt))  # fmt: skip
            case ProbeLost():
                put((self.target, "lost", time.time(), self.method, event.ttl, event.round))
            case ProbeFailed():
                put((self.target, "failed", time.time(), self.method, event.ttl, event.round,
                     event.reason))  # fmt: skip
            case Restarted():
                self.method = str(event.method)

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        for event in new_events:
            self.writer.put(
                (self.target, "event", event.at.timestamp(), event.kind, event.ttl, event.message)
            )
