"""Probe builders and reply parsers, checked against scapy as the reference."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, UDPerror
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6TimeExceeded, IPv6
from scapy.utils import checksum as scapy_checksum

from tracetui.probe.packets import (
    IcmpEchoTemplate,
    TcpSynTemplate,
    UdpTemplate,
    internet_checksum,
    ones_sum,
    parse_icmpv6,
    parse_ipv4_icmp,
    parse_ipv4_tcp,
    parse_ipv6_tcp,
)
from tracetui.probe.types import ReplyKind

SRC4, DST4, ROUTER4 = "198.18.0.2", "198.18.9.10", "198.18.3.1"
SRC6, DST6, ROUTER6 = "2001:db8::2", "2001:db8:9::10", "2001:db8:3::1"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\xff\xff", b"\x01\x02\x03", bytes(range(256)), b"\xff" * 64, b"\x00" * 9],
)
def test_checksum_matches_scapy(data):
    assert internet_checksum(data) == scapy_checksum(data)


def test_ones_sum_folds_nonzero_multiple_of_ffff_to_ffff():
    assert ones_sum(b"\xff\xff") == 0xFFFF
    assert ones_sum(b"\x00\x00") == 0


@pytest.mark.parametrize("seq", [0, 1, 0x1234, 0xFFFF])
def test_icmp_echo_v4_has_valid_checksum_and_fields(seq):
    raw = IcmpEchoTemplate(4, 0xBEEF, 36, pattern=0xA5).build(seq)
    icmp = ICMP(raw)
    assert (icmp.type, icmp.code, icmp.id, icmp.seq) == (8, 0, 0xBEEF, seq)
    assert len(icmp.load) == 36 and set(icmp.load) == {0xA5}
    clean = ICMP(raw)
    clean.chksum = None
    assert ICMP(bytes(clean)).chksum == icmp.chksum


def test_icmp_echo_v6_leaves_checksum_to_kernel():
    raw = IcmpEchoTemplate(6, 0x0102, 8).build(7)
    echo = ICMPv6EchoRequest(raw)
    assert (echo.type, echo.id, echo.seq, echo.cksum) == (128, 0x0102, 7, 0)


@pytest.mark.parametrize("family,src,dst", [(4, SRC4, DST4), (6, SRC6, DST6)])
@pytest.mark.parametrize("key", [0, 1, 500, 0xFFFD])
def test_udp_fixed_flow_steers_checksum_to_key(family, src, dst, key):
    template = UdpTemplate(family, src, dst, 47000, 33434, 30)
    raw = template.build(key)
    ip = IP(src=src, dst=dst) if family == 4 else IPv6(src=src, dst=dst)
    udp = UDP(raw)
    assert (udp.sport, udp.dport, udp.len) == (47000, 33434, 38)
    assert udp.chksum == key + 1
    rebuilt = ip / UDP(sport=47000, dport=33434) / udp.payload
    assert (ip.__class__(bytes(rebuilt)))[UDP].chksum == key + 1


def test_udp_fixed_flow_keeps_ports_for_every_key():
    template = UdpTemplate(4, SRC4, DST4, 47000, 53, 10)
    ports = {struct.unpack_from("!HH", template.build(key)) for key in range(0, 60000, 997)}
    assert ports == {(47000, 53)}


@pytest.mark.parametrize("family,src,dst", [(4, SRC4, DST4), (6, SRC6, DST6)])
def test_udp_varying_ports_have_valid_checksums(family, src, dst):
    template = UdpTemplate(family, src, dst, 47000, 33434, 20, vary=True)
    ip = IP(src=src, dst=dst) if family == 4 else IPv6(src=src, dst=dst)
    for key in (0, 1, 77):
        udp = UDP(template.build(key))
        assert udp.dport == 33434 + key
        rebuilt = ip.__class__(bytes(ip / UDP(sport=udp.sport, dport=udp.dport) / udp.payload))
        assert rebuilt[UDP].chksum == udp.chksum


@pytest.mark.parametrize("family,src,dst", [(4, SRC4, DST4), (6, SRC6, DST6)])
@pytest.mark.parametrize("vary", [False, True])
def test_tcp_syn_fields_and_checksum(family, src, dst, vary):
    template = TcpSynTemplate(family, src, dst, 47001, 443, 0xFFFFFFF0, vary=vary)
    ip = IP(src=src, dst=dst) if family == 4 else IPv6(src=src, dst=dst)
    for key in (0, 15, 16, 300):
        tcp = TCP(template.build(key))
        assert tcp.flags == "S"
        assert tcp.dport == 443
        assert tcp.seq == (0xFFFFFFF0 + key) & 0xFFFFFFFF
        assert tcp.sport == (47001 + key % 256 if vary else 47001)
        assert dict(tcp.options)["MSS"] == 1460
        clean = TCP(bytes(tcp))
        clean.chksum = None
        rebuilt = ip.__class__(bytes(ip / clean))
        assert rebuilt[TCP].chksum == tcp.chksum


def _probe_v4(seq=5, ident=0xBEEF):
    return IP(src=SRC4, dst=DST4, ttl=1) / ICMP(id=ident, seq=seq) / (b"\0" * 36)


def test_parse_time_exceeded_v4_quoting_icmp_probe():
    packet = bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11, code=0) / bytes(_probe_v4()))
    obs = parse_ipv4_icmp(packet)
    assert obs is not None
    assert obs.kind is ReplyKind.TIME_EXCEEDED
    assert (obs.responder, obs.dst, obs.proto) == (ROUTER4, DST4, 1)
    assert struct.unpack("!BBHHH", obs.header)[3:] == (0xBEEF, 5)


def test_parse_port_unreachable_v4_quoting_udp_probe():
    quote = IP(src=SRC4, dst=DST4) / UDP(sport=47000, dport=33434, chksum=0x1234) / b"xx"
    packet = bytes(IP(src=DST4, dst=SRC4) / ICMP(type=3, code=3) / bytes(quote))
    obs = parse_ipv4_icmp(packet)
    assert obs.kind is ReplyKind.PORT_UNREACHABLE
    assert struct.unpack("!HHHH", obs.header)[3] == 0x1234


def test_parse_other_unreachable_v4_is_end_of_path():
    quote = bytes(_probe_v4())
    obs = parse_ipv4_icmp(bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=3, code=13) / quote))
    assert obs.kind is ReplyKind.UNREACHABLE and obs.code == 13
    assert obs.kind.ends_path


def test_parse_echo_reply_v4():
    packet = bytes(IP(src=DST4, dst=SRC4) / ICMP(type=0, id=0xBEEF, seq=9) / (b"\0" * 36))
    obs = parse_ipv4_icmp(packet)
    assert obs.kind is ReplyKind.ECHO_REPLY
    assert obs.dst == DST4


def test_parse_rejects_bad_icmp_checksum():
    packet = bytearray(bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11) / bytes(_probe_v4())))
    packet[22] ^= 0xFF
    assert parse_ipv4_icmp(bytes(packet)) is None


def test_parse_time_exceeded_v6():
    probe = IPv6(src=SRC6, dst=DST6, hlim=1) / ICMPv6EchoRequest(id=0x0102, seq=3)
    message = bytes(ICMPv6TimeExceeded() / bytes(probe))
    obs = parse_icmpv6(message, ROUTER6)
    assert obs.kind is ReplyKind.TIME_EXCEEDED
    assert (obs.responder, obs.dst, obs.proto) == (ROUTER6, DST6, 58)
    assert struct.unpack("!BBHHH", obs.header)[3:] == (0x0102, 3)


def test_parse_port_unreachable_v6():
    probe = IPv6(src=SRC6, dst=DST6) / UDP(sport=1, dport=2) / b"ab"
    message = bytes(ICMPv6DestUnreach(code=4) / bytes(probe))
    assert parse_icmpv6(message, DST6).kind is ReplyKind.PORT_UNREACHABLE


@pytest.mark.parametrize("flags,kind", [("SA", ReplyKind.TCP_SYN_ACK), ("RA", ReplyKind.TCP_RESET)])
def test_parse_tcp_replies(flags, kind):
    segment = TCP(sport=80, dport=47001, seq=1, ack=0x1000, flags=flags)
    obs4 = parse_ipv4_tcp(bytes(IP(src=DST4, dst=SRC4) / segment))
    obs6 = parse_ipv6_tcp(bytes(segment), DST6)
    for obs, dst in ((obs4, DST4), (obs6, DST6)):
        assert obs.kind is kind
        assert obs.dst == dst
        assert struct.unpack_from("!HHII", obs.header) == (80, 47001, 1, 0x1000)


def test_parse_ignores_plain_syn_and_ack():
    for flags in ("S", "A", "PA"):
        assert parse_ipv4_tcp(bytes(IP(src=DST4, dst=SRC4) / TCP(flags=flags))) is None


def test_every_truncation_is_rejected_or_parsed_without_error():
    packets = [
        (parse_ipv4_icmp, bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11) / bytes(_probe_v4()))),
        (parse_ipv4_tcp, bytes(IP(src=DST4, dst=SRC4) / TCP(flags="SA"))),
    ]
    for parse, packet in packets:
        for end in range(len(packet)):
            parse(packet[:end])  # must not raise
    probe = IPv6(src=SRC6, dst=DST6) / ICMPv6EchoRequest()
    message = bytes(ICMPv6TimeExceeded() / bytes(probe))
    for end in range(len(message)):
        obs = parse_icmpv6(message[:end], ROUTER6)
        assert obs is None or len(obs.header) == 8


def test_quote_shorter_than_eight_transport_bytes_is_rejected():
    quote = bytes(_probe_v4())[:27]
    packet = bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11) / quote)
    assert parse_ipv4_icmp(packet) is None


def test_errors_from_scapy_dissection_agree_with_ours():
    """scapy's own dissection of a reply sees the same quoted fields as our parser."""
    quote = IP(src=SRC4, dst=DST4) / UDP(sport=47000, dport=33434, chksum=0x4321) / b"xy"
    packet = bytes(IP(src=ROUTER4, dst=SRC4) / ICMP(type=11) / bytes(quote))
    dissected = IP(packet)
    obs = parse_ipv4_icmp(packet)
    assert dissected[IPerror].dst == obs.dst
    assert dissected[UDPerror].chksum == struct.unpack("!HHHH", obs.header)[3]
