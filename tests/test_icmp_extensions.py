"""ICMP extensions (RFC 4884): cut out on the fast path, decoded with scapy, shown everywhere.

Fixtures are built with scapy's layers (MPLS) or byte by byte from RFC 5837
(interfaces, where scapy's own builder does not follow the RFC), never with
tracetui's encoder alone, so the decoder is held to a second implementation.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.contrib.mpls import MPLS, ICMPExtension_MPLS
from scapy.layers.inet import ICMP, IP, UDP, ICMPExtension_Header
from scapy.layers.inet6 import ICMPv6TimeExceeded, IPv6
from scapy.packet import Raw
from sim_run import raw_lines, run_path

from tracetui.icmp_extensions import (
    MAX_INTERFACES,
    MAX_LABELS,
    IcmpExtensions,
    InterfaceInfo,
    MplsLabel,
    decode,
    encode,
)
from tracetui.probe.packets import (
    icmp_extensions,
    internet_checksum,
    parse_icmpv6,
    parse_ipv4_icmp,
)
from tracetui.probe.sim import SimHop, SimLink, SimRouter
from tracetui.probe.types import ReplyKind
from tracetui.report import ReportOptions, render

CLIENT4, ROUTER4, TARGET4 = "198.18.0.2", "198.18.3.2", "198.18.9.9"
CLIENT6, ROUTER6, TARGET6 = "2001:db8::2", "2001:db8:3::2", "2001:db8:9::9"


def interface_object(flags: int, index=None, address=None, name=None, mtu=None) -> bytes:
    """RFC 5837 section 4, byte by byte."""
    body = b""
    if index is not None:
        body += struct.pack("!I", index)
    if address is not None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        afi = 2 if family == socket.AF_INET6 else 1
        body += struct.pack("!HH", afi, 0) + socket.inet_pton(family, address)
    if name is not None:
        raw = name.encode()
        size = (1 + len(raw) + 3) // 4 * 4
        body += bytes([size]) + raw + bytes(size - 1 - len(raw))
    if mtu is not None:
        body += struct.pack("!I", mtu)
    return struct.pack("!HBB", 4 + len(body), 2, flags) + body


def structure(*objects: bytes) -> bytes:
    data = b"\x20\x00\x00\x00" + b"".join(objects)
    return data[:2] + internet_checksum(data).to_bytes(2, "big") + data[4:]


def mpls_object(*entries: tuple[int, int, int, int]) -> bytes:
    """scapy's ICMPExtension_MPLS, alone (its length is right when nothing follows it)."""
    stack = [MPLS(label=label, cos=tc, s=s, ttl=ttl) for label, tc, s, ttl in entries]
    return bytes(ICMPExtension_MPLS(stack=stack))


# ---------------------------------------------------------------------- decoding
def test_an_mpls_stack_built_by_scapy_decodes_entry_by_entry():
    data = structure(mpls_object((24001, 2, 0, 1), (16, 0, 1, 255)))
    assert decode(data).mpls == (MplsLabel(24001, 2, False, 1), MplsLabel(16, 0, True, 255))
    # scapy's own dissection of the same bytes agrees on every field
    dissected = ICMPExtension_Header(data).payload
    first = dissected.stack[0]
    assert (first.label, first.cos, first.s, first.ttl) == (24001, 2, 0, 1)


@pytest.mark.parametrize(
    "flags,fields,expected",
    [
        (
            0x0F,
            (7, "198.18.3.1", "ge-0/0/1", 1500),
            InterfaceInfo("incoming", 7, "198.18.3.1", "ge-0/0/1", 1500),
        ),
        (
            0x86,
            (None, "2001:db8:3::1", "xe-1/2/3.100", None),
            InterfaceInfo("outgoing", None, "2001:db8:3::1", "xe-1/2/3.100", None),
        ),
        (0x09, (12, None, None, 9000), InterfaceInfo("incoming", 12, None, None, 9000)),
        (0x42, (None, None, "abc", None), InterfaceInfo("sub-ip", None, None, "abc", None)),
    ],
)
def test_rfc5837_interface_objects(flags, fields, expected):
    data = structure(interface_object(flags, *fields))
    assert decode(data).interfaces == (expected,)


def test_objects_in_any_order_and_unknown_classes_are_skipped():
    unknown = struct.pack("!HBB", 8, 9, 1) + b"\xde\xad\xbe\xef"
    data = structure(
        interface_object(0x0F, 3, "198.18.3.1", "eth0", 1500),
        unknown,
        mpls_object((100, 1, 1, 1)),
    )
    decoded = decode(data)
    assert decoded.mpls == (MplsLabel(100, 1, True, 1),)
    assert decoded.incoming == InterfaceInfo("incoming", 3, "198.18.3.1", "eth0", 1500)


def test_hostile_structures_stay_bounded_and_never_raise():
    huge = mpls_object(*[(i, 0, 0, 1) for i in range(300)])
    assert len(decode(structure(huge)).mpls) == MAX_LABELS
    many = [interface_object(0x08, i) for i in range(10)]
    assert len(decode(structure(*many)).interfaces) == MAX_INTERFACES
    # a name sub-object longer than RFC 5837 allows, an address family nobody knows
    bad_name = struct.pack("!HBB", 4 + 68, 2, 0x02) + bytes([68]) + b"x" * 67
    bad_afi = struct.pack("!HBB", 4 + 8, 2, 0x04) + struct.pack("!HH", 7, 0) + b"\0" * 4
    decoded = decode(structure(bad_name, bad_afi, mpls_object((5, 0, 1, 1))))
    assert decoded.mpls == (MplsLabel(5, 0, True, 1),)
    assert decoded.interfaces == (InterfaceInfo("incoming"),)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_random_structures_never_raise(data):
    decoded = decode(b"\x20\x00\x00\x00" + data)
    assert len(decoded.mpls) <= MAX_LABELS and len(decoded.interfaces) <= MAX_INTERFACES


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.builds(
            MplsLabel,
            st.integers(0, 2**20 - 1),
            st.integers(0, 7),
            st.booleans(),
            st.integers(0, 255),
        ),
        max_size=4,
    ),
    st.lists(
        st.builds(
            InterfaceInfo,
            st.sampled_from(["incoming", "sub-ip", "outgoing", "next-hop"]),
            st.none() | st.integers(0, 2**32 - 1),
            st.none() | st.sampled_from(["198.18.7.1", "2001:db8::7"]),
            st.none() | st.text("abcxyz-/.0123456789", min_size=1, max_size=63),
            st.none() | st.integers(0, 2**32 - 1),
        ),
        max_size=2,
    ),
)
def test_encode_then_decode_gives_back_what_went_in(mpls, interfaces):
    extensions = IcmpExtensions(tuple(mpls), tuple(interfaces))
    # a stack ends at its bottom-of-stack entry (RFC 3032): what follows is not a label
    bottom = next((i for i, m in enumerate(mpls) if m.bottom), len(mpls) - 1)
    expected = extensions._replace(mpls=tuple(mpls[: bottom + 1]))
    assert decode(encode(extensions)) == expected


# ------------------------------------------------------------ the fast-path cut
def time_exceeded4(extension: bytes, length_words: int = 32, quote_size: int = 128) -> bytes:
    probe = bytes(
        IP(src=CLIENT4, dst=TARGET4, ttl=1) / UDP(sport=40000, dport=33434) / (b"\0" * 36)
    )
    quote = probe[:quote_size].ljust(quote_size, b"\0")
    icmp = ICMP(type=11, code=0, length=length_words) / Raw(quote + extension)
    return bytes(IP(src=ROUTER4, dst=CLIENT4) / icmp)


def test_a_compliant_ipv4_time_exceeded_carries_its_structure():
    data = structure(mpls_object((24001, 0, 1, 1)))
    obs = parse_ipv4_icmp(time_exceeded4(data))
    assert obs is not None and obs.kind is ReplyKind.TIME_EXCEEDED
    assert obs.extensions == data and obs.dst == TARGET4


def test_an_rfc4950_router_without_the_length_field_still_counts():
    data = structure(mpls_object((24001, 0, 1, 1)))
    assert parse_ipv4_icmp(time_exceeded4(data, length_words=0)).extensions == data


def test_ipv6_time_exceeded_with_extensions():
    probe = bytes(IPv6(src=CLIENT6, dst=TARGET6, hlim=1) / UDP(sport=40000, dport=33434))
    data = structure(mpls_object((7, 0, 1, 1)), interface_object(0x0F, 2, ROUTER6, "u0", 1500))
    message = bytes(
        IPv6(src=ROUTER6, dst=CLIENT6)
        / ICMPv6TimeExceeded(length=16)
        / Raw(probe.ljust(128, b"\0") + data)
    )[40:]
    obs = parse_icmpv6(message, ROUTER6)
    assert obs is not None and obs.extensions == data
    assert decode(obs.extensions).incoming.address == ROUTER6


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: b"\x10" + d[1:],  # version 1
        lambda d: d[:2] + b"\x00\x00" + d[4:],  # checksum zeroed
        lambda d: d[:4] + struct.pack("!H", 200) + d[6:],  # an object longer than the rest
        lambda d: d[:4] + struct.pack("!H", 2) + d[6:],  # an object shorter than its header
        lambda d: d[:-3],  # cut short
    ],
)
def test_a_structure_that_is_not_whole_is_not_handed_on(mangle):
    data = structure(mpls_object((24001, 0, 1, 1)), interface_object(0x08, 9))
    assert icmp_extensions(bytes(128) + mangle(data), 32, 4) == b""
    obs = parse_ipv4_icmp(time_exceeded4(mangle(data)))
    assert obs is not None and obs.extensions == b""  # the reply itself still counts


def test_a_long_quoted_payload_is_not_read_as_extensions():
    # Linux quotes up to 548 bytes: a payload of 0x20 bytes starts like a structure
    # and, at this length, even sums like one; its "objects" do not tile it
    payload = b"\x20" * 510
    assert internet_checksum(payload) == 0
    assert icmp_extensions(bytes(128) + payload, 0, 4) == b""


# ------------------------------------------------------------ model and reports
def mpls_view(count: int = 4):
    hop2 = IcmpExtensions(
        (MplsLabel(24002, 5, False, 1), MplsLabel(18, 5, True, 1)),
        (InterfaceInfo("incoming", 2, "198.18.2.2", "lab-r2-u0", 1500),),
    )
    hops = (
        SimHop((SimRouter("198.18.1.2", "2001:db8:1::2"),), SimLink(1.0)),
        SimHop((SimRouter("198.18.2.2", "2001:db8:2::2", extensions=encode(hop2)),), SimLink(1.0)),
        SimHop((SimRouter("198.18.3.2", "2001:db8:3::2"),), SimLink(0.5)),
    )
    return run_path(hops, count)


def test_json_lists_each_responders_labels_and_interface():
    view, _ = mpls_view()
    hubs = json.loads(render(view, "json", ReportOptions(show_names=False)))["report"]["hubs"]
    hop2 = hubs[1]["responders"][0]
    assert hop2["mpls"] == [
        {"label": 24002, "tc": 5, "s": 0, "ttl": 1},
        {"label": 18, "tc": 5, "s": 1, "ttl": 1},
    ]
    assert hop2["interface"] == {
        "role": "incoming",
        "index": 2,
        "address": "198.18.2.2",
        "name": "lab-r2-u0",
        "mtu": 1500,
    }
    assert hubs[0]["responders"][0]["mpls"] == [] and hubs[0]["responders"][0]["interface"] is None


def test_csv_columns_after_mtrs_and_tracetuis():
    view, _ = mpls_view()
    rows = list(csv.DictReader(io.StringIO(render(view, "csv", ReportOptions(show_names=False)))))
    assert rows[1]["mpls"] == "24002:5:0:1 18:5:1:1"
    assert (rows[1]["if_index"], rows[1]["if_address"]) == ("2", "198.18.2.2")
    assert (rows[1]["if_name"], rows[1]["if_mtu"]) == ("lab-r2-u0", "1500")
    assert rows[0]["mpls"] == "" and rows[0]["if_name"] == ""


def test_text_report_lists_the_stack_under_its_hop_only_with_e():
    view, _ = mpls_view()
    plain = render(view, "text", ReportOptions(show_names=False)).splitlines()
    assert not any("MPLS" in line for line in plain)
    lines = render(view, "text", ReportOptions(show_names=False, mpls=True)).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  2.|-- "))
    assert lines[at + 1 : at + 3] == [
        "       [MPLS: Lbl 24002 TC 5 S 0 TTL 1]",
        "       [MPLS: Lbl 18 TC 5 S 1 TTL 1]",
    ]
    assert lines[at + 3].startswith("  3.|-- ")


def test_raw_stream_writes_mtrs_m_lines_after_each_answer():
    _, events = mpls_view(count=2)
    text = raw_lines(events, mpls=True)
    answers = [i for i, line in enumerate(text) if line == "h 1 198.18.2.2"]
    assert len(answers) == 2
    for at in answers:
        assert text[at + 1 : at + 3] == ["m 1 24002 5 0 1", "m 1 18 5 1 1"]
    assert sum(line.startswith("m ") for line in text) == 4
    assert not any(line.startswith("m ") for line in raw_lines(events, mpls=False))
