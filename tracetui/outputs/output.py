"""The one interface of what a run writes as it goes.

Metrics, ``--stream``, ``--events``, mtr's ``-l`` and ``-p`` and the
``--headless`` log are all outputs: ``observe`` sees every engine event as it
is folded into the model, ``publish`` every diagnosed view with the path
events found since the one before, at the run's diagnosis cadence. An output
that needs only one of them leaves the other empty. A run keeps its outputs in
one list and feeds them in one place (run/headless.py, run/live.py), so a new
output is a class and a line where the list is built, whatever the mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tracetui.path.diagnosis import PathEvent
from tracetui.path.snapshot import PathView
from tracetui.probe.events import EngineEvent


class Output(Protocol):
    def observe(self, event: EngineEvent) -> None:
        """One engine event, just folded into the model (cheap: it runs per probe)."""
        ...

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        """The path as diagnosed now, and the path events found since the last call."""
        ...
