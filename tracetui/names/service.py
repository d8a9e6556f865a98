"""The one name service interface, and the one place that picks an implementation.

Reports and the live screen both ask names this way: requests are queued,
lookups read a cache, and nothing ever waits for DNS except an explicit,
bounded ``wait`` at the end of a report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tracetui.path.snapshot import NameInfo
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.names.geoip import GeoIp

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


class NamesAround:
    """A name service around another: everything goes to ``inner``; a subclass changes
    what it means to change (the recorder keeps answers, GeoIP adds the place)."""

    def __init__(self, inner: NameService) -> None:
        self._inner = inner

    def request(self, address: str) -> None:
        self._inner.request(address)

    def lookup(self, address: str) -> NameInfo | None:
        return self._inner.lookup(address)

    def set_enabled(self, enabled: bool) -> None:
        self._inner.set_enabled(enabled)

    def set_aslookup(self, enabled: bool) -> None:
        self._inner.set_aslookup(enabled)

    def wait(self, timeout: float) -> None:
        self._inner.wait(timeout)

    def stop(self) -> None:
        self._inner.stop()


class GeoNames(NamesAround):
    """A name service whose answers also carry the place (--geoip-mmdb-file)."""

    def __init__(self, inner: NameService, geo: GeoIp) -> None:
        super().__init__(inner)
        self._geo = geo

    def lookup(self, address: str) -> NameInfo | None:
        info = self._inner.lookup(address)
        place = self._geo.place(address)
        if place is None:
            return info
        base = info or NameInfo()
        return base._replace(country=place.country or base.country, city=place.city)

    def stop(self) -> None:
        super().stop()
        self._geo.close()


class NameKeeper(Protocol):
    """A recording: it keeps the answers shown (recording.recorder.RecordingTransport)."""

    def keep_names(self, service: NameService) -> NameService: ...


def open_names(
    config: Config,
    aslookup: bool,
    own: NameService | None = None,
    recording: NameKeeper | None = None,
) -> NameService:
    """A source with names of its own (the demo's table, a replay's recording) answers
    from them; everything else asks real DNS in a thread. A run being recorded keeps
    the answers it shows.

    Imported here: asyncio and dnspython cost start-up time that ``-n`` runs never need.
    """
    service: NameService
    if own is not None:
        service = own
        service.set_aslookup(aslookup)
    else:
        from tracetui.names.reverse_dns import BackgroundNames

        service = BackgroundNames.start(config.dns_servers, aslookup)
    if recording is not None:
        service = recording.keep_names(service)
    if config.geoip is not None:  # outermost: a place is the local file's, never recorded
        from tracetui.names.geoip import GeoIp

        service = GeoNames(service, GeoIp.open(config.geoip))
    return service
