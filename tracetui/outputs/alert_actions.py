"""What an alert does: run a command with it as JSON on standard input, POST it to a webhook.

An output (outputs/output.py): ``publish`` takes the alert events of each
diagnosed view and queues one JSON document per alert; a thread of its own
delivers them, so probing never waits for a slow command or a webhook that is
down. The queue is bounded (the oldest alert is dropped, and counted, when it
is full); a command gets 30 s; a webhook gets 5 s per try and up to four tries
with backoff (1, 2, 4 s) on a connection error or a 5xx/429 answer. A failure
is one line on standard error, never the end of the run. ``close`` gives what
is queued a few seconds to go out (an alert raised at the end of a report run
is still delivered).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from tracetui import __version__
from tracetui.path.diagnosis import PathEvent
from tracetui.path.snapshot import PathView
from tracetui.probe.events import EngineEvent

MAX_QUEUED = 256
COMMAND_SECONDS = 30.0
WEBHOOK_SECONDS = 5.0
WEBHOOK_TRIES = 4
BACKOFF_FIRST = 1.0
DRAIN_SECONDS = 10.0
ALERT_KINDS = frozenset({"alert-raised", "alert-cleared"})


def alert_document(view: PathView, event: PathEvent, agent: str | None = None) -> dict[str, Any]:
    """The JSON an action receives (version 1: fields are only ever added)."""
    notice = event.alert
    hop = next((h for h in view.hops if h.ttl == event.ttl), None)
    host = hop.primary.address if hop is not None and hop.primary is not None else None
    return {
        "version": 1,
        "alert": notice.rule if notice else event.kind,
        "state": notice.state if notice else ("firing" if event.kind == "alert-raised" else ""),
        "at": event.at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "target": view.info.target_name,
        "address": view.info.target,
        "hop": event.ttl,
        "host": host,
        "value": round(notice.value, 3) if notice else None,
        "threshold": notice.threshold if notice else None,
        "unit": notice.unit if notice else "",
        "message": event.message,
        "agent": agent,
        "summary": list(view.diagnosis.summary) if view.diagnosis is not None else [],
    }


def _say(line: str) -> None:
    print(f"tracetui: {line}", file=sys.stderr, flush=True)


class AlertActions:
    """The run's alert actions: shared by its targets, one delivery thread started with the
    first alert."""

    def __init__(
        self,
        command: str | None,
        webhook: str | None,
        agent: str | None = None,
        say: Callable[[str], None] = _say,
    ) -> None:
        self._command = shlex.split(command) if command else None
        self._webhook = webhook
        self._agent = agent
        self._say = say
        self._queue: deque[bytes] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self.dropped = 0
        """Alerts dropped because the queue was full."""
        self.delivered = 0
        self.failed = 0

    def observe(self, event: EngineEvent) -> None:
        """Probes are not alerts."""

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        for event in new_events:
            if event.kind in ALERT_KINDS:
                document = alert_document(view, event, self._agent)
                self._put(json.dumps(document).encode() + b"\n")

    def _put(self, payload: bytes) -> None:
        with self._ready:
            if self._closing:
                return
            if len(self._queue) >= MAX_QUEUED:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(payload)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._deliver_all, name="tracetui-alerts", daemon=True
                )
                self._thread.start()
            self._ready.notify()

    def _deliver_all(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    return
                payload = self._queue.popleft()
            self._deliver(payload)

    def _deliver(self, payload: bytes) -> None:
        ok = True
        if self._command is not None:
            ok = self._run_command(payload) and ok
        if self._webhook is not None:
            ok = self._post(payload) and ok
        if ok:
            self.delivered += 1
        else:
            self.failed += 1

    def _run_command(self, payload: bytes) -> bool:
        assert self._command is not None
        try:
            done = subprocess.run(
                self._command,
                input=payload,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=COMMAND_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self._say(f"--alert-command {self._command[0]} failed: {exc}")
            return False
        if done.returncode != 0:
            self._say(f"--alert-command {self._command[0]} exited with {done.returncode}")
            return False
        return True

    def _post(self, payload: bytes) -> bool:
        assert self._webhook is not None
        wait = BACKOFF_FIRST
        why = ""
        for attempt in range(WEBHOOK_TRIES):
            request = urllib.request.Request(
                self._webhook,
                data=payload,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": f"tracetui/{__version__}",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=WEBHOOK_SECONDS) as answer:
                    answer.read(65536)
                return True
            except urllib.error.HTTPError as exc:
                why = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    break  # the receiver refuses it: trying again will not help
            except (urllib.error.URLError, OSError, ValueError) as exc:
                why = str(getattr(exc, "reason", exc))
            if attempt + 1 < WEBHOOK_TRIES:
                time.sleep(wait)
                wait *= 2
        self._say(f"--alert-webhook: the alert was not delivered ({why})")
        return False

    def close(self, drain: float = DRAIN_SECONDS) -> None:
        """Deliver what is queued within ``drain`` seconds, then stop."""
        with self._ready:
            self._closing = True
            self._ready.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=drain)
        if self.dropped:
            self._say(f"{self.dropped} alerts were dropped: the actions could not keep up")
