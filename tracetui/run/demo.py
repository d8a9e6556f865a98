"""The simulated path behind ``tracetui --demo``: no root, no network needed.

A plausible home-to-datacenter path: a jittery access link, a lossy link
into hop 3 (whose loss shows at every hop after it, as real link loss does),
a router that never answers, an ECMP pair, a router that rate-limits the
ICMP it sends (its loss shows at its own hop only), and an ISP core that
answers as MPLS routers do (label stacks and interfaces in ICMP extensions).
Addresses come from the benchmarking range 198.18.0.0/15 and 2001:db8::/32,
names from .example.
"""

from __future__ import annotations

from tracetui.icmp_extensions import IcmpExtensions, InterfaceInfo, MplsLabel, encode
from tracetui.path.snapshot import NameInfo
from tracetui.probe.sim import SimHop, SimLink, SimPath, SimRouter, SimScenario

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


def demo_names() -> dict[str, NameInfo]:
    """What a resolver would learn about the demo's addresses."""
    names = {}
    for address4, address6, name, asn, _link in _HOPS:
        info = NameInfo(hostname=name, asn=asn, as_name=_AS_NAMES[asn], as_prefix=None)
        names[address4] = names[address6] = info
    twin4, twin6, twin_name = _ECMP_TWIN
    names[twin4] = names[twin6] = NameInfo(twin_name, 64496, _AS_NAMES[64496])
    return names


_AS_NAMES = {
    64512: "HOME-LAN",
    64500: "EXAMPLE-ISP",
    64496: "EXAMPLE-TRANSIT",
    64499: "EXAMPLE-DC",
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
