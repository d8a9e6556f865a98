"""A simulated network: a Transport that plays routers, links and a target.

It receives the very bytes the engine would put on the wire and answers with
the bytes a Linux host would deliver to our raw sockets (time-exceeded quoting
the probe, echo replies, port unreachables, TCP resets), decoded by the same
parsers as real traffic. Links have one-way delay, jitter and loss in each
direction; routers can be silent or drop some of their ICMP (rate limiting);
a hop with several routers balances per flow (a hash of the addresses and the
first four transport bytes, as ECMP does); the path can change at given
times; and the network can add duplicates, late replies and other programs'
packets.

With a virtual clock, ``wait`` advances time instead of sleeping, so tests
run a week of rounds in seconds, deterministically. With ``realtime=True`` it
sleeps, which is what ``tracetui --demo`` uses.
"""

from __future__ import annotations

import errno
import heapq
import os
import random
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tracetui.probe.channels import Channel, decode
from tracetui.probe.codec import LocalIdentity
from tracetui.probe.packets import (
    ICMP4_DEST_UNREACH,
    ICMP4_ECHO_REPLY,
    ICMP4_TIME_EXCEEDED,
    ICMP6_DEST_UNREACH,
    ICMP6_ECHO_REPLY,
    ICMP6_PACKET_TOO_BIG,
    ICMP6_TIME_EXCEEDED,
    PROTO_ICMP,
    PROTO_ICMPV6,
    PROTO_TCP,
    PROTO_UDP,
    TCP_FLAG_ACK,
    TCP_FLAG_RST,
    TCP_FLAG_SYN,
    ipv4_header,
    ipv6_header,
    with_checksum,
)
from tracetui.probe.types import Family, Observation, ProbeMethod

QUOTE_LIMIT = 548  # Linux quotes as much of the offending packet as fits in 576 bytes


@dataclass(frozen=True, slots=True)
class SimLink:
    """The link into a hop from the one before it; applies in both directions.

    A probe bigger than ``mtu`` (IP header included) is refused by the router
    before the link with a packet-too-big; probes never fragment (DF).
    """

    delay_ms: float = 1.0
    jitter_ms: float = 0.0
    loss: float = 0.0
    mtu: int | None = None


# what a refusing router sends, as (ICMPv4 code, ICMPv6 code) of destination-unreachable
REJECT_CODES = {"net": (0, 0), "host": (1, 3), "admin": (13, 1), "port": (3, 4)}


@dataclass(frozen=True, slots=True)
class SimRouter:
    """``reply_loss`` drops that share of its time-exceeded and unreachable messages (ICMP
    rate limiting); ``echo_loss`` of its echo replies. ``rejects`` ("net", "host", "admin",
    "port") refuses to forward towards the target with that destination-unreachable."""

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

    def address(self, family: Family) -> str:
        return self.address4 if family is Family.V4 else self.address6


@dataclass(frozen=True, slots=True)
class SimHop:
    routers: tuple[SimRouter, ...]
    link: SimLink = SimLink()


@dataclass(frozen=True, slots=True)
class SimPath:
    """Hops in order from the client; the last hop's (single) router is the target."""

    hops: tuple[SimHop, ...]

    @property
    def target(self) -> SimRouter:
        return self.hops[-1].routers[0]


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
        index = sum(1 for change in self.changes if elapsed >= change)
        return self.paths[index]


class VirtualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        if when > self._now:
            self._now = when


class RealtimeClock:
    """Monotonic time, plus the interruptible sleep the simulation needs in real time."""

    def __init__(self) -> None:
        self._wake = threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def advance_to(self, when: float) -> None:
        self._wake.wait(max(0.0, when - time.monotonic()))
        self._wake.clear()

    def wake(self) -> None:
        self._wake.set()


@dataclass(slots=True)
class _Route:
    """A path's fixed part, computed once: cumulative base delays and its noisy links."""

    path: SimPath
    base: list[float]
    noisy: list[int]


_UDP_PORTS = struct.Struct("!HH")
_TCP_SYN_FIELDS = struct.Struct("!HHI")


class SimNetwork:
    """Transport over a simulated network (see module docstring)."""

    malformed: Counter[str]

    def __init__(
        self,
        scenario: SimScenario,
        family: Family = Family.V4,
        seed: int = 1,
        realtime: bool = False,
    ) -> None:
        self.scenario = scenario
        self.family = family
        self.clock: VirtualClock | RealtimeClock = RealtimeClock() if realtime else VirtualClock()
        self._epoch = self.clock.now()
        self._rng = random.Random(seed)
        self.client = scenario.client4 if family is Family.V4 else scenario.client6
        self.target = scenario.paths[0].target.address(family)
        self.identity = LocalIdentity(
            source=self.client,
            icmp_ident=0x7A1C,
            udp_port=47000,
            tcp_port=47001,
            isn_base=0x5EED0000,
        )
        self.methods = frozenset(ProbeMethod)
        self.malformed = Counter()
        self._queue: list[tuple[float, int, Channel, bytes, str]] = []
        self._routes: dict[int, _Route] = {}
        self._order = 0
        self._next_foreign = self._schedule_foreign(self._epoch)

    # --------------------------------------------------------------- transport
    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        now = self.clock.now()
        rate = self.scenario.send_failure_rate
        if rate and self._rng.random() < rate:
            raise OSError(errno.ENOBUFS, os.strerror(errno.ENOBUFS))
        first = self.scenario.path_at(now - self._epoch).hops[0].link.mtu
        if first is not None and len(payload) + (20 if self.family is Family.V4 else 40) > first:
            raise OSError(errno.EMSGSIZE, os.strerror(errno.EMSGSIZE))
        self._travel(method, payload, ttl, now)
        return self._stamp(now)

    def drain(self) -> Sequence[tuple[Observation, int]]:
        now = self.clock.now()
        self._add_foreign(now)
        queue = self._queue
        out = []
        while queue and queue[0][0] <= now:
            due, _, channel, data, source = heapq.heappop(queue)
            obs = decode(channel, data, source)
            if obs is None:
                self.malformed["unparsable"] += 1
            else:
                out.append((obs, self._stamp(due)))
        return out

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        """The virtual clock's send stamps are exact already."""
        return ()

    def wait(self, timeout: float) -> None:
        self.clock.advance_to(self.clock.now() + timeout)

    def wake(self) -> None:
        if isinstance(self.clock, RealtimeClock):
            self.clock.wake()

    def close(self) -> None:
        self._queue.clear()

    @property
    def undelivered(self) -> int:
        """Packets still on their way (their arrival time is in the future)."""
        return len(self._queue)

    # --------------------------------------------------------------- the world
    def _stamp(self, when: float) -> int:
        return int(when * 1e9)

    def _deliver(self, when: float, channel: Channel, data: bytes, source: str) -> None:
        self._order += 1
        heapq.heappush(self._queue, (when, self._order, channel, data, source))

    def _route(self, path: SimPath) -> _Route:
        route = self._routes.get(id(path))
        if route is None:
            base = [0.0]
            for hop in path.hops:
                base.append(base[-1] + hop.link.delay_ms / 1000.0)
            route = _Route(
                path=path,
                base=base,
                noisy=[i for i, h in enumerate(path.hops, 1) if h.link.loss or h.link.jitter_ms],
            )
            self._routes[id(path)] = route
        return route

    def _crossing(self, link: SimLink) -> float | None:
        """Random part of one crossing of a noisy link (seconds), or None if it is lost."""
        rng = self._rng
        if link.loss and rng.random() < link.loss:
            return None
        return rng.expovariate(1.0 / link.jitter_ms) / 1000.0 if link.jitter_ms else 0.0

    def _travel(self, method: ProbeMethod, payload: bytes, ttl: int, now: float) -> None:
        path = self.scenario.path_at(now - self._epoch)
        hops = path.hops
        flow = zlib.crc32(payload[:4] + method.value.encode())
        size = len(payload) + (20 if self.family is Family.V4 else 40)
        reached_target = ttl >= len(hops)
        last = len(hops) if reached_target else ttl
        refusal: tuple[int, int] | None = None  # (ICMP type, code or MTU) of a router's refusal
        for hop in range(1, last):  # every router that would forward the probe
            router = self._router(hops, hop, flow)
            mtu = hops[hop].link.mtu
            if router.rejects is not None:
                refusal = (-1, REJECT_CODES[router.rejects][self.family is Family.V6])
            elif mtu is not None and size > mtu:
                refusal = (-2, mtu)
            if refusal is not None:
                last, reached_target = hop, False
                break
        if reached_target and method is ProbeMethod.UDP and self._port_open(payload):
            return
        router = self._router(hops, last, flow)
        elapsed = self._round_trip(path, last, router, router.reply_loss)
        if elapsed is None:
            return
        if self.scenario.late_rate and self._rng.random() < self.scenario.late_rate:
            elapsed += self.scenario.late_ms / 1000.0
        source = router.address(self.family)
        ttl_left = 1 if not reached_target else max(1, ttl - len(hops) + 1)
        if refusal is not None:
            ttl_left = ttl - last
            channel, data = self._refusal(method, payload, source, ttl_left, *refusal)
        else:
            channel, data = self._reply(
                method, payload, source, reached_target, ttl_left, router.extensions
            )
        self._deliver(now + elapsed, channel, data, source)
        if self.scenario.duplicate_rate and self._rng.random() < self.scenario.duplicate_rate:
            self._deliver(now + elapsed + 0.0005, channel, data, source)

    def _port_open(self, datagram: bytes) -> bool:
        """A listening service swallows the probe: no port-unreachable comes back."""
        return struct.unpack_from("!H", datagram, 2)[0] in self.scenario.open_udp_ports

    @staticmethod
    def _router(hops: tuple[SimHop, ...], hop: int, flow: int) -> SimRouter:
        """The router at ``hop`` for this flow (ECMP balances per flow)."""
        routers = hops[hop - 1].routers
        return routers[(flow + hop) % len(routers)] if len(routers) > 1 else routers[0]

    def _round_trip(
        self, path: SimPath, last: int, router: SimRouter, reply_loss: float
    ) -> float | None:
        """Seconds to ``last`` and back, or None where a link or the router drops it."""
        route = self._route(path)
        noisy = [path.hops[i - 1].link for i in route.noisy if i <= last]
        extra = 0.0
        for link in noisy:
            crossing = self._crossing(link)
            if crossing is None:
                return None
            extra += crossing
        if router.silent or (reply_loss and self._rng.random() < reply_loss):
            return None
        for link in reversed(noisy):
            crossing = self._crossing(link)
            if crossing is None:
                return None
            extra += crossing
        return 2 * route.base[last] + extra + router.processing_ms / 1000.0

    def _echo_target(self, path: SimPath, address: str) -> tuple[int, SimRouter] | None:
        for hop, sim_hop in enumerate(path.hops, 1):
            for router in sim_hop.routers:
                if router.address(self.family) == address:
                    return hop, router
        return None

    def send_echo(self, address: str, payload: bytes) -> int:
        """A ping to a router of the path: answered unless a link or its echo loss drops it."""
        now = self.clock.now()
        path = self.scenario.path_at(now - self._epoch)
        found = self._echo_target(path, address)
        if found is not None:
            hop, router = found
            # echo replies are not ICMP errors: a silent or rate-limiting router still answers
            elapsed = self._round_trip(path, hop, replace(router, silent=False), router.echo_loss)
            if elapsed is not None:
                self._deliver(now + elapsed, *self._echo_reply(payload, address), address)
        return self._stamp(now)

    def _reply(
        self,
        method: ProbeMethod,
        payload: bytes,
        source: str,
        at_target: bool,
        ttl_left: int,
        extensions: bytes = b"",
    ) -> tuple[Channel, bytes]:
        if not at_target:
            return self._icmp_error(
                method, payload, source, ttl_left, time_exceeded=True, extensions=extensions
            )
        if method is ProbeMethod.ICMP:
            return self._echo_reply(payload, source)
        if method is ProbeMethod.UDP:
            return self._icmp_error(method, payload, source, ttl_left, time_exceeded=False)
        return self._tcp_answer(payload, source)

    def _refusal(
        self, method: ProbeMethod, payload: bytes, source: str, ttl_left: int, kind: int, value: int
    ) -> tuple[Channel, bytes]:
        """Destination unreachable (kind -1, ``value`` the code) or packet too big (-2, MTU)."""
        quote = (self._probe_header(method, payload, ttl_left) + payload)[:QUOTE_LIMIT]
        if self.family is Family.V4:
            code, rest = (value, 0) if kind == -1 else (4, value)
            message = struct.pack("!BBHI", ICMP4_DEST_UNREACH, code, 0, rest) + quote
            message = with_checksum(message, 2)
            header = ipv4_header(source, self.client, PROTO_ICMP, len(message), 64)
            return Channel.ICMP4, header + message
        icmp_type, code, rest = (
            (ICMP6_DEST_UNREACH, value, 0) if kind == -1 else (ICMP6_PACKET_TOO_BIG, 0, value)
        )
        return Channel.ICMP6, struct.pack("!BBHI", icmp_type, code, 0, rest) + quote

    def _probe_header(self, method: ProbeMethod, payload: bytes, ttl_left: int) -> bytes:
        if method is ProbeMethod.ICMP:
            proto = PROTO_ICMP if self.family is Family.V4 else PROTO_ICMPV6
        else:
            proto = PROTO_UDP if method is ProbeMethod.UDP else PROTO_TCP
        if self.family is Family.V4:
            return ipv4_header(self.client, self.target, proto, len(payload), ttl_left, ident=7)
        return ipv6_header(self.client, self.target, proto, len(payload), ttl_left)

    def _icmp_error(
        self,
        method: ProbeMethod,
        payload: bytes,
        source: str,
        ttl_left: int,
        time_exceeded: bool,
        extensions: bytes = b"",
    ) -> tuple[Channel, bytes]:
        quote = (self._probe_header(method, payload, ttl_left) + payload)[:QUOTE_LIMIT]
        length = 0
        if extensions:
            # RFC 4884: the quote padded (or cut) to 128 bytes, its length in the header
            quote = quote[:128].ljust(128, b"\0") + extensions
            length = 128 // (4 if self.family is Family.V4 else 8)
        if self.family is Family.V4:
            icmp_type = ICMP4_TIME_EXCEEDED if time_exceeded else ICMP4_DEST_UNREACH
            code = 0 if time_exceeded else 3
            message = struct.pack("!BBHBBH", icmp_type, code, 0, 0, length, 0) + quote
            message = with_checksum(message, 2)
            header = ipv4_header(source, self.client, PROTO_ICMP, len(message), 64)
            return Channel.ICMP4, header + message
        icmp_type = ICMP6_TIME_EXCEEDED if time_exceeded else ICMP6_DEST_UNREACH
        code = 0 if time_exceeded else 4
        return Channel.ICMP6, struct.pack("!BBHBBH", icmp_type, code, 0, length, 0, 0) + quote

    def _echo_reply(self, request: bytes, source: str) -> tuple[Channel, bytes]:
        if self.family is Family.V4:
            message = with_checksum(bytes([ICMP4_ECHO_REPLY, 0, 0, 0]) + request[4:], 2)
            header = ipv4_header(source, self.client, PROTO_ICMP, len(message), 64)
            return Channel.ICMP4, header + message
        return Channel.ICMP6, bytes([ICMP6_ECHO_REPLY, 0, 0, 0]) + request[4:]

    def _tcp_answer(self, syn: bytes, source: str) -> tuple[Channel, bytes]:
        sport, dport, seq = _TCP_SYN_FIELDS.unpack_from(syn)
        data = len(syn) - (syn[12] >> 4) * 4
        if dport in self.scenario.open_tcp_ports:
            # without TCP Fast Open the SYN's data is not taken: only the SYN is acknowledged
            flags, our_seq, acked = TCP_FLAG_SYN | TCP_FLAG_ACK, 0x10000, 1
        else:
            # a reset acknowledges the whole segment, as Linux does
            flags, our_seq, acked = TCP_FLAG_RST | TCP_FLAG_ACK, 0, 1 + data
        segment = struct.pack(
            "!HHIIBBHHH", dport, sport, our_seq, (seq + acked) & 0xFFFFFFFF, 5 << 4, flags, 0, 0, 0
        )
        if self.family is Family.V4:
            return Channel.TCP4, ipv4_header(source, self.client, PROTO_TCP, 20, 64) + segment
        return Channel.TCP6, segment

    # ------------------------------------------------------- other programs
    def _schedule_foreign(self, after: float) -> float:
        rate = self.scenario.foreign_per_second
        return after + self._rng.expovariate(rate) if rate else float("inf")

    def _add_foreign(self, horizon: float) -> None:
        """Packets for other programs: another ping, another tracer, noise."""
        while self._next_foreign <= horizon:
            when = self._next_foreign
            self._next_foreign = self._schedule_foreign(when)
            self._deliver(when, *self._foreign_packet())

    def _foreign_packet(self) -> tuple[Channel, bytes, str]:
        rng = self._rng
        path = self.scenario.path_at(self.clock.now() - self._epoch)
        router = rng.choice(path.hops[:-1] or path.hops).routers[0].address(self.family)
        other_ident = (self.identity.icmp_ident + rng.randrange(1, 0xFFFF)) & 0xFFFF
        seq = rng.randrange(0x10000)
        v6 = self.family is Family.V6
        request = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, other_ident, seq) + bytes(28)
        choice = rng.randrange(4)
        if choice == 0:
            channel, data = self._echo_reply(request, self.target)
            return channel, data, self.target
        if choice == 1:
            channel, data = self._icmp_error(ProbeMethod.ICMP, request, router, 1, True)
            return channel, data, router
        if choice == 2:
            udp = struct.pack("!HHHH", rng.randrange(1024, 40000), 33434, 30, 0x1234) + bytes(22)
            channel, data = self._icmp_error(ProbeMethod.UDP, udp, router, 1, True)
            return channel, data, router
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        return (Channel.ICMP6 if v6 else Channel.ICMP4), noise, router
