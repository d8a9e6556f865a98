"""Probe bytes and reply decoding with ``struct``, for the hot path.

Building a probe with scapy costs hundreds of microseconds and dissecting a
reply as much (``bench/scapy_cost.py`` measures both); both happen once per
probe, so they are done here with precomputed templates and slicing (a few
microseconds). The test suite checks every builder
against scapy's own checksums and field decoding, so scapy stays the reference
without being on the path of every packet.

Parsers take untrusted bytes and return ``None`` for anything that is not a
well-formed reply of a kind we use; they never raise on bad input.
"""

from __future__ import annotations

import socket
import struct

from tracetui.probe.types import Observation, ReplyKind

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

ICMP4_ECHO_REPLY = 0
ICMP4_DEST_UNREACH = 3
ICMP4_ECHO_REQUEST = 8
ICMP4_TIME_EXCEEDED = 11
ICMP6_DEST_UNREACH = 1
ICMP6_PACKET_TOO_BIG = 2
ICMP6_TIME_EXCEEDED = 3
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129

TCP_FLAG_SYN = 0x02
TCP_FLAG_RST = 0x04
TCP_FLAG_ACK = 0x10
TCP_MSS_OPTION = b"\x02\x04\x05\xb4"  # MSS 1460: optionless SYNs are dropped by some middleboxes
TCP_HEADER_LEN = 20 + len(TCP_MSS_OPTION)

_ICMP_HEADER = struct.Struct("!BBHHH")
_UDP_HEADER = struct.Struct("!HHHH")
_TCP_SYN = struct.Struct("!HHIIBBHHH")

_AF = {4: socket.AF_INET, 6: socket.AF_INET6}
_TOO_BIG = ReplyKind.PACKET_TOO_BIG
_ntop = socket.inet_ntop
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6


def ones_sum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit big-endian words, folded to 16 bits.

    Uses the identity that folding is reduction modulo 0xffff, so the whole
    buffer is summed by one big-int operation in C.
    """
    if len(data) % 2:
        data += b"\0"
    if not data:
        return 0
    total = int.from_bytes(data, "big") % 0xFFFF
    if total == 0 and any(data):
        return 0xFFFF
    return total


def fold(total: int) -> int:
    """Fold a sum of 16-bit words (< 2**32) into 16 bits with end-around carry."""
    total = (total & 0xFFFF) + (total >> 16)
    return (total & 0xFFFF) + (total >> 16)


def internet_checksum(data: bytes) -> int:
    return ~ones_sum(data) & 0xFFFF


def pseudo_header_sum(family: int, src: str, dst: str, proto: int, length: int) -> int:
    """Sum of the IPv4/IPv6 pseudo-header that UDP and TCP checksums cover."""
    af = _AF[family]
    addrs = socket.inet_pton(af, src) + socket.inet_pton(af, dst)
    if family == 4:
        tail = struct.pack("!BBH", 0, proto, length)
    else:
        tail = struct.pack("!IxxxB", length, proto)
    return ones_sum(addrs + tail)


def payload_bytes(length: int, pattern: int = 0) -> bytes:
    return bytes([pattern & 0xFF]) * max(0, length)


class IcmpEchoTemplate:
    """Echo requests that differ only in the sequence number (the probe key).

    The payload's checksum contribution is computed once; each build adds the
    sequence number to it. For ICMPv6 the kernel fills in the checksum.
    """

    __slots__ = ("_type", "ident", "_payload", "_base", "_v6")

    def __init__(self, family: int, ident: int, payload_len: int, pattern: int = 0) -> None:
        self._v6 = family == 6
        self._type = ICMP6_ECHO_REQUEST if self._v6 else ICMP4_ECHO_REQUEST
        self.ident = ident & 0xFFFF
        self._payload = payload_bytes(payload_len, pattern)
        self._base = (self._type << 8) + self.ident + ones_sum(self._payload)

    def build(self, seq: int) -> bytes:
        checksum = 0 if self._v6 else ~fold(self._base + seq) & 0xFFFF
        return _ICMP_HEADER.pack(self._type, 0, checksum, self.ident, seq) + self._payload


class UdpTemplate:
    """UDP probes in one of two flow modes.

    Fixed flow (Paris traceroute): ports never change, so per-flow load
    balancers keep every probe on one path; the key is carried in the checksum,
    steered by the last two payload bytes. Varying (classic traceroute): the
    destination port is ``port + key``.
    """

    __slots__ = ("sport", "dport", "vary", "_length", "_head", "_fixed_sum")

    def __init__(
        self,
        family: int,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        payload_len: int,
        vary: bool = False,
        pattern: int = 0,
    ) -> None:
        if payload_len < 2:
            raise ValueError("a UDP probe needs at least 2 payload bytes")
        self.sport = sport
        self.dport = dport
        self.vary = vary
        self._length = 8 + payload_len
        self._head = payload_bytes(payload_len - 2, pattern)
        self._fixed_sum = (
            pseudo_header_sum(family, src, dst, PROTO_UDP, self._length)
            + sport
            + self._length
            + ones_sum(self._head)
        )

    @property
    def key_space(self) -> int:
        return min(4096, 65536 - self.dport) if self.vary else 0xFFFE

    def build(self, key: int) -> bytes:
        if self.vary:
            dport = self.dport + key
            tail = 0
            checksum = ~fold(self._fixed_sum + dport) & 0xFFFF or 0xFFFF
        else:
            dport = self.dport
            checksum = key + 1
            partial = fold(self._fixed_sum + dport)
            tail = fold((~checksum & 0xFFFF) + (~partial & 0xFFFF))
        return (
            _UDP_HEADER.pack(self.sport, dport, self._length, checksum)
            + self._head
            + tail.to_bytes(2, "big")
        )


class TcpSynTemplate:
    """TCP SYN probes; the key rides in the sequence number, which ICMP errors
    quote and the target's SYN-ACK or RST acknowledges (ack = seq + 1).

    A payload (for -s beyond the headers) is legal in a SYN; the target ignores it
    unless it speaks TCP Fast Open, and still answers SYN-ACK or RST as usual.
    """

    __slots__ = ("sport", "dport", "isn_base", "vary", "_fixed_sum", "_payload")

    VARY_SPAN = 256

    def __init__(
        self,
        family: int,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        isn_base: int,
        vary: bool = False,
        payload: bytes = b"",
    ) -> None:
        self.sport = sport
        self.dport = dport
        self.isn_base = isn_base & 0xFFFFFFFF
        self.vary = vary
        self._payload = payload
        self._fixed_sum = (
            pseudo_header_sum(family, src, dst, PROTO_TCP, TCP_HEADER_LEN + len(payload))
            + dport
            + ((TCP_HEADER_LEN // 4) << 12 | TCP_FLAG_SYN)
            + 0xFFFF  # window
            + ones_sum(TCP_MSS_OPTION + payload)
        )

    @property
    def payload_len(self) -> int:
        return len(self._payload)

    def sport_for(self, key: int) -> int:
        return self.sport + key % self.VARY_SPAN if self.vary else self.sport

    def build(self, key: int) -> bytes:
        sport = self.sport_for(key)
        seq = (self.isn_base + key) & 0xFFFFFFFF
        checksum = ~fold(self._fixed_sum + sport + (seq >> 16) + (seq & 0xFFFF)) & 0xFFFF
        return (
            _TCP_SYN.pack(
                sport,
                self.dport,
                seq,
                0,
                (TCP_HEADER_LEN // 4) << 4,
                TCP_FLAG_SYN,
                0xFFFF,
                checksum,
                0,
            )
            + TCP_MSS_OPTION
            + self._payload
        )


def ipv4_header(
    src: str, dst: str, proto: int, payload_len: int, ttl: int, ident: int = 0
) -> bytes:
    """An option-less IPv4 header with a valid checksum (used to synthesise packets)."""
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + payload_len,
        ident & 0xFFFF,
        0x4000,
        ttl,
        proto,
        0,
        socket.inet_pton(_AF_INET, src),
        socket.inet_pton(_AF_INET, dst),
    )
    return header[:10] + internet_checksum(header).to_bytes(2, "big") + header[12:]


def ipv6_header(src: str, dst: str, next_header: int, payload_len: int, hop_limit: int) -> bytes:
    return struct.pack(
        "!IHBB16s16s",
        6 << 28,
        payload_len,
        next_header,
        hop_limit,
        socket.inet_pton(_AF_INET6, src),
        socket.inet_pton(_AF_INET6, dst),
    )


def with_checksum(message: bytes, offset: int, extra_sum: int = 0) -> bytes:
    """Fill in the 16-bit checksum at ``offset`` (zero there on entry)."""
    checksum = ~fold(ones_sum(message) + extra_sum) & 0xFFFF
    return message[:offset] + checksum.to_bytes(2, "big") + message[offset + 2 :]


ICMP4_FRAG_NEEDED = 4


def _kind4(icmp_type: int, code: int) -> ReplyKind | None:
    if icmp_type == ICMP4_TIME_EXCEEDED:
        return ReplyKind.TIME_EXCEEDED if code == 0 else None
    if icmp_type == ICMP4_DEST_UNREACH:
        if code == 3:
            return ReplyKind.PORT_UNREACHABLE
        return ReplyKind.PACKET_TOO_BIG if code == ICMP4_FRAG_NEEDED else ReplyKind.UNREACHABLE
    return None


def _kind6(icmp_type: int, code: int) -> ReplyKind | None:
    if icmp_type == ICMP6_TIME_EXCEEDED:
        return ReplyKind.TIME_EXCEEDED if code == 0 else None
    if icmp_type == ICMP6_DEST_UNREACH:
        return ReplyKind.PORT_UNREACHABLE if code == 4 else ReplyKind.UNREACHABLE
    if icmp_type == ICMP6_PACKET_TOO_BIG:
        return ReplyKind.PACKET_TOO_BIG
    return None


EXTENSION_VERSION = 2
ORIGINAL_DATAGRAM_MIN = 128
"""RFC 4884: a message with extensions quotes at least this much of the probe."""
MAX_EXTENSION_BYTES = 1024
"""More than any router sends (a label stack of a few entries, one interface object)."""


def icmp_extensions(body: bytes, length_words: int, word: int) -> bytes:
    """The RFC 4884 extension structure that follows the quoted probe, or ``b""``.

    ``body`` is the ICMP message after its 8-byte header; ``length_words`` the
    message's length field (the quoted datagram in 4-byte words for ICMP, 8-byte
    for ICMPv6). Routers that predate RFC 4884 (RFC 4950's MPLS objects) leave the
    length at 0 and quote exactly 128 bytes. Only a structure that is whole is
    returned: version 2, a valid checksum, objects that tile it exactly. That also
    keeps a long quoted payload from being read as extensions. Decoding the
    objects is left to ``tracetui.icmp_extensions`` (scapy), off the hot path.
    """
    start = length_words * word if length_words else ORIGINAL_DATAGRAM_MIN
    data = body[start:]
    size = len(data)
    if size < 8 or size > MAX_EXTENSION_BYTES or data[0] >> 4 != EXTENSION_VERSION:
        return b""
    position = 4
    while position < size:
        length = (data[position] << 8) | data[position + 1] if position + 1 < size else 0
        if length < 4 or position + length > size:
            return b""
        position += length
    if ones_sum(data) != 0xFFFF:
        return b""
    return bytes(data)


def _with_extensions(
    observation: Observation | None, body: bytes, words: int, word: int
) -> Observation | None:
    if observation is None or (not words and len(body) < ORIGINAL_DATAGRAM_MIN + 8):
        return observation
    extensions = icmp_extensions(body, words, word)
    return observation._replace(extensions=extensions) if extensions else observation


def _later_fragment(header: bytes) -> bool:
    """A non-zero fragment offset: no transport header at the start of this payload."""
    return bool(header[6] & 0x1F or header[7])


def _fragment(header: bytes) -> bool:
    """Raw sockets only ever see reassembled packets, so a fragment here is forged."""
    return bool(header[6] & 0x3F or header[7])


def quoted_ipv4(
    kind: ReplyKind, code: int, responder: str, quote: bytes, mtu: int = 0
) -> Observation | None:
    """Decode the IPv4 probe an ICMP error quotes (its header plus >= 8 bytes)."""
    if len(quote) < 28 or quote[0] >> 4 != 4 or _later_fragment(quote):
        return None
    ihl = (quote[0] & 0x0F) * 4
    if ihl < 20 or len(quote) < ihl + 8:
        return None
    dst = _ntop(_AF_INET, quote[16:20])
    return Observation(kind, code, responder, quote[9], dst, bytes(quote[ihl : ihl + 8]), mtu)


def quoted_ipv6(
    kind: ReplyKind, code: int, responder: str, quote: bytes, mtu: int = 0
) -> Observation | None:
    """Decode the IPv6 probe an ICMPv6 error quotes (our probes carry no extension headers)."""
    if len(quote) < 48 or quote[0] >> 4 != 6:
        return None
    dst = _ntop(_AF_INET6, quote[24:40])
    return Observation(kind, code, responder, quote[6], dst, bytes(quote[40:48]), mtu)


def parse_ipv4_icmp(packet: bytes) -> Observation | None:
    """An IPv4 packet from a raw ICMP socket (IP header included).

    Raw sockets see packets before the ICMP layer checks them, so the ICMP
    checksum is verified here; a corrupted error must not be matched.
    """
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != PROTO_ICMP:
        return None
    if _fragment(packet):
        return None
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl + 8 or ones_sum(packet[ihl:]) != 0xFFFF:
        return None
    responder = _ntop(_AF_INET, packet[12:16])
    icmp_type = packet[ihl]
    code = packet[ihl + 1]
    if icmp_type == ICMP4_ECHO_REPLY:
        header = bytes(packet[ihl : ihl + 8])
        return Observation(ReplyKind.ECHO_REPLY, code, responder, PROTO_ICMP, responder, header)
    kind = _kind4(icmp_type, code)
    if kind is None:
        return None
    mtu = int.from_bytes(packet[ihl + 6 : ihl + 8], "big") if kind is _TOO_BIG else 0
    body = packet[ihl + 8 :]
    return _with_extensions(quoted_ipv4(kind, code, responder, body, mtu), body, packet[ihl + 5], 4)


def parse_icmpv6(message: bytes, responder: str) -> Observation | None:
    """An ICMPv6 message from a raw ICMPv6 socket (the kernel strips the IPv6 header)."""
    if len(message) < 8:
        return None
    icmp_type = message[0]
    code = message[1]
    if icmp_type == ICMP6_ECHO_REPLY:
        return Observation(
            ReplyKind.ECHO_REPLY, code, responder, PROTO_ICMPV6, responder, bytes(message[:8])
        )
    kind = _kind6(icmp_type, code)
    if kind is None:
        return None
    if kind is _TOO_BIG:
        return quoted_ipv6(kind, code, responder, message[8:], int.from_bytes(message[4:8], "big"))
    body = message[8:]
    return _with_extensions(quoted_ipv6(kind, code, responder, body), body, message[4], 8)


def _tcp_reply(segment: bytes, responder: str) -> Observation | None:
    if len(segment) < 20:
        return None
    flags = segment[13]
    if flags & TCP_FLAG_RST:
        kind = ReplyKind.TCP_RESET
    elif flags & (TCP_FLAG_SYN | TCP_FLAG_ACK) == TCP_FLAG_SYN | TCP_FLAG_ACK:
        kind = ReplyKind.TCP_SYN_ACK
    else:
        return None
    if not flags & TCP_FLAG_ACK:
        return None
    return Observation(kind, 0, responder, PROTO_TCP, responder, bytes(segment[:16]))


def parse_ipv4_tcp(packet: bytes) -> Observation | None:
    """An IPv4 packet from a raw TCP socket: a SYN-ACK or RST may answer a SYN probe."""
    if len(packet) < 40 or packet[0] >> 4 != 4 or packet[9] != PROTO_TCP or _fragment(packet):
        return None
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20:
        return None
    return _tcp_reply(packet[ihl:], _ntop(_AF_INET, packet[12:16]))


def parse_ipv6_tcp(segment: bytes, responder: str) -> Observation | None:
    """A TCP segment from a raw IPv6 TCP socket (no IPv6 header)."""
    return _tcp_reply(segment, responder)


def unreachable_kind(family: int, icmp_type: int, code: int) -> ReplyKind | None:
    """Reply kind of an ICMP error reported through a socket error queue."""
    return _kind4(icmp_type, code) if family == 4 else _kind6(icmp_type, code)
