"""Describe a lab network: a client, a chain of router stages, a target, a DNS server.

A stage holds one router, or two or three parallel routers (an ECMP hop). Each stage
is joined to the stage before it by links (every router of one stage to
every router of the next); a link has a one-way delay and a loss in each
direction. Addresses follow from positions, so tests can ask what they
should see at every hop without knowing how the lab was wired.

Addressing: link number L (1, 2, ...) is 198.18.L.0/24 and 2001:db8:L::/64;
the end nearer the client is .1 / ::1, the far end .2 / ::2. A router
answers from the address of the interface it uses back towards the client,
which is the far end of one of its upstream links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DNS_SUBNET = 250


@dataclass(frozen=True)
class Link:
    delay_ms: float = 0.0
    loss_forward_pct: float = 0.0
    loss_back_pct: float = 0.0
    mtu: int | None = None

    @property
    def emulated(self) -> bool:
        return bool(self.delay_ms or self.loss_forward_pct or self.loss_back_pct)


REJECTS = {
    # kind: (nftables ICMP type, nftables ICMPv6 type)
    "net": ("net-unreachable", "no-route"),
    "host": ("host-unreachable", "addr-unreachable"),
    "admin": ("admin-prohibited", "admin-prohibited"),
}


@dataclass(frozen=True)
class Router:
    """``rejects`` (a REJECTS kind): refuse to forward to the target, as a router without a
    route or with a filter does. ``drops_all`` (the target): answer nothing at all."""

    silent: bool = False
    rate_limited: bool = False
    name: str | None = None
    asn: int | None = None
    rejects: str | None = None
    drops_all: bool = False
    extensions: bool = False
    """Answer as an MPLS router does: time-exceeded with RFC 4884 extensions (an MPLS
    label stack and the incoming interface), from ``extension_router.py``."""
    link: Link | None = None
    """The links into this router, when not the stage's (one lossy branch of an ECMP hop)."""


@dataclass(frozen=True)
class Stage:
    routers: tuple[Router, ...] = (Router(),)
    link: Link = Link()


@dataclass(frozen=True)
class Topology:
    """``stages`` are the hops; the last stage is the target (a host, not a router)."""

    stages: tuple[Stage, ...]
    target_name: str = "target.lab.example"
    dns: bool = True

    def __post_init__(self) -> None:
        if len(self.stages[-1].routers) != 1:
            raise ValueError("the target stage has exactly one host")
        if any(len(stage.routers) > 3 for stage in self.stages):
            raise ValueError("a stage has three routers at most")
        for before, after in zip(self.stages, self.stages[1:], strict=False):
            if len(before.routers) > 1 and len(after.routers) > 1:
                raise ValueError("two ECMP stages in a row are not supported")


@dataclass(frozen=True)
class Wire:
    number: int
    upstream: str
    downstream: str
    up_dev: str
    down_dev: str
    link: Link

    def address(self, end: str, family: int) -> str:
        host = 1 if end == "up" else 2
        if family == 4:
            return f"198.18.{self.number}.{host}"
        return f"2001:db8:{self.number:x}::{host}"

    def prefix(self, family: int) -> str:
        return f"198.18.{self.number}.0/24" if family == 4 else f"2001:db8:{self.number:x}::/64"


@dataclass
class Plan:
    """Where every node and wire goes, computed from a Topology and a name prefix."""

    topology: Topology
    prefix: str
    client: str = ""
    target: str = ""
    dns: str = ""
    stage_nodes: list[list[str]] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = f"{self.prefix}-c"
        self.dns = f"{self.prefix}-dns"
        previous = [self.client]
        number = 0
        devices: dict[str, int] = {}
        for index, stage in enumerate(self.topology.stages, start=1):
            last = index == len(self.topology.stages)
            nodes = (
                [f"{self.prefix}-t"]
                if last
                else [f"{self.prefix}-r{index}{'abc'[i]}" for i in range(len(stage.routers))]
            )
            links = [router.link or stage.link for router in stage.routers]
            for up in previous:
                for position, down in enumerate(nodes):
                    number += 1
                    up_dev = f"d{devices.get(up + 'd', 0)}"
                    devices[up + "d"] = devices.get(up + "d", 0) + 1
                    down_dev = f"u{devices.get(down + 'u', 0)}"
                    devices[down + "u"] = devices.get(down + "u", 0) + 1
                    link = links[position] if position < len(links) else stage.link
                    self.wires.append(Wire(number, up, down, up_dev, down_dev, link))
            self.stage_nodes.append(nodes)
            previous = nodes
        self.target = previous[0]

    @property
    def namespaces(self) -> list[str]:
        names = [self.client, *(n for nodes in self.stage_nodes for n in nodes)]
        return [*names, self.dns] if self.topology.dns else names

    def upstream_wires(self, node: str) -> list[Wire]:
        return [w for w in self.wires if w.downstream == node]

    def downstream_wires(self, node: str) -> list[Wire]:
        return [w for w in self.wires if w.upstream == node]

    def stage_of(self, node: str) -> int:
        if node == self.client:
            return 0
        return next(i for i, nodes in enumerate(self.stage_nodes, 1) if node in nodes)

    def router_of(self, node: str) -> Router:
        stage = self.stage_of(node)
        return self.topology.stages[stage - 1].routers[self.stage_nodes[stage - 1].index(node)]

    def target_address(self, family: int) -> str:
        return self.upstream_wires(self.target)[0].address("down", family)

    def hop_addresses(self, hop: int, family: int) -> set[str]:
        """Every address hop ``hop`` may answer from."""
        return {
            wire.address("down", family)
            for node in self.stage_nodes[hop - 1]
            for wire in self.upstream_wires(node)
        }

    def extension_settings(self, node: str) -> dict:
        """What an ``extensions`` router puts in its replies (and a test expects)."""
        stage = self.stage_of(node)
        wire = self.upstream_wires(node)[0]
        return {
            "dev": wire.down_dev,
            "address4": wire.address("down", 4),
            "address6": wire.address("down", 6),
            "labels": [24000 + stage, 16 + stage],
            "tc": 5,
            "ifname": f"lab-r{stage}-{wire.down_dev}",
            "mtu": wire.link.mtu or 1500,
        }

    def rtt_ms(self, hop: int) -> float:
        """Configured round trip to a hop: every link's one-way delay, there and back."""
        return 2 * sum(self.topology.stages[s].link.delay_ms for s in range(hop))

    def named_addresses(self) -> dict[str, tuple[str, Router]]:
        """Address -> (DNS name, router) for every node interface that has a name."""
        out: dict[str, tuple[str, Router]] = {}
        for wire in self.wires:
            node = wire.downstream
            if node == self.target:
                continue
            router = self.router_of(node)
            if router.name is None:
                continue
            for family in (4, 6):
                out[wire.address("down", family)] = (router.name, router)
        return out
