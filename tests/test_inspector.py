"""The packet inspector: what scapy makes of a kept reply, shown literally, never raising."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6TimeExceeded, IPv6

from tracetui.inspector import inspect


def test_an_ipv4_time_exceeded_shows_every_layer_and_the_bytes():
    probe = IP(src="198.18.0.2", dst="198.18.9.9", ttl=1) / UDP(sport=40000, dport=33434)
    packet = bytes(IP(src="198.18.3.2", dst="198.18.0.2") / ICMP(type=11, code=0) / bytes(probe))
    result = inspect(packet, family=4, responder="198.18.3.2", local="198.18.0.2")
    text = "\n".join(result.lines)
    assert result.title == f"Latest reply from 198.18.3.2 ({len(packet)} bytes)"
    for expected in ("###[ IP ]###", "type      = time-exceeded", "###[ IP in ICMP ]###"):
        assert expected in text
    assert "dport     = 33434" in text  # the quoted probe, dissected
    assert f"{len(packet)} bytes as read:" in text
    assert result.lines[-((len(packet) + 15) // 16)].startswith("0000  45 00")


def test_ipv6_says_its_header_is_rebuilt():
    probe = IPv6(src="2001:db8::2", dst="2001:db8:9::9", hlim=1) / UDP(dport=33434)
    message = bytes(ICMPv6TimeExceeded() / bytes(probe))
    result = inspect(message, family=6, responder="2001:db8:3::2", local="2001:db8::2")
    text = "\n".join(result.lines)
    assert "rebuilt from the addresses" in text
    assert "ICMPv6 Time Exceeded" in text and "src       = 2001:db8:3::2" in text


def test_without_a_packet_it_says_why():
    result = inspect(b"", family=4, responder="198.18.3.2", local="198.18.0.2")
    assert "no packet kept" in result.title and "Unprivileged" in result.lines[0]


def test_text_from_the_network_is_shown_literally():
    payload = b"\x1b]0;owned\x07\x1b[2J[b]bold[/b]\r\n"
    packet = bytes(IP(src="198.18.3.2", dst="198.18.0.2") / ICMP(type=0) / payload)
    result = inspect(packet, family=4, responder="198.18.3.2", local="198.18.0.2")
    for line in result.lines:
        assert line.isprintable(), line
    assert any("[b]bold[/b]" in line for line in result.lines)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(min_size=1, max_size=600), st.sampled_from([4, 6]), st.booleans())
def test_any_bytes_give_a_dump_and_never_raise(packet, family, tcp):
    responder, local = ("198.18.3.2", "198.18.0.2") if family == 4 else ("2001:db8::3", "::2")
    result = inspect(packet, family=family, responder=responder, local=local, tcp=tcp)
    assert all(line.isprintable() for line in result.lines)
    assert result.lines[-1].startswith(f"{(len(packet) - 1) // 16 * 16:04x}  ")
