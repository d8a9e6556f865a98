"""Verdicts, summary, events and triage for a stream of snapshots of one trace.

The owner of the model (the live trace, the report run) hands every snapshot
to ``update`` and gets the diagnosis to attach to it. Verdicts and events are
recomputed once per new round (hysteresis counts rounds, not frames); a
restart (reset, method switch) starts them afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tracetui.diagnose.diagnosis import Diagnosis, PathEvent
from tracetui.diagnose.events import EventTracker
from tracetui.diagnose.summary import summarize
from tracetui.diagnose.triage import TriagePlanner
from tracetui.diagnose.verdicts import VerdictKeeper, judge
from tracetui.snapshot import PathView

Ping = Callable[[str], None]


class Diagnoser:
    def __init__(self, ping: Ping | None = None) -> None:
        """``ping`` sends one triage echo to an address; None turns triage off."""
        self._ping = ping
        self._keeper = VerdictKeeper()
        self._tracker = EventTracker()
        self._planner = TriagePlanner()
        self._epoch: datetime | None = None
        self._rounds = -1
        self._discovered = False
        self._diagnosis = Diagnosis({}, (), ())
        self.new_events: list[PathEvent] = []
        """Events found by the latest ``update`` (for an events file)."""

    def update(self, view: PathView, *, final: bool = False) -> Diagnosis:
        """The diagnosis of ``view``; ``final`` (a report's last look) shows the verdicts
        computed from it rather than those held on display by hysteresis."""
        self.new_events = []
        if view.started != self._epoch:
            self._epoch = view.started
            self._keeper.reset()
            self._tracker.reset()
            self._rounds = -1
        if view.rounds == self._rounds and view.discovered == self._discovered and not final:
            # names may have arrived since: the summary names hops, the verdicts do not
            diagnosis = self._diagnosis
            return diagnosis._replace(summary=summarize(view, diagnosis.verdicts))
        self._rounds = view.rounds
        self._discovered = view.discovered
        computed = judge(view, self._keeper.shown)
        shown = self._keeper.update(computed, view.rounds)
        if final:
            shown = computed
        self.new_events = self._tracker.update(view, shown, view.taken)
        if self._ping is not None:
            for address in self._planner.due(view, computed, view.clock):
                self._ping(address)
        self._diagnosis = Diagnosis(shown, summarize(view, shown), tuple(self._tracker.log))
        return self._diagnosis
