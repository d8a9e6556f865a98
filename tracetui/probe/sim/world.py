"""What a simulated network is made of: links, routers, hops, branches, paths, a scenario.

Plain frozen data: :mod:`tracetui.probe.sim.network` plays it. Each piece
says one thing real networks do that a rule must survive:

- a link delays, jitters (exponentially, or with a heavy Pareto tail) and
  loses (at random, or in Gilbert-Elliott bursts), each direction on its own;
- a router sends its ICMP through a token bucket as Linux does (one budget
  per destination, one for the whole host), or drops a fixed share of it;
  it may be silent, slow to answer, or refuse to forward;
- load-balanced branches are whole runs of routers, of their own lengths,
  latencies and losses, chosen per flow by a hash (or per packet);
- the target may answer from another of its addresses.

Change over time is a scenario's sequence of paths (see
:mod:`tracetui.probe.sim.timeline` for episodes, steps, drifts and flaps).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from tracetui.probe.types import Family


@dataclass(frozen=True, slots=True)
class Bursts:
    """Gilbert-Elliott loss: the link is good or bad for exponential spells (mean seconds)
    and drops ``loss_good`` or ``loss_bad`` of what crosses it in each state."""

    good_s: float
    bad_s: float
    loss_bad: float = 1.0
    loss_good: float = 0.0

    @property
    def mean_loss(self) -> float:
        """The long-run share lost: what a benchmark's ground truth says about the link."""
        bad = self.bad_s / (self.good_s + self.bad_s)
        return bad * self.loss_bad + (1 - bad) * self.loss_good


@dataclass(frozen=True, slots=True)
class SimLink:
    """The link into a hop from the one before it.

    ``loss``, ``delay_ms`` and ``bursts`` apply in both directions unless the
    ``*_back`` field (towards the client) says otherwise. Jitter is added to
    every crossing: exponential with mean ``jitter_ms``, or, with
    ``jitter_tail`` (a Pareto shape, heavy-tailed at 2 and below), Pareto with
    that mean. A probe bigger than ``mtu`` (IP header included) is refused by
    the router before the link with a packet-too-big; probes never fragment.
    """

    delay_ms: float = 1.0
    jitter_ms: float = 0.0
    loss: float = 0.0
    mtu: int | None = None
    loss_back: float | None = None
    delay_back_ms: float | None = None
    bursts: Bursts | None = None
    bursts_back: Bursts | None = None
    jitter_tail: float | None = None

    @property
    def reverse_loss(self) -> float:
        return self.loss if self.loss_back is None else self.loss_back

    @property
    def reverse_delay_ms(self) -> float:
        return self.delay_ms if self.delay_back_ms is None else self.delay_back_ms

    @property
    def reverse_bursts(self) -> Bursts | None:
        return self.bursts if self.bursts_back is None else self.bursts_back

    @property
    def noisy(self) -> bool:
        """Whether crossing it draws random numbers (loss, jitter or bursts either way)."""
        return bool(
            self.loss
            or self.jitter_ms
            or self.loss_back
            or self.bursts is not None
            or self.bursts_back is not None
        )

    @property
    def asymmetric(self) -> bool:
        return self.delay_back_ms is not None


@dataclass(frozen=True, slots=True)
class IcmpLimit:
    """A token bucket on the ICMP a router sends, as Linux keeps it by default.

    ``interval_ms`` per message to one destination with a burst of ``burst``
    (``net.ipv4.icmp_ratelimit`` 1000 ms, burst 6: one a second once six are
    spent), and a host-wide budget (``icmp_msgs_per_sec`` 1000,
    ``icmp_msgs_burst`` 50) that ``busy_per_sec`` of other people's ICMP also
    draws on. Time-exceeded and unreachables share the buckets; echo replies
    only when ``echo`` (Linux's ``icmp_ratemask`` leaves them out, many
    vendors' control-plane policing does not).
    """

    interval_ms: float = 1000.0
    burst: int = 6
    host_per_sec: float = 1000.0
    host_burst: int = 50
    echo: bool = False
    busy_per_sec: float = 0.0


LINUX_LIMIT = IcmpLimit()


# what a refusing router sends, as (ICMPv4 code, ICMPv6 code) of destination-unreachable
REJECT_CODES = {"net": (0, 0), "host": (1, 3), "admin": (13, 1), "port": (3, 4)}


@dataclass(frozen=True, slots=True)
class SimRouter:
    """A router (or, last on a path, the target).

    ``reply_loss`` drops that share of its time-exceeded and unreachable
    messages, ``echo_loss`` of its echo replies: a fixed share, at any rate;
    ``limit`` is the rate-based limit real routers apply. ``rejects`` ("net",
    "host", "admin", "port") refuses to forward towards the target with that
    destination-unreachable, as an nftables or iptables reject rule does
    ("port" is iptables' default). ``processing_ms`` is how long its control
    plane takes to answer (the forwarding plane is not slowed).
    ``answers_from`` (IPv4, IPv6), for a target: the address its replies come from.
    """

    address4: str
    address6: str
    silent: bool = False
    reply_loss: float = 0.0
    processing_ms: float = 0.02
    echo_loss: float = 0.0
    rejects: str | None = None
    extensions: bytes = b""
    """An RFC 4884 extension structure its time-exceeded messages carry (MPLS labels,
    interface data: ``tracetui.icmp_extensions.encode``)."""
    limit: IcmpLimit | None = None
    answers_from: tuple[str, str] | None = None

    def address(self, family: Family) -> str:
        return self.address4 if family is Family.V4 else self.address6

    def reply_address(self, family: Family) -> str:
        """Where its answers as the target come from."""
        if self.answers_from is None:
            return self.address(family)
        return self.answers_from[0 if family is Family.V4 else 1]


@dataclass(frozen=True, slots=True)
class SimHop:
    """One TTL: its link in, and its router. Several routers balance per flow, each hop
    choosing on its own (use :class:`SimBranches` for whole load-balanced runs)."""

    routers: tuple[SimRouter, ...]
    link: SimLink = SimLink()


@dataclass(frozen=True, slots=True)
class SimBranches:
    """Load-balanced runs of hops that rejoin at the next hop of the path.

    The router before them picks a branch per flow by a hash of the probe's
    addresses and first transport bytes, as Linux's L4 multipath hash does (or
    per packet, at random, with ``per_packet``). Branches may differ in length,
    latency and loss; each hop in them has a single router.
    """

    branches: tuple[tuple[SimHop, ...], ...]
    per_packet: bool = False


@dataclass(frozen=True, slots=True)
class SimPath:
    """Hops in order from the client; the last hop's (single) router is the target."""

    hops: tuple[SimHop | SimBranches, ...]

    @property
    def target(self) -> SimRouter:
        last = self.hops[-1]
        assert isinstance(last, SimHop), "a path ends at its target, not in branches"
        return last.routers[0]

    def routers(self) -> list[SimRouter]:
        """Every router of the path, branches included."""
        out: list[SimRouter] = []
        for element in self.hops:
            hops = (
                [hop for branch in element.branches for hop in branch]
                if isinstance(element, SimBranches)
                else [element]
            )
            for hop in hops:
                out.extend(hop.routers)
        return out


@dataclass(frozen=True, slots=True)
class SimScenario:
    """A network over time: ``paths[i]`` is in effect from ``changes[i-1]`` seconds on."""

    paths: tuple[SimPath, ...]
    changes: tuple[float, ...] = ()
    client4: str = "198.18.0.2"
    client6: str = "2001:db8::2"
    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    late_ms: float = 5000.0
    foreign_per_second: float = 0.0
    open_tcp_ports: frozenset[int] = field(default_factory=frozenset)
    open_udp_ports: frozenset[int] = field(default_factory=frozenset)
    """UDP ports a service listens on at the target: probes to them get no answer."""
    send_failure_rate: float = 0.0
    """Share of sends the local kernel refuses (ENOBUFS), as under a full queue."""

    def path_at(self, elapsed: float) -> SimPath:
        return self.paths[bisect.bisect_right(self.changes, elapsed)]
