"""Verdicts, summary, events and triage for a stream of snapshots of one trace.

The owner of the model (the live trace, the report run) hands every snapshot
to ``update`` and gets the diagnosis to attach to it. Verdicts and events are
recomputed once per new round (hysteresis counts rounds, not frames); a
restart (reset, method switch) starts the verdicts afresh and is logged.
The snapshot's window is the span the verdicts describe, as the numbers do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tracetui.diagnose.alerts import AlertRule, AlertWatch
from tracetui.diagnose.branches import BranchJudge
from tracetui.diagnose.events import EventTracker
from tracetui.diagnose.evidence import Regime, gather
from tracetui.diagnose.summary import summarize
from tracetui.diagnose.triage import TriageBudget, TriagePlanner
from tracetui.diagnose.verdicts import VerdictKeeper, judge, refuses
from tracetui.path.diagnosis import BranchVerdict, Diagnosis, HopVerdict, PathEvent
from tracetui.path.snapshot import PathView
from tracetui.probe.types import ProbeMethod

Ping = Callable[[str], None]


class Diagnoser:
    def __init__(
        self,
        ping: Ping | None = None,
        budget: TriageBudget | None = None,
        alerts: tuple[AlertRule, ...] = (),
    ) -> None:
        """``ping`` sends one triage echo to an address; None turns triage off. ``budget``:
        the pings already booked by the other targets of the run (one per router a second).
        ``alerts``: the rules whose raising and clearing become events (diagnose/alerts)."""
        self._ping = ping
        self._alerts = AlertWatch(alerts) if alerts else None
        self._keeper = VerdictKeeper()
        self._tracker = EventTracker()
        self._branches = BranchJudge()
        self._branch_findings: tuple[tuple[BranchVerdict, ...], tuple[str, ...]] = ((), ())
        self._planner = TriagePlanner(budget)
        self.budget = self._planner.budget
        """The pings this diagnosis booked: give it to the other targets' of the run."""
        self._epoch: datetime | None = None
        self._method: ProbeMethod | None = None
        self._changes_seen = 0
        self._looked_at: tuple[int, bool, float | None, int] | None = None
        self._regime = Regime()
        self._diagnosis = Diagnosis({}, (), ())
        self.new_events: list[PathEvent] = []
        """Events found by the latest ``update`` (for an events file)."""

    def update(self, view: PathView, *, final: bool = False) -> Diagnosis:
        """The diagnosis of ``view``; ``final`` (a report's last look) shows the verdicts
        computed from it rather than those held on display by hysteresis."""
        self.new_events = []
        changed = False
        for number, change in view.changes:
            if number > self._changes_seen:
                self._changes_seen = number
                changed = True
                self.new_events.append(self._tracker.restarted(view.taken, "settings", change))
        if view.started != self._epoch:
            if self._epoch is not None and not changed:  # new settings said why already
                self.new_events.append(self._restarted(view))
            self._epoch = view.started
            self._method = view.method
            self._keeper.reset()
            self._tracker.reset()
            self._branches.reset()
            self._looked_at = None
            self._regime = Regime()
        # once per round, and again whenever probes settled since (a timeout between rounds)
        settled = sum(hop.completed for hop in view.hops)
        looked_at = (view.rounds, view.discovered, view.window, settled)
        if looked_at == self._looked_at and not final:
            # names may have arrived since: the summary names hops, the verdicts do not
            diagnosis = self._diagnosis
            return diagnosis._replace(summary=self._summary(view, diagnosis))
        self._looked_at = looked_at
        pool = [h for h in view.hops if h.on_path and h.received and not refuses(h)]
        evidence = gather(view, self._regime, pool)
        self._evidence = evidence
        judgement = judge(view, evidence, self._keeper.shown, triage=self._ping is not None)
        shown = self._keeper.update(judgement.verdicts, view.rounds)
        if final:
            shown = judgement.verdicts
        self.new_events += self._tracker.update(view, shown, evidence, view.taken)
        if self._ping is not None:
            for address in self._planner.due(view, judgement.pings_wanted):
                self._ping(address)
        at = view.taken

        def add(kind: str, ttl: int | None, message: str) -> None:
            self.new_events.append(self._tracker.note(at, kind, ttl, message))

        self._branch_findings = self._branches.update(view.multipath, at, add)
        if self._alerts is not None and view.window is None:
            for event in self._alerts.update(view, judgement.verdicts, self.new_events):
                self.new_events.append(self._tracker.add(event))
        summary = self._summary_of(view, shown)
        branches = self._branch_findings[0]
        alerts = self._alerts.states if self._alerts is not None else ()
        self._diagnosis = Diagnosis(shown, summary, tuple(self._tracker.log), branches, alerts)
        return self._diagnosis

    def _summary_of(self, view: PathView, verdicts: dict[int, HopVerdict]) -> tuple[str, ...]:
        return (*summarize(view, verdicts, self._evidence), *self._branch_findings[1])

    def _summary(self, view: PathView, diagnosis: Diagnosis) -> tuple[str, ...]:
        return self._summary_of(view, diagnosis.verdicts)

    def _restarted(self, view: PathView) -> PathEvent:
        if view.method is not self._method:
            return self._tracker.restarted(
                view.taken, "method-switch", f"switched to {view.method.upper()} probes"
            )
        return self._tracker.restarted(view.taken, "reset", "the statistics were reset")
