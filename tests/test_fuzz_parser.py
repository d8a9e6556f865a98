"""Fuzzing the reply path: nothing may raise, nothing is attributed to a probe it does not answer.

The oracle is scapy: whenever our parser and codec say "this answers probe K", scapy's own
dissection of the same bytes must show the quoted fields of probe K. Hypothesis runs a fixed,
derandomized budget, so CI sees the same cases every time.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, IPerror
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6TimeExceeded,
    IPerror6,
    IPv6,
)

from tracetui.icmp_extensions import MAX_INTERFACES, MAX_LABELS, decode
from tracetui.probe.codec import IcmpCodec, LocalIdentity, TcpCodec, UdpCodec
from tracetui.probe.packets import (
    internet_checksum,
    parse_icmpv6,
    parse_ipv4_icmp,
    parse_ipv4_tcp,
    parse_ipv6_tcp,
)

SRC4, DST4, ROUTER4 = "198.18.0.2", "198.18.9.10", "198.18.3.1"
SRC6, DST6, ROUTER6 = "2001:db8::2", "2001:db8:9::10", "2001:db8:3::1"
IDENT = 0x7A1C
IDENTITY4 = LocalIdentity(SRC4, IDENT, 47000, 47001, 0x5EED0000)
IDENTITY6 = LocalIdentity(SRC6, IDENT, 47000, 47001, 0x5EED0000)

CODECS4 = [
    IcmpCodec(4, DST4, IDENT, 64),
    UdpCodec(4, DST4, IDENTITY4, 33434, 64, vary=False),
    UdpCodec(4, DST4, IDENTITY4, 33434, 64, vary=True),
    TcpCodec(4, DST4, IDENTITY4, 80, vary=False),
]
CODECS6 = [
    IcmpCodec(6, DST6, IDENT, 64),
    UdpCodec(6, DST6, IDENTITY6, 33434, 64, vary=False),
    TcpCodec(6, DST6, IDENTITY6, 80, vary=False),
]

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


PROTOCOLS = {IcmpCodec: 1, UdpCodec: 17, TcpCodec: 6}


def _justified4(codec, key: int, packet: bytes) -> bool:
    """What scapy reads from these bytes identifies exactly the probe with this key."""
    ip = IP(packet)
    probe = codec.build(key)
    if IPerror not in ip:
        if ICMP in ip and ip[ICMP].type == 0:
            return ip.src == DST4 and ip[ICMP].id == IDENT and ip[ICMP].seq == key
        return False
    inner = ip[IPerror]
    start = ip.ihl * 4 + 8 + inner.ihl * 4
    quoted = packet[start : start + 8]
    return inner.dst == DST4 and inner.proto == PROTOCOLS[type(codec)] and quoted == probe[:8]


def _icmp4_error(probe_l4: bytes, proto: int, icmp_type: int = 11, code: int = 0) -> bytes:
    quote = IP(src=SRC4, dst=DST4, proto=proto, ttl=1) / probe_l4
    return bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=icmp_type, code=code) / bytes(quote))


def _genuine4(codec, key: int) -> bytes:
    probe = codec.build(key)
    if isinstance(codec, IcmpCodec):
        return _icmp4_error(probe, 1)
    if isinstance(codec, UdpCodec):
        return _icmp4_error(probe, 17, 3, 3)
    return _icmp4_error(probe, 6)


def _refresh_icmp_checksum(packet: bytearray) -> None:
    """An attacker who mutates a reply can also fix its checksum."""
    if len(packet) < 28 or packet[0] >> 4 != 4:
        return
    ihl = (packet[0] & 0x0F) * 4
    if len(packet) < ihl + 4:
        return
    packet[ihl + 2 : ihl + 4] = b"\0\0"
    packet[ihl + 2 : ihl + 4] = internet_checksum(bytes(packet[ihl:])).to_bytes(2, "big")


def _match_all(obs, codecs):
    return [(codec, codec.key_of(obs)) for codec in codecs if obs is not None]


@FUZZ
@given(st.binary(max_size=200))
@example(b"\x45" + b"\x00" * 19)
@example(b"\x4f" + b"\x00" * 80)
@example(b"\x60" * 60)
def test_random_bytes_never_raise(data):
    for obs in (
        parse_ipv4_icmp(data),
        parse_ipv4_tcp(data),
        parse_icmpv6(data, ROUTER6),
        parse_ipv6_tcp(data, DST6),
    ):
        for codec in CODECS4 + CODECS6:
            if obs is not None:
                codec.key_of(obs)


@FUZZ
@given(
    st.integers(0, len(CODECS4) - 1),
    st.integers(0, 4095),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=6),
    st.integers(-1, 120),
    st.booleans(),
)
# regressions found by this test: a forged fragment offset in the outer header was accepted;
# an RFC 792 minimal quote (8 bytes of TCP) must still match
@example(which=0, key=0, mutations=[(6, 1)], cut=-1, fix_checksum=False)
@example(which=3, key=0, mutations=[], cut=57, fix_checksum=True)
def test_mutated_ipv4_errors_are_matched_only_when_justified(
    which, key, mutations, cut, fix_checksum
):
    codec = CODECS4[which]
    genuine = _genuine4(codec, key)
    # the property below would hold for a parser that rejects everything: it must not
    assert codec.key_of(parse_ipv4_icmp(genuine)) == key
    packet = bytearray(genuine)
    for offset, value in mutations:
        if offset < len(packet):
            packet[offset] = value
    if cut >= 0:
        del packet[cut:]
    if fix_checksum:
        _refresh_icmp_checksum(packet)
    obs = parse_ipv4_icmp(bytes(packet))
    for candidate, matched in _match_all(obs, CODECS4):
        if matched is not None and candidate is codec:
            assert _justified4(codec, matched, bytes(packet)), (bytes(packet).hex(), matched)


@FUZZ
@given(st.integers(0, 65535), st.integers(0, 65535), st.booleans())
def test_other_programs_icmp_is_never_ours(ident, seq, reply):
    if ident == IDENT:
        ident ^= 1
    if reply:
        packet = bytes(IP(src=DST4, dst=SRC4) / ICMP(type=0, id=ident, seq=seq) / (b"x" * 8))
    else:
        probe = bytes(ICMP(type=8, id=ident, seq=seq) / b"payload!")
        packet = _icmp4_error(probe, 1)
    obs = parse_ipv4_icmp(packet)
    assert obs is not None
    assert all(codec.key_of(obs) is None for codec in CODECS4)


@FUZZ
@given(st.integers(0, 4095), st.sampled_from(["dst", "sport", "dport", "proto"]))
def test_errors_quoting_a_different_flow_are_rejected(key, field):
    codec = CODECS4[1]
    probe = bytearray(codec.build(key))
    dst, proto = DST4, 17
    if field == "dst":
        dst = "198.18.9.11"
    elif field == "sport":
        probe[0:2] = (47002).to_bytes(2, "big")
    elif field == "dport":
        probe[2:4] = (33435).to_bytes(2, "big")
    else:
        proto = 6
    quote = IP(src=SRC4, dst=dst, proto=proto, ttl=1) / bytes(probe)
    packet = bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11) / bytes(quote))
    assert codec.key_of(parse_ipv4_icmp(packet)) is None


@FUZZ
@given(
    st.integers(0, 4095),
    st.integers(0, 255),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2000)), max_size=4),
)
def test_icmp_extensions_with_lying_lengths(key, length_words, objects):
    """RFC 4884 extensions (e.g. MPLS labels) after the quote must not confuse matching."""
    codec = CODECS4[0]
    quote = bytes(IP(src=SRC4, dst=DST4, proto=1, ttl=1) / codec.build(key)).ljust(128, b"\0")
    extension = b"\x20\x00\x00\x00"
    for ctype, length in objects:
        extension += struct.pack("!HBB", length, 1, ctype) + b"\xff" * min(length, 64)
    icmp = bytes([11, 0, 0, 0, 0, length_words, 0, 0]) + quote + extension
    icmp = icmp[:2] + internet_checksum(icmp).to_bytes(2, "big") + icmp[4:]
    packet = bytes(IP(src=ROUTER4, dst=SRC4, proto=1) / icmp)
    obs = parse_ipv4_icmp(packet)
    assert obs is not None and codec.key_of(obs) == key
    # what the parser hands on is a whole structure or nothing, and decodes without harm
    structure = obs.extensions
    if structure:
        assert structure[0] >> 4 == 2 and internet_checksum(structure) == 0
        decoded = decode(structure)
        assert len(decoded.mpls) <= MAX_LABELS and len(decoded.interfaces) <= MAX_INTERFACES


def _genuine6(codec, key: int, kind: str) -> bytes:
    probe = codec.build(key)
    nh = {IcmpCodec: 58, UdpCodec: 17, TcpCodec: 6}[type(codec)]
    quote = bytes(IPv6(src=SRC6, dst=DST6, nh=nh, hlim=1)) + probe
    if kind == "te":
        return bytes(ICMPv6TimeExceeded() / quote)
    return bytes(ICMPv6DestUnreach(code=4) / quote)


@FUZZ
@given(
    st.integers(0, len(CODECS6) - 1),
    st.integers(0, 4095),
    st.sampled_from(["te", "unreach"]),
    st.lists(st.tuples(st.integers(0, 120), st.integers(0, 255)), max_size=6),
    st.integers(-1, 100),
)
# regression: a quoted UDP length that differs from ours was accepted
@example(which=1, key=0, kind="te", mutations=[(52, 1)], cut=-1)
def test_mutated_ipv6_errors_are_matched_only_when_justified(which, key, kind, mutations, cut):
    codec = CODECS6[which]
    genuine = _genuine6(codec, key, kind)
    assert codec.key_of(parse_icmpv6(genuine, ROUTER6)) == key  # unmutated: accepted
    message = bytearray(genuine)
    for offset, value in mutations:
        if offset < len(message):
            message[offset] = value
    if cut >= 0:
        del message[cut:]
    obs = parse_icmpv6(bytes(message), ROUTER6)
    if obs is None:
        return
    matched = codec.key_of(obs)
    if matched is None:
        return
    dissected = IPerror6(bytes(message)[8:])
    assert dissected.dst == DST6
    quoted, sent = bytes(dissected.payload)[:8], codec.build(matched)[:8]
    if isinstance(codec, IcmpCodec):
        # the kernel fills in an ICMPv6 checksum as the probe leaves: ours is not on the wire
        quoted, sent = quoted[:2] + quoted[4:], sent[:2] + sent[4:]
    assert quoted == sent


@FUZZ
@given(st.integers(0, 65535), st.integers(0, 2**32 - 1), st.sampled_from(["SA", "RA", "R"]))
def test_tcp_replies_match_only_their_own_probe(sport, ack, flags):
    codec = CODECS4[3]
    genuine = codec.build(sport % 4096)
    their_seq = struct.unpack_from("!I", genuine, 4)[0]
    # a SYN is answered with SYN-ACK or RST-ACK (a bare RST answers nothing)
    answer = TCP(sport=80, dport=47001, flags="SA" if "S" in flags else "RA", ack=their_seq + 1)
    assert codec.key_of(parse_ipv4_tcp(bytes(IP(src=DST4, dst=SRC4) / answer))) == sport % 4096
    segment = TCP(sport=80, dport=sport, flags=flags, ack=ack)
    obs = parse_ipv4_tcp(bytes(IP(src=DST4, dst=SRC4) / segment))
    obs6 = parse_ipv6_tcp(bytes(segment), DST6)
    for observation, tcp_codec in ((obs, codec), (obs6, CODECS6[2])):
        if observation is None:
            continue
        matched = tcp_codec.key_of(observation)
        if matched is not None:
            probe = tcp_codec.build(matched)
            assert sport == struct.unpack_from("!H", probe)[0]
            assert ack == (struct.unpack_from("!I", probe, 4)[0] + 1) & 0xFFFFFFFF


def test_echo_reply_from_another_address_answers_by_identifier_and_sequence():
    """A multihomed or anycast target answers from another of its addresses: only a host
    that got our request can echo our identifier and sequence (the model tells the target
    from a router); another identifier is another program's."""
    packet = bytes(IP(src="198.18.9.11", dst=SRC4) / ICMP(type=0, id=IDENT, seq=5) / b"x")
    assert CODECS4[0].key_of(parse_ipv4_icmp(packet)) == 5
    other = bytes(IP(src="198.18.9.11", dst=SRC4) / ICMP(type=0, id=IDENT ^ 1, seq=5) / b"x")
    assert CODECS4[0].key_of(parse_ipv4_icmp(other)) is None
    message = bytes(ICMPv6EchoReply(id=IDENT, seq=5))
    assert CODECS6[0].key_of(parse_icmpv6(message, "2001:db8:9::11")) == 5
    assert CODECS6[0].key_of(parse_icmpv6(message, DST6)) == 5
