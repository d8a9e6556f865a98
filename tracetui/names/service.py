"""The one name service interface, and the one place that picks an implementation.

Reports and the live screen both ask names this way: requests are queued,
lookups read a cache, and nothing ever waits for DNS except an explicit,
bounded ``wait`` at the end of a report.
"""

from __future__ import annotations

from typing import Protocol

from tracetui.path.snapshot import NameInfo
from tracetui.settings.config import Config

LOOKUP_MODULES = (
    "tracetui.names.reverse_dns",
    "dns.asyncresolver",
    "dns.nameserver",
    # dnspython imports record types when it first parses one
    "dns.rdtypes.ANY.PTR",
    "dns.rdtypes.ANY.SOA",
    "dns.rdtypes.ANY.TXT",
    "dns.rdtypes.IN.A",
    "dns.rdtypes.IN.AAAA",
)
"""What lookups import later: preloaded where a privilege drop would make that fail."""


class NameService(Protocol):
    def request(self, address: str) -> None:
        """Look this address up in the background (no-op when it is known or pending)."""
        ...

    def lookup(self, address: str) -> NameInfo | None:
        """What is known now; None while pending or never asked."""
        ...

    def set_enabled(self, enabled: bool) -> None: ...

    def set_aslookup(self, enabled: bool) -> None: ...

    def wait(self, timeout: float) -> None:
        """Until pending lookups finish, or ``timeout`` seconds."""
        ...

    def stop(self) -> None: ...


class RecordedNames(Protocol):
    """A replay: the names the recorded run showed (recording.replay.ReplayTransport)."""

    @property
    def recorded_names(self) -> NameService: ...


class NameKeeper(Protocol):
    """A recording: it keeps the answers shown (recording.recorder.RecordingTransport)."""

    def keep_names(self, service: NameService) -> NameService: ...


def open_names(
    config: Config,
    aslookup: bool,
    replay: RecordedNames | None = None,
    recording: NameKeeper | None = None,
) -> NameService:
    """The demo answers from its own table, a replay from its recording; everything else
    asks real DNS in a thread. A run being recorded keeps the answers it shows.

    Imported here: asyncio and dnspython cost start-up time that ``-n`` runs never need.
    """
    if replay is not None:
        replay.recorded_names.set_aslookup(aslookup)
        return replay.recorded_names
    service: NameService
    if config.demo:
        from tracetui.run.demo import DemoNames

        service = DemoNames(aslookup)
    else:
        from tracetui.names.reverse_dns import BackgroundNames

        service = BackgroundNames.start(config.dns_servers, aslookup)
    return recording.keep_names(service) if recording is not None else service
