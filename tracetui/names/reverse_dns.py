"""Reverse DNS and AS numbers with dnspython's asyncio API, never blocking anyone.

Callers only ever read the cache: an address starts out pending (shown as the
address), and a name appears once a lookup finished. Lookups run as asyncio
tasks, at most ``MAX_IN_FLIGHT`` at a time, each bounded by a timeout; a slow
or dead server costs nothing but missing names. Failures are cached too, so a
dead server is not asked again for every frame.

AS numbers use Team Cymru's DNS interface, as mtr and Trippy do:
``<reversed-ip>.origin.asn.cymru.com`` (``origin6`` for IPv6) TXT gives
``"ASN | prefix | cc | registry | date"``, and ``AS<n>.asn.cymru.com`` TXT
gives ``"ASN | cc | registry | date | name"``.

Everything taken from an answer passes :func:`tracetui.textsafe.printable`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from tracetui.path.snapshot import NameInfo
from tracetui.settings.config import DnsServer
from tracetui.textsafe import printable

if TYPE_CHECKING:
    import dns.resolver

MAX_IN_FLIGHT = 4
MAX_QUEUED = 1024
LOOKUP_TIMEOUT = 2.0
MIN_TTL = 30.0
MAX_TTL = 86400.0
NEGATIVE_TTL = 300.0
FAILURE_TTL = 30.0
MAX_ENTRIES = 4096
STOP_WAIT = 1.0
"""Seconds a stop waits for the lookups it cancels to wind down."""


class _Entry:
    __slots__ = ("expires", "info")

    def __init__(self, info: NameInfo | None, expires: float) -> None:
        self.info = info
        self.expires = expires


class NameCache:
    """Bounded LRU of lookup results; ``info is None`` means pending.

    Pure: the time is passed in, so tests drive expiry with a fake clock.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> NameInfo | None:
        """What is known, even if expired (a stale name beats none while it refreshes)."""
        entry = self._entries.get(key)
        return entry.info if entry else None

    def needs_lookup(self, key: str, now: float) -> bool:
        entry = self._entries.get(key)
        if entry is None:
            return True
        return entry.info is not None and now >= entry.expires

    def is_pending(self, key: str) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry.info is None

    def mark_pending(self, key: str, now: float) -> None:
        old = self._entries.get(key)
        if old is not None and old.info is not None:
            old.expires = now + LOOKUP_TIMEOUT * 4  # refresh in progress: keep showing the old name
        else:
            self._put(key, _Entry(None, now + LOOKUP_TIMEOUT * 4))

    def store(self, key: str, info: NameInfo, ttl: float, now: float) -> None:
        self._put(key, _Entry(info, now + min(MAX_TTL, max(MIN_TTL, ttl))))

    def expire_all(self) -> None:
        """Make every entry due for a fresh lookup (its current answer stays visible meanwhile)."""
        for entry in self._entries.values():
            if entry.info is not None:
                entry.expires = 0.0

    def forget_pending(self, key: str) -> None:
        entry = self._entries.get(key)
        if entry is not None and entry.info is None:
            del self._entries[key]

    def _put(self, key: str, entry: _Entry) -> None:
        entries = self._entries
        entries[key] = entry
        entries.move_to_end(key)
        while len(entries) > self._max:
            entries.popitem(last=False)


def _reverse_nibbles(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return ".".join(reversed(address.split("."))) + ".origin.asn.cymru.com"
    nibbles = ip.exploded.replace(":", "")
    return ".".join(reversed(nibbles)) + ".origin6.asn.cymru.com"


def parse_origin_txt(text: str) -> tuple[int, str | None] | None:
    """``"64500 | 198.18.0.0/15 | ZZ | arin | 2006-01-01"`` -> (64500, "198.18.0.0/15")."""
    fields = [part.strip() for part in text.split("|")]
    first = fields[0].split() if fields else []
    if not first or not first[0].isdigit() or len(first[0]) > 10:
        return None
    prefix = fields[1] if len(fields) > 1 and fields[1] else None
    return int(first[0]), printable(prefix, 64) if prefix else None


def parse_origin_details(text: str) -> tuple[str | None, str | None, str | None]:
    """``"64500 | 198.18.0.0/15 | ZZ | arin | 2006-01-01"`` -> ("ZZ", "arin", "2006-01-01"):
    what mtr's ``-y 2``, ``-y 3`` and ``-y 4`` show."""
    fields = [part.strip() for part in text.split("|")]
    details = [printable(value, 32) if value else None for value in fields[2:5]]
    details += [None] * (3 - len(details))
    return details[0], details[1], details[2]


def parse_as_name_txt(text: str) -> str | None:
    """``"64500 | ZZ | arin | 2006-01-01 | EXAMPLE-ISP - Example"`` -> the last field."""
    fields = [part.strip() for part in text.split("|")]
    return printable(fields[-1], 96) if len(fields) >= 5 and fields[-1] else None


def _txt(answer: dns.resolver.Answer) -> str:
    record = next(iter(answer))
    return b"".join(record.strings).decode("utf-8", "replace")


class Resolver:
    """Lookups as asyncio tasks on one event loop; call it only from that loop's thread."""

    def __init__(
        self,
        servers: tuple[DnsServer, ...] = (),
        aslookup: bool = False,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = LOOKUP_TIMEOUT,
    ) -> None:
        import dns.asyncresolver
        import dns.nameserver
        import dns.resolver

        try:
            self._dns = dns.asyncresolver.Resolver(configure=not servers)
        except dns.resolver.NoResolverConfiguration:
            self._dns = dns.asyncresolver.Resolver(configure=False)
        if servers:
            self._dns.nameservers = [
                dns.nameserver.Do53Nameserver(s.address, s.port) for s in servers
            ]
        self._dns.lifetime = timeout
        self._dns.timeout = timeout
        self._dns.cache = None
        self.aslookup = aslookup
        self.enabled = True
        self._clock = clock
        self.names = NameCache()
        self._as_names = NameCache(1024)
        self._queue: asyncio.Queue[str] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._busy = 0

    # ------------------------------------------------------------ caller side
    def lookup(self, address: str) -> NameInfo | None:
        """What the cache knows now; asks for a lookup when it knows nothing fresh."""
        if self.enabled and self.names.needs_lookup(address, self._clock()):
            self.request(address)
        return self.names.get(address)

    def request(self, address: str) -> None:
        if not self.enabled or not self.names.needs_lookup(address, self._clock()):
            return
        queue = self._ensure_workers()
        if queue.qsize() >= MAX_QUEUED:
            return
        self.names.mark_pending(address, self._clock())
        queue.put_nowait(address)

    def set_enabled(self, enabled: bool) -> None:
        """Off: no new lookups, queued ones dropped; the cache stays for when it comes back."""
        self.enabled = enabled
        if not enabled and self._queue is not None:
            while not self._queue.empty():
                self.names.forget_pending(self._queue.get_nowait())

    def set_aslookup(self, enabled: bool) -> None:
        """Turning AS lookups on looks every known address up again, AS included."""
        if enabled and not self.aslookup:
            self.names.expire_all()
        self.aslookup = enabled

    @property
    def idle(self) -> bool:
        return self._busy == 0 and (self._queue is None or self._queue.empty())

    async def wait_idle(self, timeout: float) -> None:
        deadline = self._clock() + timeout
        while not self.idle and self._clock() < deadline:
            await asyncio.sleep(0.02)

    def close(self) -> None:
        for task in self._workers:
            task.cancel()
        self._workers.clear()

    async def aclose(self) -> None:
        """Cancel the workers and let them finish, so none is left pending when the loop
        stops (Python would print "Task was destroyed but it is pending!" at exit)."""
        workers = list(self._workers)
        self.close()
        await asyncio.gather(*workers, return_exceptions=True)

    # ------------------------------------------------------------ loop side
    def _ensure_workers(self) -> asyncio.Queue[str]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._workers = [asyncio.create_task(self._work()) for _ in range(MAX_IN_FLIGHT)]
        return self._queue

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            address = await self._queue.get()
            self._busy += 1
            try:
                if self.enabled:
                    await self._resolve(address)
                else:
                    self.names.forget_pending(address)
            except Exception:  # noqa: BLE001 - a bad answer must never kill a worker
                self.names.store(address, NameInfo(), FAILURE_TTL, self._clock())
            finally:
                self._busy -= 1

    async def _resolve(self, address: str) -> None:
        hostname, ttl = await self._ptr(address)
        info = NameInfo(hostname=hostname)
        if self.aslookup:
            info = await self._with_asn(address, info)
        self.names.store(address, info, ttl, self._clock())

    async def _ptr(self, address: str) -> tuple[str | None, float]:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._dns.resolve_address(address)
        except dns.resolver.NXDOMAIN:
            return None, NEGATIVE_TTL
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers, dns.exception.Timeout):
            return None, FAILURE_TTL
        except dns.exception.DNSException:
            return None, FAILURE_TTL
        name = next(iter(answer)).target.to_text(omit_final_dot=True)
        return printable(name), float(answer.rrset.ttl if answer.rrset else MIN_TTL)

    async def _txt_record(self, name: str) -> str | None:
        import dns.exception

        try:
            answer = await self._dns.resolve(name, "TXT", search=False)
        except dns.exception.DNSException:
            return None
        return _txt(answer)

    async def _with_asn(self, address: str, info: NameInfo) -> NameInfo:
        text = await self._txt_record(_reverse_nibbles(address))
        origin = parse_origin_txt(text) if text else None
        if origin is None:
            return info
        asn, prefix = origin
        key = str(asn)
        as_name = None
        cached = self._as_names.get(key)
        if cached is not None:
            as_name = cached.as_name
        else:
            name_text = await self._txt_record(f"AS{asn}.asn.cymru.com")
            as_name = parse_as_name_txt(name_text) if name_text else None
            self._as_names.store(key, NameInfo(as_name=as_name), MAX_TTL, self._clock())
        country, registry, allocated = parse_origin_details(text or "")
        return info._replace(
            asn=asn,
            as_name=as_name,
            as_prefix=prefix,
            country=country,
            registry=registry,
            allocated=allocated,
        )


class BackgroundNames:
    """A Resolver on its own thread and event loop: the name service of every run.

    Callers on any thread read its cache and queue requests; nothing they do
    waits for DNS. Starting it does not wait for dnspython to import: requests
    queue on the loop and run once the thread has built the resolver.
    """

    def __init__(self, servers: tuple[DnsServer, ...], aslookup: bool) -> None:
        self._loop = asyncio.new_event_loop()
        self._resolver: Resolver | None = None
        self._settings = (servers, aslookup)
        self._enabled = True
        self._thread = threading.Thread(target=self._run, name="tracetui-names", daemon=True)

    @classmethod
    def start(cls, servers: tuple[DnsServer, ...], aslookup: bool) -> BackgroundNames:
        names = cls(servers, aslookup)
        names._thread.start()
        return names

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._resolver = Resolver(*self._settings)
        self._loop.run_forever()

    def _on_loop(self, method: str, *args: object) -> None:
        resolver = self._resolver
        if resolver is not None:
            getattr(resolver, method)(*args)

    def _call(self, method: str, *args: object) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._on_loop, method, *args)

    def request(self, address: str) -> None:
        self._call("request", address)

    def lookup(self, address: str) -> NameInfo | None:
        """What is cached now; an expired entry is refreshed in the background."""
        resolver = self._resolver
        if resolver is None:
            return None
        if self._enabled and resolver.names.needs_lookup(address, time.monotonic()):
            self._call("request", address)
        return resolver.names.get(address)

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        self._call("set_enabled", enabled)

    def set_aslookup(self, enabled: bool) -> None:
        self._call("set_aslookup", enabled)

    def wait(self, timeout: float) -> None:
        """Until every requested lookup finished, or ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self._resolver is None and time.monotonic() < deadline:
            time.sleep(0.01)
        resolver = self._resolver
        if resolver is None:
            return
        remaining = max(0.0, deadline - time.monotonic())
        future = asyncio.run_coroutine_threadsafe(resolver.wait_idle(remaining), self._loop)
        try:
            future.result(remaining + 1.0)
        except TimeoutError:
            future.cancel()

    def stop(self) -> None:
        loop, resolver = self._loop, self._resolver
        if loop.is_closed():
            return
        if resolver is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(resolver.aclose(), loop)
            try:
                future.result(STOP_WAIT)
            except (TimeoutError, RuntimeError, asyncio.CancelledError):
                future.cancel()
        else:
            self._call("close")
        loop.call_soon_threadsafe(loop.stop)
