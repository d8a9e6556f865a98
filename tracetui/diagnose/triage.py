"""Which routers to ping, and when, to tell a rate limit from real loss.

A hop that looks rate-limited, or loses without being told apart from the
end of the path yet, gets plain echo requests to its current responder: at
most one a second per hop, at most ``MAX_HOPS`` hops at a time, and at most
``MAX_PINGS`` per router, so the triage stays far below any rate limit it
is meant to detect. The pings never count in a hop's Snt or Loss%.
"""

from __future__ import annotations

from tracetui.diagnose.diagnosis import HopVerdict, Verdict
from tracetui.snapshot import PathView

PING_SECONDS = 1.0
MAX_HOPS = 3
MAX_PINGS = 10


class TriagePlanner:
    def __init__(self) -> None:
        self._last_ping: dict[str, float] = {}

    def due(self, view: PathView, computed: dict[int, HopVerdict], now: float) -> list[str]:
        """Addresses to ping now (``now`` on the engine's clock, in seconds)."""
        out: list[str] = []
        for hop in view.hops:
            if len(out) >= MAX_HOPS:
                break
            verdict = computed.get(hop.ttl)
            primary = hop.primary
            if verdict is None or primary is None or not hop.on_path:
                continue
            ambiguous = verdict.verdict is Verdict.PENDING and hop.lost > 0
            suspect = (
                verdict.verdict is Verdict.RATE_LIMITED
                or ambiguous
                or (verdict.verdict is Verdict.LOSS_ORIGIN and hop.is_destination)
            )
            if not suspect:
                continue
            address = primary.address
            echo = view.echoes.get(address)
            if echo is not None and echo.sent >= MAX_PINGS:
                continue
            if now - self._last_ping.get(address, -PING_SECONDS) < PING_SECONDS:
                continue
            self._last_ping[address] = now
            out.append(address)
        return out
