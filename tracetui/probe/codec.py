"""Per-method probe identity: what a probe carries and how a reply proves it answers it.

A codec turns an engine key (a small integer unique among probes in flight)
into probe bytes, and turns an :class:`Observation` back into that key only
when every field the reply quotes matches what we sent: protocol, destination,
our ICMP identifier or ports, and a key inside our key space. Anything else is
somebody else's packet and yields ``None``.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, Protocol

from tracetui.probe.packets import (
    PROTO_ICMP,
    PROTO_ICMPV6,
    PROTO_TCP,
    PROTO_UDP,
    IcmpEchoTemplate,
    TcpSynTemplate,
    UdpTemplate,
    payload_bytes,
)
from tracetui.probe.types import Observation, ProbeMethod, ReplyKind

_ICMP_ID_SEQ = struct.Struct("!xxxxHH")
ECHO_SEQ_BASE = 0xF000
"""Probe sequence numbers stay below this; triage pings use the rest."""
ECHO_PAYLOAD = 36
_UDP_HEADER = struct.Struct("!HHHH")
_TCP_QUOTE = struct.Struct("!HHI")
_TCP_REPLY = struct.Struct("!HHII")
_ICMP_ERRORS = frozenset(
    {
        ReplyKind.TIME_EXCEEDED,
        ReplyKind.PORT_UNREACHABLE,
        ReplyKind.UNREACHABLE,
        ReplyKind.PACKET_TOO_BIG,
    }
)


class LocalIdentity(NamedTuple):
    """What a transport knows about our side of the flow, needed to build and match probes."""

    source: str
    icmp_ident: int
    udp_port: int
    tcp_port: int
    isn_base: int


class ProbeCodec(Protocol):
    method: ProbeMethod
    key_space: int

    def build(self, key: int) -> bytes: ...

    def key_of(self, obs: Observation) -> int | None: ...


class IcmpCodec:
    method = ProbeMethod.ICMP
    key_space = ECHO_SEQ_BASE

    def __init__(
        self, family: int, target: str, ident: int, payload: int, pattern: int = 0
    ) -> None:
        self._target = target
        self._proto = PROTO_ICMP if family == 4 else PROTO_ICMPV6
        self._ident = ident & 0xFFFF
        self._template = IcmpEchoTemplate(family, self._ident, payload, pattern)
        self.build = self._template.build

    def key_of(self, obs: Observation) -> int | None:
        """An error must quote our request to the target; an echo reply answers by our
        identifier and sequence alone, from whichever address the target answers (a
        multihomed host, an anycast address): the model tells the target from a router."""
        if obs.proto != self._proto:
            return None
        echo = obs.kind is ReplyKind.ECHO_REPLY
        if not echo and obs.dst != self._target:
            return None
        header = obs.header
        ident, seq = _ICMP_ID_SEQ.unpack_from(header)
        if ident != self._ident or seq >= self.key_space:
            return None
        if echo:
            return seq
        sent = self.build(seq)
        # an error must quote our echo request as sent; the kernel fills ICMPv6 checksums
        if header[:2] != sent[:2] or (self._proto == PROTO_ICMP and header[2:4] != sent[2:4]):
            return None
        return seq


class EchoCodec:
    """Plain pings to any address (a hop's router), for rate-limit triage.

    They share our ICMP identifier but use their own sequence range above the
    probes' (``ECHO_SEQ_BASE`` and up), so neither is ever taken for the other.
    Which address a key was sent to is the engine's to check.
    """

    key_space = 0x10000 - ECHO_SEQ_BASE

    def __init__(self, family: int, ident: int) -> None:
        self._proto = PROTO_ICMP if family == 4 else PROTO_ICMPV6
        self._ident = ident & 0xFFFF
        self._template = IcmpEchoTemplate(family, self._ident, ECHO_PAYLOAD)

    def build(self, key: int) -> bytes:
        return self._template.build(ECHO_SEQ_BASE + key)

    def key_of(self, obs: Observation) -> int | None:
        """The key of an echo reply, or of our own request as the kernel stamped it."""
        if obs.proto != self._proto or len(obs.header) < 8:
            return None
        ident, seq = _ICMP_ID_SEQ.unpack_from(obs.header)
        if ident != self._ident or seq < ECHO_SEQ_BASE:
            return None
        if obs.kind is ReplyKind.ECHO_REPLY or obs.header[0] in (8, 128):
            return seq - ECHO_SEQ_BASE
        return None


class UdpCodec:
    method = ProbeMethod.UDP

    def __init__(
        self,
        family: int,
        target: str,
        identity: LocalIdentity,
        port: int,
        payload: int,
        vary: bool,
        pattern: int = 0,
    ) -> None:
        self._target = target
        self.port = port
        """The destination port (the first of them when ports vary)."""
        self._template = UdpTemplate(
            family,
            identity.source,
            target,
            identity.udp_port,
            port,
            payload,
            vary=vary,
            pattern=pattern,
        )
        self.key_space = self._template.key_space
        self.build = self._template.build

    def key_of(self, obs: Observation) -> int | None:
        if obs.proto != PROTO_UDP or obs.dst != self._target or obs.kind not in _ICMP_ERRORS:
            return None
        sport, dport, _length, checksum = _UDP_HEADER.unpack_from(obs.header)
        template = self._template
        if sport != template.sport:
            return None
        if template.vary:
            key = dport - template.dport
        else:
            key = checksum - 1 if dport == template.dport else -1
        if not 0 <= key < self.key_space or obs.header[:8] != self.build(key)[:8]:
            return None
        return key


class TcpCodec:
    method = ProbeMethod.TCP
    key_space = 65536

    def __init__(
        self,
        family: int,
        target: str,
        identity: LocalIdentity,
        port: int,
        vary: bool,
        payload: int = 0,
        pattern: int = 0,
    ) -> None:
        self._target = target
        self.sport = identity.tcp_port
        """Our source port (the first of them when ports vary)."""
        self._template = TcpSynTemplate(
            family,
            identity.source,
            target,
            identity.tcp_port,
            port,
            identity.isn_base,
            vary=vary,
            payload=payload_bytes(payload, pattern),
        )
        self.build = self._template.build

    def _sport_ok(self, sport: int, key: int) -> bool:
        return sport == self._template.sport_for(key)

    def key_of(self, obs: Observation) -> int | None:
        """An error must quote our SYN to the target; a SYN-ACK or reset proves itself by its
        ports and acknowledgement number, whichever address it comes from."""
        if obs.proto != PROTO_TCP:
            return None
        template = self._template
        direct = obs.kind is ReplyKind.TCP_SYN_ACK or obs.kind is ReplyKind.TCP_RESET
        if not direct and obs.dst != self._target:
            return None
        if direct:
            their_port, our_port, _seq, ack = _TCP_REPLY.unpack_from(obs.header)
            if their_port != template.dport:
                return None
            # a SYN-ACK acknowledges the SYN (ack = seq + 1); a RST acknowledges the whole
            # segment, payload included (ack = seq + 1 + payload)
            acked = 1 + (template.payload_len if obs.kind is ReplyKind.TCP_RESET else 0)
            key = (ack - acked - template.isn_base) & 0xFFFFFFFF
            sport = our_port
        else:
            sport, dport, seq = _TCP_QUOTE.unpack_from(obs.header)
            if dport != template.dport:
                return None
            key = (seq - template.isn_base) & 0xFFFFFFFF
        if key >= self.key_space or not self._sport_ok(sport, key):
            return None
        if obs.kind in _ICMP_ERRORS and obs.header[:8] != self.build(key)[:8]:
            return None
        return key


class SplitFlowCodec:
    """UDP probes in two flows, told apart by key range.

    Keys below ``split`` build the fixed flow (Paris traceroute: one port pair, so
    load balancers keep the path); keys from ``split`` on build classic probes
    whose destination port varies (33435 and up). The engine uses the second
    flow only past the last hop that forwards, when the end of the path stays
    silent: a target whose port 33434 happens to be open answers the others
    with port-unreachable, and no load balancer between can be moved by it.
    """

    method = ProbeMethod.UDP

    def __init__(self, fixed: UdpCodec, tail: UdpCodec) -> None:
        self.fixed = fixed
        self.tail = tail
        self.split = fixed.key_space
        self.key_space = fixed.key_space + tail.key_space

    def build(self, key: int) -> bytes:
        if key < self.split:
            return self.fixed.build(key)
        return self.tail.build(key - self.split)

    def key_of(self, obs: Observation) -> int | None:
        key = self.fixed.key_of(obs)
        if key is not None:
            return key
        key = self.tail.key_of(obs)
        return None if key is None else key + self.split


FLOW_SLOTS = 256
"""Keys per flow in a FlowsCodec: probes of one flow in flight at once, at most."""
FLOW_PORT_OFFSET = 4096
"""UDP flows start this far above the probe port, clear of the varying tail's ports."""
MAX_FLOWS = 255


class FlowsCodec:
    """Probes in many flows, for multipath discovery (probe/mda.py).

    Flow ``f`` (1 and up) is one port pair: UDP's destination port is
    ``port + FLOW_PORT_OFFSET + f``, TCP's source port is ours plus ``f``. The key
    says the flow (``key // FLOW_SLOTS``); within a flow it rides where the fixed
    flow carries it (UDP's checksum, TCP's sequence number), so a load balancer
    hashing the ports keeps every probe of a flow on one branch.
    """

    def __init__(self, method: ProbeMethod, flows: dict[int, UdpCodec | TcpCodec]) -> None:
        self.method = method
        self.flows = len(flows)
        self.key_space = (self.flows + 1) * FLOW_SLOTS
        self._codecs = flows
        self._by_port = {
            (codec.port if isinstance(codec, UdpCodec) else codec.sport): flow
            for flow, codec in flows.items()
        }

    def flow_of(self, key: int) -> int:
        return key // FLOW_SLOTS

    def keys_of(self, flow: int) -> tuple[int, int]:
        """The key range of one flow, for the ledger to allocate from."""
        return flow * FLOW_SLOTS, (flow + 1) * FLOW_SLOTS

    def build(self, key: int) -> bytes:
        codec = self._codecs[key // FLOW_SLOTS]
        return codec.build(key % FLOW_SLOTS if isinstance(codec, UdpCodec) else key)

    def key_of(self, obs: Observation) -> int | None:
        if len(obs.header) < 4:
            return None
        if self.method is ProbeMethod.UDP:
            port = int.from_bytes(obs.header[2:4], "big")
        elif obs.kind is ReplyKind.TCP_SYN_ACK or obs.kind is ReplyKind.TCP_RESET:
            port = int.from_bytes(obs.header[2:4], "big")  # the reply's destination: ours
        else:
            port = int.from_bytes(obs.header[0:2], "big")
        flow = self._by_port.get(port)
        if flow is None:
            return None
        codec = self._codecs[flow]
        key = codec.key_of(obs)
        if key is None:
            return None
        if isinstance(codec, UdpCodec):
            return key + flow * FLOW_SLOTS if key < FLOW_SLOTS else None
        return key if key // FLOW_SLOTS == flow else None
