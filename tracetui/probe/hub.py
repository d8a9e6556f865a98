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
(``TcpSynTemplate.VARY_SPAN``): such a target registers all of them, and
identities must then be allocated 256 ports apart.

Not wired into start-up yet: see the #15 note.
"""

from __future__ import annotations

from collections.abc import Callable

from tracetui.probe.packets import PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP
from tracetui.probe.types import Observation, ReplyKind

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

    def register(self, keys: tuple[RouteKey, ...], inbox: Callable[[Observation, int], None]):
        taken = [key for key in keys if key in self._routes]
        if taken:
            raise ValueError(f"route {taken[0]} already belongs to another target")
        for key in keys:
            self._routes[key] = inbox

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
