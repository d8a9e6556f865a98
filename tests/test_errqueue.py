"""The error-queue parser (unprivileged probes): real shapes, and no input that breaks it."""

from __future__ import annotations

import socket
import struct

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tracetui.probe.errqueue import (
    IP_RECVERR,
    IPV6_RECVERR,
    SO_EE_ORIGIN_ICMP,
    SO_EE_ORIGIN_ICMP6,
    queued_error,
)
from tracetui.probe.types import Family, ReplyKind

ANY_BYTES = st.binary(max_size=80)


def _v4(origin: int, icmp_type: int, code: int, info: int, address: str) -> list:
    err = struct.pack("IBBBBII", 113, origin, icmp_type, code, 0, info, 0)
    offender = struct.pack("HH4s8x", socket.AF_INET, 0, socket.inet_pton(socket.AF_INET, address))
    return [(socket.IPPROTO_IP, IP_RECVERR, err + offender)]


def _v6(origin: int, icmp_type: int, code: int, info: int, address: str) -> list:
    err = struct.pack("IBBBBII", 113, origin, icmp_type, code, 0, info, 0)
    raw = socket.inet_pton(socket.AF_INET6, address)
    offender = struct.pack("HHI16sI", socket.AF_INET6, 0, 0, raw, 0)
    return [(socket.IPPROTO_IPV6, IPV6_RECVERR, err + offender)]


def test_what_the_kernel_reports_for_each_answer():
    cases = [
        (Family.V4, _v4(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.18.2.2"), ReplyKind.TIME_EXCEEDED),
        (Family.V4, _v4(SO_EE_ORIGIN_ICMP, 3, 3, 0, "198.18.8.2"), ReplyKind.PORT_UNREACHABLE),
        (Family.V4, _v4(SO_EE_ORIGIN_ICMP, 3, 1, 0, "198.18.5.2"), ReplyKind.UNREACHABLE),
        (Family.V4, _v4(SO_EE_ORIGIN_ICMP, 3, 4, 1280, "198.18.3.2"), ReplyKind.PACKET_TOO_BIG),
        (Family.V6, _v6(SO_EE_ORIGIN_ICMP6, 3, 0, 0, "2001:db8:2::2"), ReplyKind.TIME_EXCEEDED),
        (Family.V6, _v6(SO_EE_ORIGIN_ICMP6, 1, 4, 0, "2001:db8:8::2"), ReplyKind.PORT_UNREACHABLE),
        (Family.V6, _v6(SO_EE_ORIGIN_ICMP6, 2, 0, 1280, "2001:db8:3::2"), ReplyKind.PACKET_TOO_BIG),
    ]
    for family, ancillary, kind in cases:
        error = queued_error(family, ancillary)
        assert error is not None and error.kind is kind, (family, kind, error)
        assert error.mtu == (1280 if kind is ReplyKind.PACKET_TOO_BIG else 0)
    assert queued_error(Family.V4, _v4(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.18.2.2")).responder == (
        "198.18.2.2"
    )


def test_what_is_not_an_icmp_error_is_ignored():
    local = 1  # SO_EE_ORIGIN_LOCAL: e.g. EMSGSIZE on send
    stamping = 4  # SO_EE_ORIGIN_TIMESTAMPING
    for origin in (local, stamping):
        assert queued_error(Family.V4, _v4(origin, 11, 0, 0, "198.18.2.2")) is None
    # an IPv6 report read as IPv4 (and the other way) is not ours
    assert queued_error(Family.V4, _v6(SO_EE_ORIGIN_ICMP6, 3, 0, 0, "2001:db8::1")) is None
    assert queued_error(Family.V6, _v4(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.18.2.2")) is None
    # an ICMP type that answers no probe (an echo request quoted back, say)
    assert queued_error(Family.V4, _v4(SO_EE_ORIGIN_ICMP, 8, 0, 0, "198.18.2.2")) is None
    # an offender whose address family is wrong, or cut short
    bad = _v4(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.18.2.2")
    level, kind, data = bad[0]
    assert queued_error(Family.V4, [(level, kind, data[:16] + b"\x0a\x00" + data[18:])]) is None
    assert queued_error(Family.V4, [(level, kind, data[:20])]) is None


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    family=st.sampled_from([Family.V4, Family.V6]),
    level=st.sampled_from([socket.IPPROTO_IP, socket.IPPROTO_IPV6, socket.SOL_SOCKET, 0]),
    kind=st.sampled_from([IP_RECVERR, IPV6_RECVERR, 0, 35]),
    data=ANY_BYTES,
)
@example(family=Family.V4, level=socket.IPPROTO_IP, kind=IP_RECVERR, data=b"\x00" * 16)
def test_no_ancillary_data_breaks_the_parser(family, level, kind, data):
    error = queued_error(family, [(level, kind, data)])
    if error is not None:
        assert isinstance(error.kind, ReplyKind) and error.responder
        af = socket.AF_INET if family is Family.V4 else socket.AF_INET6
        socket.inet_pton(af, error.responder)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    icmp_type=st.integers(0, 255),
    code=st.integers(0, 255),
    info=st.integers(0, 2**32 - 1),
    cut=st.integers(0, 40),
)
def test_mutated_real_reports_parse_or_are_refused(icmp_type, code, info, cut):
    good = _v4(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.18.2.2")
    assert queued_error(Family.V4, good) is not None  # the unmutated report is accepted
    level, kind, data = _v4(SO_EE_ORIGIN_ICMP, icmp_type, code, info, "198.18.2.2")[0]
    error = queued_error(Family.V4, [(level, kind, data[: len(data) - cut])])
    if error is not None:
        assert error.responder == "198.18.2.2"
        assert error.mtu == (info if error.kind is ReplyKind.PACKET_TOO_BIG else 0)
