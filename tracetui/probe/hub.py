"""Raw sockets shared by many targets (#15): read once, decoded once, routed by what they quote.

A raw ICMP socket receives every ICMP packet the host gets, so one transport per
target with sockets of its own would read and parse every reply once per target.
Here one set of raw sockets per family serves every target: whichever engine
drains reads all of them (under a lock), decodes each packet once and puts it in
the inbox of the target whose probe it answers. Each target keeps a local
identity of its own (ICMP identifier, reserved UDP and TCP source ports), so
the route is exact: an ICMP echo reply or an ICMP error quoting an echo request
by the identifier, an error quoting UDP or TCP by the quoted source port, a
TCP SYN-ACK or RST by its destination port (our source port). Anything else
(another program's packets) is counted as foreign, as a single transport would.

With ``--vary-ports`` a TCP target's probes use 256 source ports from its own
(``TcpSynTemplate.VARY_SPAN``): such a target registers all of them, with a base
port chosen so that no other target's range overlaps.

Several targets run on one thread (probe/scheduler.py): the scheduler pumps the
hub once per read interval and turns the engines whose inbox got mail, so an
idle target costs nothing between its rounds.
"""

from __future__ import annotations

import errno
import itertools
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence

from tracetui.probe.channels import Channel
from tracetui.probe.codec import LocalIdentity
from tracetui.probe.packets import (
    PROTO_ICMP,
    PROTO_ICMPV6,
    PROTO_TCP,
    PROTO_UDP,
    TcpSynTemplate,
)
from tracetui.probe.sockets import (
    ECHO_TTL,
    IPV6_HOPLIMIT,
    MAX_BATCH,
    TTL_CMSG,
    RawSockets,
    RawTransport,
    local_source,
    read_replies,
    read_transmit_stamps,
    receive_setup,
    tos_cmsg,
)
from tracetui.probe.types import Family, Observation, ProbeMethod, ReplyKind, SocketOptions

RouteKey = tuple[int, int]
"""(protocol of our probe, our ICMP identifier or source port)."""

_DIRECT_TCP = (ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET)


def route_key(obs: Observation) -> RouteKey | None:
    """Whose probe ``obs`` answers, as the identity that sent it; None if it cannot say."""
    header = obs.header
    if len(header) < 8:
        return None
    proto = obs.proto
    if proto in (PROTO_ICMP, PROTO_ICMPV6):
        return PROTO_ICMP, int.from_bytes(header[4:6], "big")
    if proto == PROTO_TCP and obs.kind in _DIRECT_TCP:
        return PROTO_TCP, int.from_bytes(header[2:4], "big")
    if proto in (PROTO_UDP, PROTO_TCP):
        return proto, int.from_bytes(header[0:2], "big")
    return None


class Router:
    """Inboxes by route key; ``deliver`` files one decoded packet where it belongs."""

    def __init__(self) -> None:
        self._routes: dict[RouteKey, Callable[[Observation, int], None]] = {}
        self.foreign = 0

    def register(
        self, keys: tuple[RouteKey, ...], inbox: Callable[[Observation, int], None]
    ) -> None:
        taken = [key for key in keys if key in self._routes]
        if taken:
            raise ValueError(f"route {taken[0]} already belongs to another target")
        for key in keys:
            self._routes[key] = inbox

    def has(self, key: RouteKey) -> bool:
        return key in self._routes

    def unregister(self, keys: tuple[RouteKey, ...]) -> None:
        for key in keys:
            self._routes.pop(key, None)

    def deliver(self, obs: Observation, stamp: int) -> bool:
        key = route_key(obs)
        inbox = self._routes.get(key) if key is not None else None
        if inbox is None:
            self.foreign += 1
            return False
        inbox(obs, stamp)
        return True


class RawHub:
    """One family's raw sockets, shared by every target's :class:`HubTransport`."""

    def __init__(self, family: Family, sockets: RawSockets) -> None:
        v4 = family is Family.V4
        self.family = family
        self.sockets = sockets
        # send-only: the kernel copies every incoming UDP packet to a raw UDP socket
        sockets.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 0)
        for sock in (sockets.icmp, sockets.tcp):
            receive_setup(sock)
        RawTransport._limit_icmp_types(sockets.icmp, v4)
        self.replies = Router()
        self.stamps = Router()
        self.malformed: Counter[str] = Counter()
        self._channels = (
            (sockets.icmp, Channel.ICMP4 if v4 else Channel.ICMP6),
            (sockets.tcp, Channel.TCP4 if v4 else Channel.TCP6),
        )
        self._senders = {
            ProbeMethod.ICMP: sockets.icmp,
            ProbeMethod.UDP: sockets.udp,
            ProbeMethod.TCP: sockets.tcp,
        }
        self.lock = threading.Lock()
        self._idents = itertools.count(random.getrandbits(16))
        self._users = 0
        self.pumped_elsewhere = False
        """Set by a scheduler that pumps the hub itself: draining a target then only
        empties its inbox (one read for every target, not one per target)."""

    def sender(self, method: ProbeMethod) -> socket.socket:
        return self._senders[method]

    def icmp_ident(self) -> int:
        """An ICMP identifier no other target of this hub uses."""
        return next(self._idents) & 0xFFFF

    def pump(self) -> None:
        """Read every socket and file each reply in its target's inbox."""
        with self.lock:
            deliver, malformed = self.replies.deliver, self.malformed
            for sock, channel in self._channels:
                for obs, stamp in read_replies(sock, channel, malformed):
                    deliver(obs, stamp)

    def pump_stamps(self, method: ProbeMethod, limit: int = MAX_BATCH) -> None:
        """Up to ``limit`` of the kernel's transmit stamps of ``method``'s socket, to the
        targets that sent (the engine asks for one right after each send: reading on to
        the empty queue would cost a failed read per probe)."""
        with self.lock:
            sock, deliver = self._senders[method], self.stamps.deliver
            for probe, stamp in read_transmit_stamps(sock, self.family, limit, self.malformed):
                deliver(probe, stamp)

    def join(self) -> None:
        self._users += 1

    def leave(self) -> None:
        self._users -= 1
        if self._users <= 0:
            self.sockets.close()


class HubTransport:
    """One target's :class:`Transport` over a :class:`RawHub`: its own identity, the
    hub's sockets; replies come through the hub's routing, never from the sockets."""

    def __init__(
        self,
        hub: RawHub,
        target: str,
        options: SocketOptions,
        *,
        vary_tcp: bool = False,
        methods: frozenset[ProbeMethod] = frozenset(ProbeMethod),
    ) -> None:
        """``methods``: those this target may probe with (the live screen switches between
        all three; an agent's target keeps one). A UDP or TCP source port is reserved
        only for a method in it: a socket each, which 10,000 targets cannot all have."""
        family = hub.family
        v4 = family is Family.V4
        self.family = family
        self.target = target
        self.methods = methods
        self.malformed = hub.malformed
        self._hub = hub
        self._address = (target, 0)
        self._ttl_level = socket.IPPROTO_IP if v4 else socket.IPPROTO_IPV6
        self._ttl_option = socket.IP_TTL if v4 else IPV6_HOPLIMIT
        self._hub_tos = options.tos
        self._tos: list[tuple[int, int, bytes]] = []
        """Ancillary data for a TOS other than the shared sockets' (mtr's Q key)."""
        self._holders: list[socket.socket] = []
        af = socket.AF_INET if v4 else socket.AF_INET6
        source = local_source(family, target, options)
        span = TcpSynTemplate.VARY_SPAN if vary_tcp else 1
        self.identity = LocalIdentity(
            source=source,
            icmp_ident=hub.icmp_ident(),
            udp_port=self._reserve(af, socket.SOCK_DGRAM, source)
            if ProbeMethod.UDP in methods
            else 0,
            tcp_port=self._tcp_port(af, source, span) if ProbeMethod.TCP in methods else 0,
            isn_base=random.getrandbits(32),
        )
        self._inbox: list[tuple[Observation, int]] = []
        self.on_mail: Callable[[], None] | None = None
        """Called when a reply lands in an empty inbox (a scheduler turns the engine then)."""
        self._stamps: dict[ProbeMethod, deque[tuple[Observation, int]]] = {
            method: deque() for method in ProbeMethod
        }
        self._woken = threading.Event()
        ident, udp, tcp = self.identity.icmp_ident, self.identity.udp_port, self.identity.tcp_port
        self._routes = (
            (PROTO_ICMP, ident),
            *(((PROTO_UDP, udp),) if udp else ()),
            *((PROTO_TCP, port) for port in range(tcp, tcp + span) if tcp),
        )
        hub.replies.register(self._routes, self._file_reply)
        hub.stamps.register(self._routes, self._file_stamp)
        hub.join()

    @property
    def hub(self) -> RawHub:
        return self._hub

    def _tcp_port(self, af: int, source: str, span: int) -> int:
        """A reserved TCP source port whose ``span`` ports no other target routes to
        (``--vary-ports`` probes use ``span`` of them; the kernel keeps bases apart)."""
        routes = self._hub.replies
        for _ in range(64):
            port = self._reserve(af, socket.SOCK_STREAM, source)
            if span == 1 or not any(routes.has((PROTO_TCP, p)) for p in range(port, port + span)):
                return port
        raise OSError(errno.EADDRINUSE, "no free range of TCP source ports for --vary-ports")

    def _reserve(self, af: int, kind: int, source: str) -> int:
        holder = socket.socket(af, kind)
        holder.bind((source, 0))
        self._holders.append(holder)
        return holder.getsockname()[1]

    def _file_reply(self, obs: Observation, stamp: int) -> None:
        if not self._inbox and self.on_mail is not None:
            self.on_mail()
        self._inbox.append((obs, stamp))

    def _file_stamp(self, probe: Observation, stamp: int) -> None:
        method = {PROTO_UDP: ProbeMethod.UDP, PROTO_TCP: ProbeMethod.TCP}.get(
            probe.proto, ProbeMethod.ICMP
        )
        self._stamps[method].append((probe, stamp))

    # ------------------------------------------------------------- transport
    def set_tos(self, tos: int) -> None:
        self._tos = [] if tos == self._hub_tos else [tos_cmsg(self.family, tos)]

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        stamp = time.time_ns()
        self._hub.sender(method).sendmsg(
            [payload],
            [(self._ttl_level, self._ttl_option, TTL_CMSG[ttl]), *self._tos],
            0,
            self._address,
        )
        return stamp

    def send_echo(self, address: str, payload: bytes) -> int:
        stamp = time.time_ns()
        ancillary = [(self._ttl_level, self._ttl_option, TTL_CMSG[ECHO_TTL]), *self._tos]
        self._hub.sender(ProbeMethod.ICMP).sendmsg([payload], ancillary, 0, (address, 0))
        return stamp

    def drain(self) -> Sequence[tuple[Observation, int]]:
        hub = self._hub
        if not hub.pumped_elsewhere:
            hub.pump()
        with hub.lock:  # another target's engine may be filing into it right now
            inbox, self._inbox = self._inbox, []
        return inbox

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        self._hub.pump_stamps(method, limit)
        waiting = self._stamps[method]
        return [waiting.popleft() for _ in range(min(limit, len(waiting)))]

    def wait(self, timeout: float) -> None:
        if self._woken.wait(timeout):
            self._woken.clear()

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        hub = self._hub
        hub.replies.unregister(self._routes)
        hub.stamps.unregister(self._routes)
        for holder in self._holders:
            holder.close()
        hub.leave()
