"""``--events FILE``: the path's events as JSON Lines, appended as they happen.

One line per event, flushed at once, so a run that is killed loses nothing it
logged; the file is only ever appended to, never rewritten. The fields are
those of ``report.tracetui.events[]`` in the JSON report, plus the target.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence

from tracetui.path.diagnosis import PathEvent
from tracetui.path.snapshot import PathView
from tracetui.probe.events import EngineEvent
from tracetui.report.common import event_record


class EventLog:
    """One target's lines; several targets share one file (``for_target``), each line
    naming its target, as ``--stream`` does."""

    def __init__(self, path: str, target: str) -> None:
        """Raises OSError when the file cannot be opened for appending."""
        self._file = _File(path)
        self._target = target
        self._owner = True

    def for_target(self, target: str) -> EventLog:
        """Another target's lines in the same file (closing it leaves the file open)."""
        other = copy.copy(self)
        other._target = target
        other._owner = False
        return other

    def observe(self, event: EngineEvent) -> None:
        """Engine events are not path events: nothing to write."""

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        self._file.refresh()  # a reopen asked for is done within a diagnosis, events or not
        self.write(new_events)

    def write(self, events: Iterable[PathEvent]) -> None:
        for event in events:
            record = {**event_record(event), "target": self._target}
            self._file.write(json.dumps(record, ensure_ascii=True) + "\n")

    def reopen(self) -> None:
        """Open the file's name again before the next line (logrotate; SIGHUP in
        ``--headless``): safe from a signal handler, which only marks it."""
        self._file.reopen = True

    def close(self) -> None:
        if self._owner:
            self._file.close()


class _File:
    """The file every target's EventLog shares, opened again by name when asked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.reopen = False
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - held open

    def refresh(self) -> None:
        if self.reopen:
            self.reopen = False
            fresh = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            old, self._file = self._file, fresh
            old.close()

    def write(self, text: str) -> None:
        self.refresh()
        self._file.write(text)

    def close(self) -> None:
        self._file.close()
