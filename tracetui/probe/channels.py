"""Which parser reads which socket's bytes: shared by the raw transport and the simulation.

Raw IPv4 sockets deliver the IP header, raw IPv6 sockets do not (the source
address comes from recvmsg), so decoding depends on the channel a packet
arrived on. The simulated network produces the same bytes the kernel would
and goes through this same function.
"""

from __future__ import annotations

import enum

from tracetui.probe.packets import (
    parse_icmpv6,
    parse_ipv4_icmp,
    parse_ipv4_tcp,
    parse_ipv6_tcp,
)
from tracetui.probe.types import Observation


class Channel(enum.IntEnum):
    ICMP4 = 1
    TCP4 = 2
    ICMP6 = 3
    TCP6 = 4


def decode(channel: Channel, data: bytes, source: str) -> Observation | None:
    """The observation, holding the packet as read (the packet inspector shows it)."""
    if channel is Channel.ICMP4:
        obs = parse_ipv4_icmp(data)
    elif channel is Channel.ICMP6:
        obs = parse_icmpv6(data, source)
    elif channel is Channel.TCP4:
        obs = parse_ipv4_tcp(data)
    else:
        obs = parse_ipv6_tcp(data, source)
    return obs._replace(packet=bytes(data)) if obs is not None else None
