"""The bytes a Linux host would deliver to our raw sockets for each kind of answer.

Time-exceeded quoting the probe (with RFC 4884 extensions where a router adds
them), echo replies, port unreachables, refusals (destination unreachable,
packet too big) and TCP resets or SYN-ACKs: decoded by the same parsers as
real traffic, so the simulation tests the engine's matching too.
"""

from __future__ import annotations

import struct

from tracetui.probe.channels import Channel
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
from tracetui.probe.types import Family, ProbeMethod

QUOTE_LIMIT = 548  # Linux quotes as much of the offending packet as fits in 576 bytes

_TCP_SYN_FIELDS = struct.Struct("!HHI")


class Replies:
    """Builds answers to one client's probes towards one target."""

    def __init__(self, family: Family, client: str, target: str) -> None:
        self.family = family
        self.client = client
        self.target = target

    def answer(
        self,
        method: ProbeMethod,
        payload: bytes,
        source: str,
        at_target: bool,
        ttl_left: int,
        extensions: bytes = b"",
        open_tcp: bool = False,
    ) -> tuple[Channel, bytes]:
        """A router's time-exceeded, or the target's answer to this method's probe."""
        if not at_target:
            return self.icmp_error(
                method, payload, source, ttl_left, time_exceeded=True, extensions=extensions
            )
        if method is ProbeMethod.ICMP:
            return self.echo_reply(payload, source)
        if method is ProbeMethod.UDP:
            return self.icmp_error(method, payload, source, ttl_left, time_exceeded=False)
        return self.tcp_answer(payload, source, open_tcp)

    def refusal(
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

    def icmp_error(
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

    def echo_reply(self, request: bytes, source: str) -> tuple[Channel, bytes]:
        if self.family is Family.V4:
            message = with_checksum(bytes([ICMP4_ECHO_REPLY, 0, 0, 0]) + request[4:], 2)
            header = ipv4_header(source, self.client, PROTO_ICMP, len(message), 64)
            return Channel.ICMP4, header + message
        return Channel.ICMP6, bytes([ICMP6_ECHO_REPLY, 0, 0, 0]) + request[4:]

    def tcp_answer(self, syn: bytes, source: str, open_port: bool) -> tuple[Channel, bytes]:
        sport, dport, seq = _TCP_SYN_FIELDS.unpack_from(syn)
        data = len(syn) - (syn[12] >> 4) * 4
        if open_port:
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
