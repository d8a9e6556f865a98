"""Whole IP packets for the recording, and back: what the capture tools expect to read.

Sockets hand the engine less than a packet: probes are sent without an IP
header (the kernel adds it), a raw IPv6 socket strips the header of what it
reads, and unprivileged sockets give only what the error queue says. The
recording holds whole IP packets (LINKTYPE_RAW), so the missing headers are
built here from what is known (addresses, protocol, TTL); a reply that had no
packet at all is rebuilt from its observation and marked so in its note.
Replay reads them back through the same parsers the live sockets use.
"""

from __future__ import annotations

import socket
import struct

from tracetui.probe.packets import (
    ICMP4_DEST_UNREACH,
    ICMP4_ECHO_REPLY,
    ICMP4_FRAG_NEEDED,
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
    parse_icmpv6,
    parse_ipv4_icmp,
    parse_ipv4_tcp,
    parse_ipv6_tcp,
    pseudo_header_sum,
    with_checksum,
)
from tracetui.probe.types import Family, Observation, ProbeMethod, ReplyKind

LINKTYPE_RAW = 101
"""Raw IPv4 or IPv6 packets, no link layer: what the probe sockets see."""
REPLY_TTL = 64
"""A rebuilt or re-headed reply's TTL: the socket did not say what it was."""

_PROTO = {ProbeMethod.UDP: PROTO_UDP, ProbeMethod.TCP: PROTO_TCP}


def _proto(family: Family, method: ProbeMethod | None) -> int:
    if method is None or method is ProbeMethod.ICMP:
        return PROTO_ICMP if family is Family.V4 else PROTO_ICMPV6
    return _PROTO[method]


def _icmpv6_checksum(message: bytes, src: str, dst: str) -> bytes:
    """The kernel computes ICMPv6 checksums of what we send; the recording needs them too."""
    blank = message[:2] + b"\0\0" + message[4:]
    return with_checksum(blank, 2, pseudo_header_sum(6, src, dst, PROTO_ICMPV6, len(message)))


def ip_packet(family: Family, src: str, dst: str, proto: int, payload: bytes, ttl: int) -> bytes:
    if family is Family.V4:
        return ipv4_header(src, dst, proto, len(payload), ttl) + payload
    return ipv6_header(src, dst, proto, len(payload), ttl) + payload


def probe_packet(
    family: Family, source: str, dst: str, method: ProbeMethod | None, payload: bytes, ttl: int
) -> bytes:
    """A probe as it left: the payload the engine built under the header the kernel added
    (and, for ICMPv6, the checksum the kernel filled in)."""
    proto = _proto(family, method)
    if proto == PROTO_ICMPV6 and len(payload) >= 8:
        payload = _icmpv6_checksum(payload, source, dst)
    return ip_packet(family, source, dst, proto, payload, ttl)


def reply_packet(family: Family, local: str, obs: Observation) -> tuple[bytes, bool]:
    """The reply as a whole IP packet, and whether it is the packet as read (not rebuilt)."""
    if obs.packet:
        if family is Family.V4:
            return obs.packet, True
        proto = PROTO_TCP if obs.kind in (ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET) else 58
        return ip_packet(family, obs.responder, local, proto, obs.packet, REPLY_TTL), True
    return _rebuilt(family, local, obs), False


def _rebuilt(family: Family, local: str, obs: Observation) -> bytes:
    v4 = family is Family.V4
    if obs.kind in (ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET):
        flags = TCP_FLAG_ACK | (TCP_FLAG_SYN if obs.kind is ReplyKind.TCP_SYN_ACK else TCP_FLAG_RST)
        segment = obs.header[:12].ljust(12, b"\0") + struct.pack("!BBHHH", 0x50, flags, 0, 0, 0)
        extra = pseudo_header_sum(int(family), obs.responder, local, PROTO_TCP, len(segment))
        segment = with_checksum(segment, 16, extra)
        return ip_packet(family, obs.responder, local, PROTO_TCP, segment, REPLY_TTL)
    icmp_proto = PROTO_ICMP if v4 else PROTO_ICMPV6
    if obs.kind is ReplyKind.ECHO_REPLY:
        echo_type = ICMP4_ECHO_REPLY if v4 else ICMP6_ECHO_REPLY
        message = bytes([echo_type, 0, 0, 0]) + obs.header[4:8].ljust(4, b"\0")
    else:
        icmp_type, code, rest = _error_type(v4, obs)
        quoted = ip_packet(family, local, obs.dst, obs.proto, obs.header[:8], 1)
        message = bytes([icmp_type, code, 0, 0]) + rest + quoted
    if v4:
        message = with_checksum(message, 2)
    return ip_packet(family, obs.responder, local, icmp_proto, message, REPLY_TTL)


def _error_type(v4: bool, obs: Observation) -> tuple[int, int, bytes]:
    kind, code = obs.kind, obs.code
    if kind is ReplyKind.TIME_EXCEEDED:
        return (ICMP4_TIME_EXCEEDED if v4 else ICMP6_TIME_EXCEEDED), 0, bytes(4)
    if kind is ReplyKind.PACKET_TOO_BIG:
        if v4:
            return ICMP4_DEST_UNREACH, ICMP4_FRAG_NEEDED, struct.pack("!HH", 0, obs.mtu & 0xFFFF)
        return ICMP6_PACKET_TOO_BIG, 0, struct.pack("!I", obs.mtu)
    if kind is ReplyKind.PORT_UNREACHABLE:
        return (ICMP4_DEST_UNREACH, 3, bytes(4)) if v4 else (ICMP6_DEST_UNREACH, 4, bytes(4))
    return (ICMP4_DEST_UNREACH if v4 else ICMP6_DEST_UNREACH), code & 0xFF, bytes(4)


def read_reply(data: bytes, raw: bool) -> Observation | None:
    """A recorded reply as the live socket would have handed it to the engine, or None."""
    if not data:
        return None
    version = data[0] >> 4
    if version == 4:
        if len(data) < 20:
            return None
        obs = parse_ipv4_tcp(data) if data[9] == PROTO_TCP else parse_ipv4_icmp(data)
        kept = data
    elif version == 6:
        if len(data) < 40:
            return None
        source = socket.inet_ntop(socket.AF_INET6, data[8:24])
        kept = data[40:]
        obs = parse_ipv6_tcp(kept, source) if data[6] == PROTO_TCP else parse_icmpv6(kept, source)
    else:
        return None
    if obs is None:
        return None
    return obs._replace(packet=bytes(kept) if raw else b"")


def probe_payload(data: bytes) -> tuple[bytes, int] | None:
    """A recorded probe's payload (what the engine built) and its TTL, or None."""
    if len(data) >= 20 and data[0] >> 4 == 4:
        ihl = (data[0] & 0x0F) * 4
        return (bytes(data[ihl:]), data[8]) if ihl >= 20 else None
    if len(data) >= 40 and data[0] >> 4 == 6:
        payload = bytes(data[40:])
        if data[6] == PROTO_ICMPV6 and len(payload) >= 8:
            payload = payload[:2] + b"\0\0" + payload[4:]  # as built: the kernel fills it in
        return payload, data[7]
    return None
