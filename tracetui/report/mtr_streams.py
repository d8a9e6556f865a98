"""mtr's streaming outputs, written while probing: ``-l`` (raw) and ``-p`` (split).

Raw: one line per thing that happens, ``x HOP SEQ`` when a probe leaves,
``h HOP ADDRESS`` and ``p HOP MICROSECONDS SEQ`` when it is answered (with
``-e``, ``m HOP LABEL TC S TTL`` after the ``h`` line for each entry of the
reply's MPLS label stack), and ``d HOP NAME`` once a hop's name is known;
hops count from 0 as in mtr.

Split: a line ``HOP NAME LOSS RCV SNT BEST AVG WORST`` (loss in thousandths
of a percent, times in whole milliseconds, as mtr prints them) whenever a
hop's line changes, ``HOP ???`` for a hop that stops answering, and ``-N``
when the path no longer reaches hop N.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tracetui.icmp_extensions import decode as decode_extensions
from tracetui.labels import UNKNOWN_HOST, display_name
from tracetui.path.diagnosis import PathEvent
from tracetui.path.snapshot import HopView, NameInfo, PathView
from tracetui.probe.events import EngineEvent, ProbeLost, ProbeReplied, ProbeSent, RoundStarted
from tracetui.textsafe import printable

FIRST_SEQUENCE = 33000
Write = Callable[[str], None]


class RawStream:
    def __init__(
        self,
        write: Write,
        names: Callable[[str], NameInfo | None] | None,
        *,
        mpls: bool = False,
    ) -> None:
        self._write = write
        self._mpls = mpls
        self._names = names
        self._next = FIRST_SEQUENCE
        self._sequence: dict[tuple[int, int], int] = {}
        self._named: set[tuple[int, str]] = set()
        self._end = 256

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        """mtr's raw lines follow the probes only."""

    def observe(self, event: EngineEvent) -> None:
        match event:
            case ProbeSent():
                sequence = self._sequence[event.ttl, event.round] = self._next
                self._next += 1
                self._write(f"x {event.ttl - 1} {sequence}\n")
            case ProbeReplied():
                self._reply(event)
            case ProbeLost():
                self._sequence.pop((event.ttl, event.round), None)

    def _reply(self, event: ProbeReplied) -> None:
        sequence = self._sequence.pop((event.ttl, event.round), None)
        if event.kind.ends_path:
            self._end = min(self._end, event.ttl)
        if sequence is None or event.ttl > self._end:
            return  # beyond where the path ends: mtr would not have probed there
        hop = event.ttl - 1
        self._write(f"h {hop} {event.responder}\n")
        if self._mpls and event.extensions:
            for m in decode_extensions(event.extensions).mpls:
                self._write(f"m {hop} {m.label} {m.tc} {int(m.bottom)} {m.ttl}\n")
        self._name(hop, event.responder)
        self._write(f"p {hop} {round(event.rtt * 1000)} {sequence}\n")

    def _name(self, hop: int, address: str) -> None:
        if self._names is None or (hop, address) in self._named:
            return
        info = self._names(address)
        if info is not None and info.hostname:
            self._named.add((hop, address))
            self._write(f"d {hop} {printable(info.hostname)}\n")


class SplitStream:
    """mtr's split.c: lines start as ``???`` (so a silent hop prints nothing until it
    answers), a line prints only when it changes, and ``-N`` lines count down from the
    highest line printed when the path gets shorter."""

    def __init__(
        self,
        write: Write,
        show_names: bool,
        show_ips: bool,
        look: Callable[[], PathView] | None = None,
    ) -> None:
        """``look``: the path now (undiagnosed), printed as each round starts, as mtr does
        (None: only what is published)."""
        self._write = write
        self._show_names = show_names
        self._show_ips = show_ips
        self._look = look
        self._lines: dict[int, str] = {}
        self._line_count = 0

    def observe(self, event: EngineEvent) -> None:
        if self._look is not None and isinstance(event, RoundStarted):
            self.update(self._look())

    def publish(self, view: PathView, new_events: Sequence[PathEvent]) -> None:
        self.update(view)

    def update(self, view: PathView) -> None:
        """Print the hops whose line changed since the last view."""
        hops = [hop for hop in view.hops if hop.on_path]
        last = hops[-1].ttl if hops else 0
        while self._line_count > last:
            self._write(f"-{self._line_count}\n")
            self._lines.pop(self._line_count, None)
            self._line_count -= 1
        for hop in hops:
            line = self._line(hop)
            if self._lines.get(hop.ttl, UNKNOWN_HOST) != line:
                self._lines[hop.ttl] = line
                self._line_count = max(self._line_count, hop.ttl)
                self._write(f"{hop.ttl} {line}\n")

    def _line(self, hop: HopView) -> str:
        primary = hop.primary
        if primary is None:
            return UNKNOWN_HOST
        name = display_name(primary, self._show_names) or primary.address
        if self._show_ips:
            name = f"{name} {primary.address}"
        rtt = hop.rtt
        return (
            f"{name} {mtr_loss(hop.received, hop.received + hop.lost)} {hop.received} "
            f"{hop.sent} {int(rtt.best)} {int(rtt.avg)} {int(rtt.worst)}"
        )


def mtr_loss(received: int, completed: int) -> int:
    """mtr's net_loss(): loss in thousandths of a percent, truncated as C truncates."""
    if not completed:
        return 0
    return int(1000 * (100 - (100.0 * received / completed)))


def is_round(event: EngineEvent) -> bool:
    return isinstance(event, RoundStarted)
