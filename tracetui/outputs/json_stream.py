"""``--stream FILE``: every completed probe and every path event as a JSON line, as it happens.

For log pipelines (Loki, Vector, jq): one object per line, flushed per line.
The probing side only puts a small tuple on a bounded queue and never waits:
when the reader falls behind (a slow pipe) and the queue is full, lines are
dropped and counted, and a ``"dropped"`` line says so as soon as the writer
can write again; the engine's timing is never the reader's to decide.

Every line has ``"v"`` (this format's version, ``STREAM_VERSION``), ``"type"``,
``"time"`` (UTC, milliseconds) and ``"target"``; a hop is always ``"ttl"``:

- ``"type": "probe"``: ``method``, ``ttl``, ``round`` and ``responder`` with
  ``rtt_ms`` (a reply), or ``"lost": true`` (no reply in time), or
  ``"not_sent": REASON`` (the kernel refused to send it); with ``--multipath``,
  a probe in the flow that keeps to one branch of a balanced hop also has
  ``branch`` (the interface it stands for; a ``responder`` other than it
  means the flow moved);
- ``"type": "event"``: ``event`` (the kinds ``--events`` writes: route changes,
  loss episodes, latency steps), ``ttl`` (null for the whole path), ``message``;
- ``"type": "dropped"``: ``dropped``, that target's lines lost to a slow reader
  since the last such line.

Several targets share one writer (one file, one thread, one queue); each has a
:class:`TargetStream` that names it on its lines. ``reopen`` (SIGHUP in
``--headless``) closes the file and opens its name again, for logrotate.
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

from tracetui.probe.events import (
    BranchLost,
    BranchReplied,
    EngineEvent,
    ProbeFailed,
    ProbeLost,
    ProbeReplied,
    Restarted,
)

if TYPE_CHECKING:
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView

STREAM_VERSION = 1
QUEUED_LINES = 10_000
JOIN_SECONDS = 2.0


def _stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ProbeStream:
    """The writer: one file, its thread and its bounded queue, for one target or many."""

    def __init__(self, file: IO[str], *, owned: bool, path: str | None = None) -> None:
        self.path = path
        """The file's name, to open again on ``reopen`` (None: standard output)."""
        self._reopen = threading.Event()
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
        return cls(open(path, "a", buffering=1), owned=True, path=path)

    def reopen(self) -> None:
        """Open the file's name again before the next line (a signal handler may call it:
        the writer thread does the work)."""
        if self.path is not None:
            self._reopen.set()

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
        kind = "event" if what == "event" else "probe"
        line: dict[str, Any] = {"v": STREAM_VERSION, "type": kind, "time": _stamp(at)}
        line["target"] = target
        if what == "event":
            line.update(event=item[3], ttl=item[4], message=item[5])
            return line
        line.update(method=item[3], ttl=item[4], round=item[5])
        if what == "reply":
            line.update(responder=item[6], rtt_ms=round(item[7], 3))
        elif what == "lost":
            line["lost"] = True
        elif what == "branch-reply":
            line.update(branch=item[6], responder=item[7], rtt_ms=round(item[8], 3))
        elif what == "branch-lost":
            line.update(branch=item[6], lost=True)
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
                if self._reopen.is_set():
                    self._reopen.clear()
                    self._reopen_file()
                if self._unreported:
                    with self._drops:
                        counts, self._unreported = self._unreported, Counter()
                    now = _stamp(time.time())
                    for target, count in counts.items():
                        dropped = {"v": STREAM_VERSION, "type": "dropped", "time": now,
                                   "target": target, "dropped": count}  # fmt: skip
                        self._file.write(json.dumps(dropped) + "\n")
                self._file.write(json.dumps(self._line(item)) + "\n")
                self._file.flush()
            except (OSError, ValueError) as exc:  # a closed pipe, a full disk
                self.error = getattr(exc, "strerror", None) or str(exc)

    def _reopen_file(self) -> None:
        assert self.path is not None
        fresh = open(self.path, "a", buffering=1)  # noqa: SIM115 - held open
        old, self._file = self._file, fresh
        old.close()


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
            case BranchReplied():
                put((self.target, "branch-reply", time.time(), self.method, event.ttl,
                     event.round, event.branch, event.responder, event.rtt))  # fmt: skip
            case BranchLost():
                put((self.target, "branch-lost", time.time(), self.method, event.ttl,
                     event.round, event.branch))  # fmt: skip
            case Restarted():
                self.method = str(event.method)

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        for event in new_events:
            self.writer.put(
                (self.target, "event", event.at.timestamp(), event.kind, event.ttl, event.message)
            )
