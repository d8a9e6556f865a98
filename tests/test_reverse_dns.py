"""Names and AS numbers: the cache, the parsers, and the resolver against a loopback DNS server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest
from fake_dns import FakeDns
from unavailable import unavailable

from tracetui.names.reverse_dns import (
    FAILURE_TTL,
    NEGATIVE_TTL,
    NameCache,
    Resolver,
    parse_as_name_txt,
    parse_origin_txt,
)
from tracetui.path.snapshot import NameInfo
from tracetui.run.headless import NAME_WAIT
from tracetui.settings.config import DnsServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------ cache
def test_cache_entry_goes_from_pending_to_answered():
    cache = NameCache()
    assert cache.needs_lookup("198.18.1.1", 0.0)
    cache.mark_pending("198.18.1.1", 0.0)
    assert cache.is_pending("198.18.1.1") and cache.get("198.18.1.1") is None
    assert not cache.needs_lookup("198.18.1.1", 1.0)  # one lookup at a time
    cache.store("198.18.1.1", NameInfo("r1.example"), 600, 1.0)
    assert cache.get("198.18.1.1").hostname == "r1.example"
    assert not cache.needs_lookup("198.18.1.1", 600.0)
    assert cache.needs_lookup("198.18.1.1", 601.0)  # expired after its TTL
    assert cache.get("198.18.1.1").hostname == "r1.example"  # still shown while refreshing


def test_negative_answers_are_cached_too():
    cache = NameCache()
    cache.store("198.18.9.9", NameInfo(), NEGATIVE_TTL, 0.0)
    assert cache.get("198.18.9.9") == NameInfo()
    assert not cache.needs_lookup("198.18.9.9", NEGATIVE_TTL - 1)
    assert cache.needs_lookup("198.18.9.9", NEGATIVE_TTL)


def test_tiny_ttls_are_raised_so_nothing_is_asked_every_frame():
    cache = NameCache()
    cache.store("a", NameInfo("x"), 0, 0.0)
    assert not cache.needs_lookup("a", 10.0)


def test_cache_is_bounded_and_evicts_the_oldest():
    cache = NameCache(max_entries=3)
    for index in range(5):
        cache.store(f"198.18.0.{index}", NameInfo(f"n{index}"), 600, 0.0)
    assert len(cache) == 3
    assert cache.get("198.18.0.0") is None and cache.get("198.18.0.4").hostname == "n4"


def test_expire_all_keeps_answers_visible():
    cache = NameCache()
    cache.store("a", NameInfo("x"), 600, 0.0)
    cache.expire_all()
    assert cache.needs_lookup("a", 0.0) and cache.get("a").hostname == "x"


# ---------------------------------------------------------------------- parsers
@pytest.mark.parametrize(
    "text,expected",
    [
        ("64500 | 198.18.0.0/15 | ZZ | arin | 2006-01-01", (64500, "198.18.0.0/15")),
        ("64500 64501 | 198.18.0.0/15 | ZZ", (64500, "198.18.0.0/15")),
        ("64500", (64500, None)),
        ("NA | 198.18.0.0/15", None),
        ("", None),
        ("99999999999999 | x", None),
        ("64500 | \x1b[31mevil", (64500, "\\x1b[31mevil")),
    ],
)
def test_origin_txt(text, expected):
    assert parse_origin_txt(text) == expected


def test_as_name_txt():
    assert parse_as_name_txt("64500 | ZZ | arin | 2006-01-01 | EXAMPLE - Example") == (
        "EXAMPLE - Example"
    )
    assert parse_as_name_txt("64500 | ZZ") is None
    assert parse_as_name_txt("1 | 2 | 3 | 4 | \x07bell") == "\\x07bell"


# --------------------------------------------------------------------- resolver
RECORDS = {
    "1.1.18.198.in-addr.arpa": ("PTR", "r1.lab.example."),
    "2.1.18.198.in-addr.arpa": ("PTR", "evil\\027]0\\059title\\007.example."),
    "1.1.18.198.origin.asn.cymru.com": ("TXT", '"64501 | 198.18.1.0/24 | ZZ | lab | 2026-01-01"'),
    "AS64501.asn.cymru.com": ("TXT", '"64501 | ZZ | lab | 2026-01-01 | LAB-ONE"'),
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": (
        "PTR",
        "r1-v6.lab.example.",
    ),
}


async def _settle(resolver: Resolver, timeout: float = 5.0) -> None:
    await resolver.wait_idle(timeout)


async def test_resolver_answers_names_and_nxdomain():
    with FakeDns(RECORDS) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),))
        assert resolver.lookup("198.18.1.1") is None  # pending: the screen shows the address
        resolver.lookup("198.18.9.9")
        resolver.lookup("2001:db8:1::1")
        await _settle(resolver)
        assert resolver.lookup("198.18.1.1").hostname == "r1.lab.example"
        assert resolver.lookup("198.18.9.9") == NameInfo()  # NXDOMAIN: no name, cached
        assert resolver.lookup("2001:db8:1::1").hostname == "r1-v6.lab.example"
        asked = len(server.queries)
        resolver.lookup("198.18.9.9")
        await _settle(resolver)
        assert len(server.queries) == asked  # the negative answer came from the cache
        resolver.close()


async def test_hostile_ptr_names_become_printable_text():
    with FakeDns(RECORDS) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),))
        resolver.lookup("198.18.1.2")
        await _settle(resolver)
        name = resolver.lookup("198.18.1.2").hostname
        assert name.isprintable() and "\x1b" not in name and "\x07" not in name
        resolver.close()


async def test_as_lookup_fills_number_name_and_prefix():
    with FakeDns(RECORDS) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),), aslookup=True)
        resolver.lookup("198.18.1.1")
        await _settle(resolver)
        info = resolver.lookup("198.18.1.1")
        assert (info.asn, info.as_name, info.as_prefix) == (64501, "LAB-ONE", "198.18.1.0/24")
        assert info.as_label == "AS64501 LAB-ONE"
        resolver.close()


async def test_turning_as_lookup_on_looks_names_up_again():
    with FakeDns(RECORDS) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),))
        resolver.lookup("198.18.1.1")
        await _settle(resolver)
        assert resolver.lookup("198.18.1.1").asn is None
        resolver.set_aslookup(True)
        assert resolver.lookup("198.18.1.1").hostname == "r1.lab.example"  # no blank meanwhile
        await _settle(resolver)
        assert resolver.lookup("198.18.1.1").asn == 64501
        resolver.close()


async def test_at_most_a_few_lookups_in_flight():
    with FakeDns(RECORDS, delay=0.2) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),))
        for index in range(30):
            resolver.lookup(f"198.18.2.{index}")
        await _settle(resolver, 10.0)
        assert len(server.queries) == 30
        assert server.max_in_flight <= 4
        resolver.close()


async def test_dead_server_never_blocks_and_failures_are_cached():
    with FakeDns({}, silent=True) as server:
        clock = FakeClock()
        resolver = Resolver((DnsServer("127.0.0.1", server.port),), clock=clock, timeout=0.5)
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        for index in range(10):
            assert resolver.lookup(f"198.18.3.{index}") is None
        await asyncio.sleep(0.3)
        assert ticks >= 10  # the loop kept running while every lookup hung
        deadline = time.monotonic() + 10
        while not resolver.idle and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert resolver.idle
        assert resolver.lookup("198.18.3.0") == NameInfo()  # a failure, cached...
        assert not resolver.names.needs_lookup("198.18.3.0", clock.now + FAILURE_TTL - 1)
        clock.now += FAILURE_TTL + 60
        assert resolver.names.needs_lookup("198.18.3.0", clock.now)  # ...for a while
        task.cancel()
        resolver.close()


async def test_disabling_drops_queued_lookups_and_keeps_the_cache():
    with FakeDns(RECORDS, delay=0.3) as server:
        resolver = Resolver((DnsServer("127.0.0.1", server.port),))
        resolver.lookup("198.18.1.1")
        await _settle(resolver)
        for index in range(20):
            resolver.lookup(f"198.18.4.{index}")
        resolver.set_enabled(False)
        assert resolver.lookup("198.18.4.19") is None
        await _settle(resolver)
        assert len(server.queries) <= 1 + 4  # only those already in flight went out
        resolver.set_enabled(True)
        assert resolver.lookup("198.18.1.1").hostname == "r1.lab.example"  # at once
        resolver.close()


def test_report_with_a_dead_dns_server_finishes_on_time_and_shows_addresses():
    """Probes go to loopback only; the DNS server is a loopback socket that never answers."""
    if os.geteuid() != 0:
        unavailable("needs raw sockets (root)")

    def report(*names: str) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        command = [sys.executable, "-m", "tracetui", "-r", "-c", "2", "-i", "0.1", "-Z", "0.5"]
        done = subprocess.run(
            [*command, *names, "127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done, time.monotonic() - started

    # ground truth from this machine, now: the same report without any lookups
    _, without_names = report("-n")
    with FakeDns({}, silent=True) as server:
        done, elapsed = report("--dns-server", f"127.0.0.1:{server.port}")
    assert done.returncode == 0, done.stderr
    assert "  1.|-- 127.0.0.1 " in done.stdout
    # names get one bounded wait at the end, never the DNS timeout per hop
    assert elapsed < without_names + NAME_WAIT + 1.0, (elapsed, without_names)
