"""The simulated paths behind ``tracetui --demo``: no root, no network needed.

The demo's own path (``www.demo.example``, and ``--demo`` without a HOST) is a
plausible home-to-datacenter path: a jittery access link, a lossy link into
hop 3 (whose loss shows at every hop after it, as real link loss does), a
router that never answers, an ECMP pair, a router that rate-limits the ICMP
it sends (its loss shows at its own hop only), and an ISP core that answers
as MPLS routers do (label stacks and interfaces in ICMP extensions).

``--demo`` with HOSTs (or ``-F``) traces one simulated path per HOST, so tabs,
the target list and the reports for several targets can be tried without a
network. Each path behind the same home router and ISP has a trouble of its own
(see ``DEMO_PATHS``); a HOST not named there takes them in turn, from the first.
Addresses come from the benchmarking range 198.18.0.0/15 and 2001:db8::/32,
names from .example.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple

from tracetui.icmp_extensions import IcmpExtensions, InterfaceInfo, MplsLabel, encode
from tracetui.path.snapshot import NameInfo
from tracetui.probe.sim import SimHop, SimLink, SimPath, SimRouter, SimScenario, timeline

DEMO_TARGET_NAME = "www.demo.example"

_HOPS = (
    ("198.18.1.1", "2001:db8:1::1", "gw.home.example", 64512, SimLink(0.3, 0.05)),
    ("198.18.2.1", "2001:db8:2::1", "bras1.access.isp.example", 64500, SimLink(4.0, 1.5)),
    ("198.18.3.1", "2001:db8:3::1", "agg2.metro.isp.example", 64500, SimLink(1.2, 0.2, 0.06)),
    ("198.18.4.1", "2001:db8:4::1", "core1.fra.isp.example", 64500, SimLink(6.0, 0.3)),
    ("198.18.5.1", "2001:db8:5::1", None, 64500, SimLink(0.5, 0.1)),
    ("198.18.6.1", "2001:db8:6::1", "ix-peer.fra.transit.example", 64496, SimLink(0.8, 0.2)),
    ("198.18.7.1", "2001:db8:7::1", "be1.ams.transit.example", 64496, SimLink(7.5, 0.4)),
    ("198.18.8.1", "2001:db8:8::1", "edge1.dc.example", 64499, SimLink(0.6, 0.1)),
    ("198.18.9.10", "2001:db8:9::10", DEMO_TARGET_NAME, 64499, SimLink(0.2, 0.05)),
)
_ECMP_TWIN = ("198.18.7.2", "2001:db8:7::2", "be2.ams.transit.example")
_SILENT_HOP = 5
_MPLS_HOPS = {
    3: IcmpExtensions(
        (MplsLabel(24017, 0, True, 1),),
        (InterfaceInfo("incoming", 17, "198.18.3.1", "xe-0/1/0.200", 9000),),
    ),
    4: IcmpExtensions(
        (MplsLabel(300112, 0, False, 1), MplsLabel(16, 0, True, 1)),
        (InterfaceInfo("incoming", 4, "198.18.4.1", "et-2/0/0", 9192),),
    ),
}
"""The ISP's MPLS core: a label stack and the incoming interface in every time-exceeded."""
_RATE_LIMITED_HOP = 8
_RATE_LIMIT_LOSS = 0.3


def demo_scenario() -> SimScenario:
    hops = []
    for index, (address4, address6, _name, _asn, link) in enumerate(_HOPS, start=1):
        reply_loss = _RATE_LIMIT_LOSS if index == _RATE_LIMITED_HOP else 0.0
        extensions = encode(_MPLS_HOPS[index]) if index in _MPLS_HOPS else b""
        routers = [
            SimRouter(
                address4,
                address6,
                silent=index == _SILENT_HOP,
                reply_loss=reply_loss,
                extensions=extensions,
            )
        ]
        if address4 == "198.18.7.1":
            routers.append(SimRouter(_ECMP_TWIN[0], _ECMP_TWIN[1]))
        hops.append(SimHop(tuple(routers), link))
    return SimScenario(paths=(SimPath(tuple(hops)),), foreign_per_second=0.5)


class _Hop(NamedTuple):
    address4: str
    address6: str
    name: str | None
    asn: int
    link: SimLink
    rejects: str | None = None


_HOME = _HOPS[0][:5]
_ACCESS = _HOPS[1][:5]
_METRO = ("198.18.3.2", "2001:db8:3::2", "agg1.metro.isp.example", 64500, SimLink(1.0, 0.2))
_CORE = ("198.18.4.2", "2001:db8:4::2", "core2.fra.isp.example", 64500, SimLink(5.5, 0.3))

_CDN = (
    _Hop(*_HOME),
    _Hop(*_ACCESS),
    _Hop(*_METRO),
    _Hop("198.18.20.10", "2001:db8:20::10", "cdn.demo.example", 64511, SimLink(0.8, 0.1)),
)
_VPN = (
    _Hop(*_HOME),
    _Hop(*_ACCESS),
    _Hop(*_METRO),
    _Hop(*_CORE),
    _Hop(
        "198.18.21.1", "2001:db8:21::1", "pe1.lon.carrier.example", 64502, SimLink(9.0, 0.5, 0.08)
    ),
    _Hop("198.18.21.2", "2001:db8:21::2", "p2.lon.carrier.example", 64502, SimLink(1.0, 0.2)),
    _Hop("198.18.21.10", "2001:db8:21::10", "vpn.demo.example", 64502, SimLink(0.5, 0.1)),
)
_VIDEO = (
    _Hop(*_HOME),
    _Hop(*_ACCESS),
    _Hop(*_METRO),
    _Hop("198.18.22.1", "2001:db8:22::1", "peer.ams.video.example", 64503, SimLink(7.0, 0.4)),
    _Hop("198.18.22.2", "2001:db8:22::2", "edge3.ams.video.example", 64503, SimLink(0.7, 0.1)),
    _Hop("198.18.22.10", "2001:db8:22::10", "video.demo.example", 64503, SimLink(0.3, 0.05)),
)
_VIDEO_CONGESTED_AT = 45.0
"""Seconds into the run when the peering link into hop 4 fills up: every hop from 4 on
is 25 ms slower and jitters, a latency step for the events."""
_MAIL = (
    _Hop(*_HOME),
    _Hop(*_ACCESS),
    _Hop(*_METRO),
    _Hop(*_CORE),
    _Hop("198.18.23.1", "2001:db8:23::1", "fw.mail.example", 64504, SimLink(2.0, 0.2), "admin"),
    _Hop("198.18.23.10", "2001:db8:23::10", "mail.demo.example", 64504, SimLink(0.3, 0.05)),
)


def _path(hops: tuple[_Hop, ...]) -> SimPath:
    return SimPath(
        tuple(
            SimHop((SimRouter(hop.address4, hop.address6, rejects=hop.rejects),), hop.link)
            for hop in hops
        )
    )


def _video() -> SimScenario:
    congested = timeline.link(4, delay_ms=32.0, jitter_ms=6.0)
    return timeline.Timeline(_path(_VIDEO)).at(_VIDEO_CONGESTED_AT, congested).scenario()


class DemoPath(NamedTuple):
    name: str
    trouble: str
    scenario: Callable[[], SimScenario]


DEMO_PATHS = (
    DemoPath(
        DEMO_TARGET_NAME,
        "loss from hop 3 on, a silent router, an ECMP pair, a rate limiter, MPLS",
        lambda: demo_scenario(),  # looked up when called: tests replace it
    ),
    DemoPath("cdn.demo.example", "a short clean path", lambda: SimScenario((_path(_CDN),))),
    DemoPath(
        "vpn.demo.example", "8 % loss beginning at hop 5", lambda: SimScenario((_path(_VPN),))
    ),
    DemoPath(
        "video.demo.example", f"25 ms more from hop 4 after {_VIDEO_CONGESTED_AT:g} s", _video
    ),
    DemoPath(
        "mail.demo.example",
        "a firewall at hop 5 refuses (!X)",
        lambda: SimScenario((_path(_MAIL),)),
    ),
)


def demo_targets(hosts: Sequence[str]) -> list[tuple[str, SimScenario]]:
    """Each HOST with its simulated path: its own if it names one, else the next in turn."""
    by_name = {path.name: path for path in DEMO_PATHS}
    turn = itertools.cycle(DEMO_PATHS)
    out = []
    for host in hosts or (DEMO_TARGET_NAME,):
        path = by_name.get(host.lower().rstrip(".")) or next(turn)
        out.append((host, path.scenario()))
    return out


def demo_names() -> dict[str, NameInfo]:
    """What a resolver would learn about the demo's addresses."""
    names = {}
    for address4, address6, name, asn, _link in _HOPS:
        info = NameInfo(hostname=name, asn=asn, as_name=_AS_NAMES[asn], as_prefix=None)
        names[address4] = names[address6] = info
    twin4, twin6, twin_name = _ECMP_TWIN
    names[twin4] = names[twin6] = NameInfo(twin_name, 64496, _AS_NAMES[64496])
    for hops in (_CDN, _VPN, _VIDEO, _MAIL):
        for hop in hops:
            info = NameInfo(hostname=hop.name, asn=hop.asn, as_name=_AS_NAMES[hop.asn])
            names.setdefault(hop.address4, info)
            names.setdefault(hop.address6, info)
    return names


_AS_NAMES = {
    64512: "HOME-LAN",
    64500: "EXAMPLE-ISP",
    64496: "EXAMPLE-TRANSIT",
    64499: "EXAMPLE-DC",
    64511: "EXAMPLE-CDN",
    64502: "EXAMPLE-CARRIER",
    64503: "EXAMPLE-VIDEO",
    64504: "EXAMPLE-MAIL",
}


class DemoNames:
    """The demo's name service: answers from the table above, never from real DNS."""

    def __init__(self, aslookup: bool) -> None:
        self._full = demo_names()
        self._names_only = {a: NameInfo(hostname=i.hostname) for a, i in self._full.items()}
        self._table = self._full if aslookup else self._names_only
        self.enabled = True

    def request(self, address: str) -> None:
        """Nothing to ask: every answer is already known."""

    def lookup(self, address: str) -> NameInfo | None:
        return self._table.get(address)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled

    def set_aslookup(self, enabled: bool) -> None:
        self._table = self._full if enabled else self._names_only

    def wait(self, timeout: float) -> None:
        """Never waits: the table is complete."""

    def stop(self) -> None:
        """Holds no thread or socket."""
