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
- ``{"time", "target", "dropped"}``: lines lost to a slow reader since the last such line.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from tracetui.events import EngineEvent, ProbeFailed, ProbeLost, ProbeReplied, Restarted

if TYPE_CHECKING:
    from tracetui.diagnose.diagnosis import PathEvent

QUEUED_LINES = 10_000
JOIN_SECONDS = 2.0


def _stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ProbeStream:
    def __init__(self, file: IO[str], target: str, *, owned: bool) -> None:
        self.target = target
        self.dropped = 0
        """Lines lost to a slow reader over the whole run."""
        self.error: str | None = None
        self._file = file
        self._owned = owned
        self._queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue(QUEUED_LINES)
        self._unreported = 0
        self._drops = threading.Lock()
        self.method = ""
        """The probe method of the lines (the engine's, kept up to date by Restarted)."""
        self._thread = threading.Thread(target=self._write, name="tracetui-stream", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, path: str, target: str) -> ProbeStream:
        """``-`` is standard output; else the file is appended to (OSError if it cannot be)."""
        import sys

        if path == "-":
            return cls(sys.stdout, target, owned=False)
        return cls(open(path, "a", buffering=1), target, owned=True)

    # ------------------------------------------------------------ probing side
    def observe(self, event: EngineEvent) -> None:
        kind = type(event)
        if kind is ProbeReplied:
            self._put(("reply", time.time(), self.method, event.ttl, event.round,
                       event.responder, event.rtt))  # fmt: skip
        elif kind is ProbeLost:
            self._put(("lost", time.time(), self.method, event.ttl, event.round))
        elif kind is ProbeFailed:
            self._put(("failed", time.time(), self.method, event.ttl, event.round, event.reason))
        elif kind is Restarted:
            self.method = str(event.method)

    def path_events(self, events: Iterable[PathEvent]) -> None:
        for event in events:
            self._put(("event", event.at.timestamp(), event.kind, event.ttl, event.message))

    def _put(self, item: tuple[Any, ...]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._drops:
                self.dropped += 1
                self._unreported += 1

    def close(self) -> None:
        with contextlib.suppress(queue.Full):  # a stuck reader: the thread is a daemon
            self._queue.put(None, timeout=JOIN_SECONDS)
        self._thread.join(JOIN_SECONDS)
        if self._owned and not self._thread.is_alive():
            self._file.close()

    # ------------------------------------------------------------- writer side
    def _line(self, item: tuple[Any, ...]) -> dict[str, Any]:
        what, at = item[0], item[1]
        line: dict[str, Any] = {"time": _stamp(at), "target": self.target}
        if what == "event":
            line.update(event=item[2], hop=item[3], message=item[4])
            return line
        line.update(method=item[2], ttl=item[3], round=item[4])
        if what == "reply":
            line.update(responder=item[5], rtt_ms=round(item[6], 3))
        elif what == "lost":
            line["lost"] = True
        else:
            line["not_sent"] = item[5]
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
                        count, self._unreported = self._unreported, 0
                    dropped = {"time": _stamp(time.time()), "target": self.target}
                    self._file.write(json.dumps({**dropped, "dropped": count}) + "\n")
                self._file.write(json.dumps(self._line(item)) + "\n")
                self._file.flush()
            except (OSError, ValueError) as exc:  # a closed pipe, a full disk
                self.error = getattr(exc, "strerror", None) or str(exc)
