"""ICMP errors as Linux reports them on a socket's error queue (IP_RECVERR).

Without raw sockets the kernel reads the ICMP error for us and hands it to the
socket whose probe it quotes, as a ``sock_extended_err`` in ancillary data
followed by the address of the router that sent it (SO_EE_OFFENDER). Every
byte of it came from the network, so nothing here trusts a length or a field.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

from tracetui.probe.packets import unreachable_kind
from tracetui.probe.types import Family, ReplyKind

IP_RECVERR = 11
IPV6_RECVERR = 25
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
_EXTENDED_ERR = struct.Struct("IBBBBII")
_SOCKADDR_IN = struct.Struct("HH4s")
_SOCKADDR_IN6 = struct.Struct("HHI16s")


class QueuedError(NamedTuple):
    kind: ReplyKind
    code: int
    responder: str
    mtu: int
    """The next-hop MTU of a PACKET_TOO_BIG; 0 otherwise."""


def queued_error(family: Family, ancillary: list[tuple[int, int, bytes]]) -> QueuedError | None:
    """The ICMP error in one MSG_ERRQUEUE message's ancillary data, or None.

    None for anything that is not an ICMP error of this family with a
    well-formed offender address: transmit timestamps, local errors, junk.
    """
    level_wanted = socket.IPPROTO_IP if family is Family.V4 else socket.IPPROTO_IPV6
    type_wanted = IP_RECVERR if family is Family.V4 else IPV6_RECVERR
    origin_wanted = SO_EE_ORIGIN_ICMP if family is Family.V4 else SO_EE_ORIGIN_ICMP6
    for level, kind, data in ancillary:
        if level != level_wanted or kind != type_wanted or len(data) < _EXTENDED_ERR.size:
            continue
        _errno, origin, icmp_type, code, _pad, info, _data = _EXTENDED_ERR.unpack_from(data)
        if origin != origin_wanted:
            continue
        reply = unreachable_kind(family, icmp_type, code)
        responder = _offender(family, data[_EXTENDED_ERR.size :])
        if reply is None or responder is None:
            return None
        mtu = info if reply is ReplyKind.PACKET_TOO_BIG else 0
        return QueuedError(reply, code, responder, mtu)
    return None


def _offender(family: Family, data: bytes) -> str | None:
    """The router's address from the sockaddr after the extended error."""
    if family is Family.V4:
        if len(data) < _SOCKADDR_IN.size:
            return None
        af, _port, address = _SOCKADDR_IN.unpack_from(data)
        return socket.inet_ntop(socket.AF_INET, address) if af == socket.AF_INET else None
    if len(data) < _SOCKADDR_IN6.size:
        return None
    af, _port, _flow, address = _SOCKADDR_IN6.unpack_from(data)
    return socket.inet_ntop(socket.AF_INET6, address) if af == socket.AF_INET6 else None
