"""The vocabulary shared by packets, transports, the engine and the model.

Kept dependency-free (no sockets, no scapy) so every layer, including the pure
statistics model, can import it without pulling in I/O.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class ProbeMethod(enum.StrEnum):
    ICMP = "icmp"
    UDP = "udp"
    TCP = "tcp"


class Family(enum.IntEnum):
    """IP version; the value is what users type (-4 / -6)."""

    V4 = 4
    V6 = 6


class ReplyKind(enum.IntEnum):
    """What a packet says about the probe it answers.

    Everything except TIME_EXCEEDED ends the path: the probe reached the target
    or a router that refuses to forward it.
    """

    TIME_EXCEEDED = 1
    ECHO_REPLY = 2
    PORT_UNREACHABLE = 3
    UNREACHABLE = 4
    TCP_SYN_ACK = 5
    TCP_RESET = 6
    PACKET_TOO_BIG = 7
    """IPv4 fragmentation needed (type 3 code 4) or ICMPv6 packet too big; ``mtu`` is what fits."""

    @property
    def ends_path(self) -> bool:
        return self is not ReplyKind.TIME_EXCEEDED

    @property
    def refuses(self) -> bool:
        """A router (or the target) refusing the probe rather than answering it."""
        return self is ReplyKind.UNREACHABLE or self is ReplyKind.PACKET_TOO_BIG


class Observation(NamedTuple):
    """A received packet, decoded only as far as matching needs.

    For ICMP errors, ``proto``, ``dst`` and ``header`` come from the quoted probe;
    for direct replies (echo reply, TCP SYN-ACK/RST) they describe the reply itself.
    ``header`` holds at least the first 8 bytes of that transport header
    (16 for TCP replies, so the acknowledgement number is present).
    """

    kind: ReplyKind
    code: int
    responder: str
    proto: int
    dst: str
    header: bytes
    mtu: int = 0
    """Next-hop MTU of a PACKET_TOO_BIG; 0 otherwise."""
    extensions: bytes = b""
    """An ICMP error's RFC 4884 extension structure (MPLS labels, interface data), undecoded."""
    packet: bytes = b""
    """The reply as the raw socket read it (IPv4: from the IP header; IPv6: from the ICMPv6
    or TCP header, the kernel keeps the IPv6 header); empty from unprivileged sockets."""


class SocketOptions(NamedTuple):
    """What mtr's -I, -a, -Q, -M and -L ask of the sockets (set while still privileged)."""

    interface: str | None = None
    address: str | None = None
    tos: int = 0
    mark: int | None = None
    localport: int | None = None


class ProbeSettings(NamedTuple):
    """What the engine is asked to do (the command line's probing options)."""

    method: ProbeMethod = ProbeMethod.ICMP
    first_ttl: int = 1
    max_ttl: int = 30
    interval: float = 1.0
    timeout: float = 2.0
    count: int | None = None  # type: ignore[assignment]  # mypy: shadows tuple.count
    size: int = 64
    port: int | None = None
    max_unknown: int = 5
    vary_ports: bool = False
    pattern: int = 0
    """Payload fill byte (mtr's -B)."""
    tos: int = 0
    """IP TOS / traffic class (mtr's -Q); the sockets carry it, this records it."""
    grace: float | None = None
    """After the last round, settle what is still awaited this long at most (mtr's -G)."""
    multipath: float = 0.0
    """Confidence of multipath discovery (0.95, 0.99); 0: none (probe/mda.py)."""
