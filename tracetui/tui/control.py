"""What the live screen may do with a running trace: commands in, snapshots out.

The screen depends on this interface only (an import contract enforces it),
never on the engine, the model, the sockets or start-up. Commands are requests:
their effect shows up in a later snapshot, once the engine has applied them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tracetui.diagnose.overview import TargetLine
from tracetui.path.snapshot import PathView, TraceInfo
from tracetui.probe.types import ProbeMethod


class TraceControl(Protocol):
    @property
    def info(self) -> TraceInfo: ...

    @property
    def methods(self) -> frozenset[ProbeMethod]:
        """The probe methods this run can switch to (raw sockets allow all)."""
        ...

    def start(self) -> None:
        """Begin probing (the live screen calls it once it is on screen)."""
        ...

    def close(self) -> None:
        """Stop probing and release sockets and threads; idempotent."""
        ...

    def snapshot(self, timeline: int = 0) -> PathView:
        """The path now, with names as far as they are known; with ``timeline``, at most
        that many points of every hop's history (a report's charts)."""
        ...

    @property
    def failure(self) -> str | None:
        """Why probing stopped unexpectedly, if it did."""
        ...

    def pause(self, paused: bool) -> None: ...

    def reset(self) -> None:
        """Start the statistics afresh; ValueError if this run cannot (a replay)."""
        ...

    def switch_method(self, method: ProbeMethod) -> None:
        """Probe with another method from now on; ValueError if this run cannot."""
        ...

    def configure(self, changes: Mapping[str, int | float]) -> None:
        """Change probing settings (tracetui.probe.tunables: interval, TTL range, size, TOS,
        bit pattern, max unknown); ValueError with one line if they cannot be had."""
        ...

    def set_window(self, seconds: float | None) -> None:
        """Statistics of the last ``seconds`` only (None: the whole run); verdicts stay."""
        ...

    def set_timeline(self, seconds: float | None, back: float = 0.0, points: int = 0) -> None:
        """From the next snapshot on, every hop's history over ``seconds`` ending ``back``
        seconds ago, in at most ``points`` buckets (the timeline pane); None: none."""
        ...

    def set_focus(self, focus: tuple[float, float] | None) -> None:
        """Table, verdicts, summary and events of this span of the history (engine clock,
        as PathView.clock) from the next snapshot on; None: the whole run again."""
        ...

    def set_names(self, names: bool, asn: bool) -> None:
        """Which lookups to run: reverse DNS, AS numbers, both or neither."""
        ...


class TargetsControl(TraceControl, Protocol):
    """The screen's targets, one or several (#15): the TraceControl calls act on the one
    shown (``info``, ``snapshot``, ``reset``, ``switch_method``), or on all of them
    (``pause``, ``set_names``, ``set_window``). One target is a list of one: no tabs."""

    @property
    def targets(self) -> tuple[str, ...]:
        """As given, in order."""
        ...

    @property
    def shown(self) -> int: ...

    def all_finished(self) -> bool:
        """Every target's ``--count`` rounds are sent and settled (as of the last snapshot)."""
        ...

    def show_target(self, index: int) -> None:
        """Show target ``index`` (modulo the count) from the next snapshot on."""
        ...

    def overview(self) -> tuple[TargetLine, ...]:
        """One line per target, in order, from each target's latest diagnosed snapshot."""
        ...
