"""Alerts: rules over time windows, each raised once and cleared once.

Someone who leaves tracetui running wants to hear of the trouble when it comes,
not to read about it at 9. A rule names a condition and how long it must hold:

    loss>5% for 60s        the destination lost more than 5 % over the last 60 s
    latency>150ms for 5m   its average round trip was above 150 ms over 5 min
    origin for 2m          a hop has been where loss begins (loss-origin) for 2 min
    route for 5m           the route changed (raised at once; cleared after 5 min unchanged)
    unreachable for 60s    the destination has not answered for 60 s

Windowed values come from the whole-run counters of successive snapshots (as
Prometheus's ``rate()`` does over counters), so a fresh episode after a clean
day reads as what it is, not diluted by the day. Hysteresis: loss clears at
half its threshold, latency at nine tenths, and the others once their condition
has been absent as long as it had to hold. A hop the diagnosis calls
rate-limited never alerts (nor a destination that is): its loss is the router's
replies, not the traffic. Pure logic on snapshots and verdicts: the actions
(a command, a webhook) are :mod:`tracetui.outputs.alert_actions`.
"""

from __future__ import annotations

import math
import re
from collections import deque
from datetime import datetime
from typing import NamedTuple

from tracetui.path.diagnosis import AlertNotice, HopVerdict, PathEvent, Verdict
from tracetui.path.snapshot import HopView, PathView

RULE = re.compile(
    r"^\s*(?P<kind>loss|latency|origin|route|unreachable)\s*"
    r"(?:>\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>%|ms)?)?\s*"
    r"(?:(?:for|:)\s*(?P<hold>\d+(?:\.\d+)?)\s*(?P<hold_unit>s|sec|m|min|h)?)?\s*$",
    re.IGNORECASE,
)
_UNITS = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
HOLD = {"loss": 60.0, "latency": 300.0, "origin": 120.0, "route": 300.0, "unreachable": 60.0}
"""How long a condition must hold when the rule does not say."""
_THRESHOLD_UNIT = {"loss": "%", "latency": "ms"}
LOSS_CLEAR = 0.5
LATENCY_CLEAR = 0.9
MAX_RULES = 32
_ROUTE_EVENTS = frozenset(
    {"responder-new", "responder-gone", "path-longer", "path-shorter", "route-flap"}
)


class AlertRule(NamedTuple):
    kind: str
    threshold: float
    """Percent (loss) or milliseconds (latency); 0 for the rules without one."""
    hold: float
    """Seconds the condition must hold (the window of loss and latency)."""

    @property
    def name(self) -> str:
        """The rule as one writes it, in its canonical form (``loss>5% for 60s``)."""
        unit = _THRESHOLD_UNIT.get(self.kind)
        limit = f">{self.threshold:g}{unit}" if unit else ""
        return f"{self.kind}{limit} for {self.hold:g}s"


def parse_rule(text: str) -> AlertRule:
    """``loss>5% for 60s`` and the like (see the module); ValueError says what is wrong."""
    found = RULE.match(text)
    if found is None:
        raise ValueError(
            f"{text!r} is no alert rule: give e.g. 'loss>5% for 60s', 'latency>150ms for 5m', "
            "'origin for 2m', 'route for 5m' or 'unreachable for 60s'"
        )
    kind = found["kind"].lower()
    unit = (found["unit"] or "").lower()
    needs = _THRESHOLD_UNIT.get(kind)
    if needs is not None and found["value"] is None:
        raise ValueError(f"{text!r}: a {kind} rule needs a threshold, e.g. {kind}>5{needs}")
    if needs is None and found["value"] is not None:
        raise ValueError(f"{text!r}: a {kind} rule has no threshold, only a duration")
    if needs is not None and unit and unit != needs:
        raise ValueError(f"{text!r}: {kind} is measured in {needs}")
    threshold = float(found["value"] or 0.0)
    if kind == "loss" and not 0 < threshold < 100:
        raise ValueError(f"{text!r}: a loss threshold is between 0 and 100 %")
    if kind == "latency" and threshold <= 0:
        raise ValueError(f"{text!r}: a latency threshold is above 0 ms")
    hold = HOLD[kind]
    if found["hold"] is not None:
        hold = float(found["hold"]) * _UNITS[(found["hold_unit"] or "").lower() or None]
    if not 1.0 <= hold <= 86400.0:
        raise ValueError(f"{text!r}: the duration is between 1 s and 24 h")
    return AlertRule(kind, threshold, hold)


class _Counters(NamedTuple):
    clock: float
    lost: int
    settled: int
    rtt_total: float
    replies: int


class _State:
    __slots__ = ("rule", "firing", "since", "absent_since", "value", "ttl")

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self.firing = False
        self.since: float | None = None
        """When the condition began to hold (engine clock), while it holds."""
        self.absent_since: float | None = None
        """When it stopped holding, while it is firing."""
        self.value = 0.0
        self.ttl: int | None = None


class AlertWatch:
    """Every rule's state for one target, updated with each diagnosed snapshot."""

    def __init__(self, rules: tuple[AlertRule, ...]) -> None:
        self._states = [_State(rule) for rule in rules]
        self._samples: deque[_Counters] = deque()
        self._longest = max((rule.hold for rule in rules), default=0.0)
        self._route_changed_at: float | None = None
        self._dark = False
        self._epoch: datetime | None = None

    @property
    def states(self) -> tuple[tuple[str, bool], ...]:
        """Each rule and whether it is firing."""
        return tuple((state.rule.name, state.firing) for state in self._states)

    def update(
        self, view: PathView, verdicts: dict[int, HopVerdict], new_events: list[PathEvent]
    ) -> list[PathEvent]:
        """The alert events this snapshot raises or clears (``new_events``: the diagnosis's
        of the same look, which tell of route changes and a dark destination)."""
        now = view.clock
        if view.started != self._epoch:  # a reset: counters start again from zero
            self._epoch = view.started
            self._samples.clear()
        for event in new_events:
            if event.kind in _ROUTE_EVENTS:
                self._route_changed_at = now
            elif event.kind == "destination-lost":
                self._dark = True
            elif event.kind == "destination-back":
                self._dark = False
        target = view.destination
        self._remember(now, target)
        out = []
        for state in self._states:
            held, clear, value, ttl = self._condition(state, view, verdicts, target, now)
            changed = self._step(state, held, clear, value, ttl, now, view)
            if changed is not None:
                out.append(changed)
        return out

    def _remember(self, now: float, target: HopView | None) -> None:
        if target is None:
            return
        rtt = target.rtt
        counters = _Counters(now, target.lost, target.completed, rtt.avg * rtt.count, rtt.count)
        samples = self._samples
        if samples and (counters.settled < samples[-1].settled or now < samples[-1].clock):
            samples.clear()  # the counters went back: a reset, or another destination
        samples.append(counters)
        while len(samples) > 2 and samples[1].clock <= now - self._longest:
            samples.popleft()  # keep one sample at or before the longest window's start

    def _over(self, seconds: float, now: float) -> tuple[_Counters, _Counters] | None:
        """The counters at the window's start and now, once the run covers the window."""
        samples = self._samples
        if len(samples) < 2 or samples[0].clock > now - seconds:
            return None
        start = samples[0]
        for sample in samples:
            if sample.clock > now - seconds:
                break
            start = sample
        return start, samples[-1]

    def _condition(
        self,
        state: _State,
        view: PathView,
        verdicts: dict[int, HopVerdict],
        target: HopView | None,
        now: float,
    ) -> tuple[bool, bool, float, int | None]:
        """(the condition holds, its clearing condition holds, its value, the hop)."""
        rule = state.rule
        kind = rule.kind
        if kind in ("loss", "latency"):
            window = self._over(rule.hold, now)
            limited = target is not None and _limited(verdicts, target.ttl)
            if window is None or target is None:
                return False, False, state.value, None
            start, end = window
            if kind == "loss":
                settled = end.settled - start.settled
                if not settled:
                    return False, False, state.value, target.ttl
                loss = 100.0 * (end.lost - start.lost) / settled
                held = loss > rule.threshold and not limited
                return held, loss <= rule.threshold * LOSS_CLEAR, loss, target.ttl
            replies = end.replies - start.replies
            if not replies:
                return False, False, state.value, target.ttl
            average = (end.rtt_total - start.rtt_total) / replies
            held = average > rule.threshold
            return held, average <= rule.threshold * LATENCY_CLEAR, average, target.ttl
        if kind == "origin":
            origins = [t for t, v in sorted(verdicts.items()) if v.verdict is Verdict.LOSS_ORIGIN]
            ttl = origins[0] if origins else state.ttl
            return bool(origins), not origins, float(len(origins)), ttl
        if kind == "route":
            changed = self._route_changed_at
            recent = changed is not None and now - changed < rule.hold
            return changed is not None and changed == now, not recent, 0.0, None
        dark = self._dark or (target is None and view.discovered and view.rounds > 0)
        return dark, not dark, 0.0, target.ttl if target is not None else None

    def _step(
        self,
        state: _State,
        held: bool,
        clear: bool,
        value: float,
        ttl: int | None,
        now: float,
        view: PathView,
    ) -> PathEvent | None:
        rule = state.rule
        instant = rule.kind in ("loss", "latency", "route")  # their window is the hold
        if not state.firing:
            if not held:
                state.since = None
                return None
            if state.since is None:
                state.since = now
            if not instant and now - state.since < rule.hold:
                return None
            state.firing, state.absent_since, state.value, state.ttl = True, None, value, ttl
            return _event(view, "alert-raised", rule, value, ttl, _raised(rule, value, ttl))
        state.value = value if held else state.value
        if not clear:
            state.absent_since = None
            return None
        if rule.kind == "origin":  # a verdict may waver: absent as long as it had to hold
            if state.absent_since is None:
                state.absent_since = now
            if now - state.absent_since < rule.hold:
                return None
        state.firing, state.since = False, None
        return _event(view, "alert-cleared", rule, value, state.ttl, _cleared(rule, value))


def _limited(verdicts: dict[int, HopVerdict], ttl: int) -> bool:
    verdict = verdicts.get(ttl)
    return verdict is not None and verdict.verdict is Verdict.RATE_LIMITED


def _raised(rule: AlertRule, value: float, ttl: int | None) -> str:
    if rule.kind == "loss":
        return f"{rule.name}: the destination lost {value:.1f}% over the last {rule.hold:g}s"
    if rule.kind == "latency":
        return (
            f"{rule.name}: the destination's round trips averaged {value:.1f} ms "
            f"over the last {rule.hold:g}s"
        )
    if rule.kind == "origin":
        return f"{rule.name}: loss has begun at hop {ttl} for {rule.hold:g}s"
    if rule.kind == "route":
        return f"{rule.name}: the route changed"
    return f"{rule.name}: the destination has not answered for {rule.hold:g}s"


def _cleared(rule: AlertRule, value: float) -> str:
    if rule.kind == "loss":
        return (
            f"{rule.name} cleared: the destination lost {value:.1f}% over the last {rule.hold:g}s"
        )
    if rule.kind == "latency":
        return f"{rule.name} cleared: round trips averaged {value:.1f} ms"
    if rule.kind == "origin":
        return f"{rule.name} cleared: no hop has been where loss begins for {rule.hold:g}s"
    if rule.kind == "route":
        return f"{rule.name} cleared: the route has not changed for {rule.hold:g}s"
    return f"{rule.name} cleared: the destination answers again"


def _event(
    view: PathView, kind: str, rule: AlertRule, value: float, ttl: int | None, message: str
) -> PathEvent:
    notice = AlertNotice(
        rule.name,
        "firing" if kind == "alert-raised" else "resolved",
        value if math.isfinite(value) else 0.0,
        rule.threshold,
        _THRESHOLD_UNIT.get(rule.kind, ""),
    )
    return PathEvent(view.taken, kind, ttl, message, notice)
