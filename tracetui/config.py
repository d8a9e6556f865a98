"""One frozen object that says what a run does, built from the command line."""

from __future__ import annotations

from typing import NamedTuple

from tracetui.probe.engine import ProbeSettings
from tracetui.probe.types import Family


class DnsServer(NamedTuple):
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


class Config(NamedTuple):
    host: str | None
    settings: ProbeSettings
    family: Family | None = None
    demo: bool = False
    report_format: str | None = None
    output: str | None = None
    names: bool = True
    aslookup: bool = False
    dns_servers: tuple[DnsServer, ...] = ()
    report_on_exit: str | None = None
    triage: bool = True
    """Ping hops that look rate-limited, to confirm it (never counted as probes)."""
    events_file: str | None = None
    window: float | None = None
    """Seconds of recent statistics a report shows; None for the whole run."""

    @property
    def headless(self) -> bool:
        return self.report_format is not None
