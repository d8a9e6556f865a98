"""Every probe method in one list: its name, headers, port, codec, and the key that picks it.

The command line, the engine, the size checks and the live screen's keys all
read this table, so a new method is added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tracetui.probe.codec import (
    FLOW_PORT_OFFSET,
    MAX_FLOWS,
    FlowsCodec,
    IcmpCodec,
    LocalIdentity,
    ProbeCodec,
    SplitFlowCodec,
    TcpCodec,
    UdpCodec,
)
from tracetui.probe.packets import TCP_HEADER_LEN
from tracetui.probe.types import Family, ProbeMethod

IPV4_HEADER_LEN = 20
IPV6_HEADER_LEN = 40


class FlowSpec(NamedTuple):
    """What a codec needs to know about the flow its probes belong to."""

    family: Family
    target: str
    identity: LocalIdentity
    packet_size: int
    port: int | None
    vary_ports: bool
    pattern: int = 0


class MethodSpec(NamedTuple):
    method: ProbeMethod
    label: str
    """As the screen and reports name it."""
    description: str
    key: str
    """The live screen's key for it (mtr's where mtr has one)."""
    transport_header: int
    min_payload: int
    """UDP in fixed-flow mode steers its checksum with two payload bytes."""
    default_port: int | None
    codec: Callable[[FlowSpec, int], ProbeCodec]
    """Builds the codec from the flow and the payload length."""
    flows: Callable[[FlowSpec, int], FlowsCodec | None] | None = None
    """Builds the codec of many flows for multipath discovery (None: the method has no
    ports a load balancer hashes, as ICMP; or none to spare)."""


def _icmp(flow: FlowSpec, payload: int) -> ProbeCodec:
    return IcmpCodec(flow.family, flow.target, flow.identity.icmp_ident, payload, flow.pattern)


def _udp(flow: FlowSpec, payload: int) -> ProbeCodec:
    """With the default port and a fixed flow, a second, varying flow for the silent end."""
    default = METHODS[ProbeMethod.UDP].default_port
    assert default is not None
    port = flow.port or default
    args = (flow.family, flow.target, flow.identity)
    codec = UdpCodec(*args, port, payload, flow.vary_ports, flow.pattern)
    if flow.port is not None or flow.vary_ports:
        return codec
    return SplitFlowCodec(codec, UdpCodec(*args, port + 1, payload, True, flow.pattern))


def _tcp(flow: FlowSpec, payload: int) -> ProbeCodec:
    """SYNs carry the payload too, so -s is the size on the wire whatever the method."""
    port = flow.port or METHODS[ProbeMethod.TCP].default_port
    assert port is not None
    return TcpCodec(
        flow.family, flow.target, flow.identity, port, flow.vary_ports, payload, flow.pattern
    )


def _udp_flows(flow: FlowSpec, payload: int) -> FlowsCodec | None:
    """Destination ports above the varying tail's: the fixed flow's port stays its own."""
    port = (flow.port or 33434) + FLOW_PORT_OFFSET
    count = min(MAX_FLOWS, 65535 - port)
    if count < 64:
        return None
    args = (flow.family, flow.target, flow.identity)
    codecs = {
        f: UdpCodec(*args, port + f, payload, False, flow.pattern) for f in range(1, count + 1)
    }
    return FlowsCodec(ProbeMethod.UDP, dict(codecs))


def _tcp_flows(flow: FlowSpec, payload: int) -> FlowsCodec | None:
    """Source ports above ours, as --vary-ports uses them."""
    port = flow.port or 80
    base = flow.identity.tcp_port
    count = min(MAX_FLOWS, 65535 - base)
    if count < 64:
        return None
    codecs = {
        f: TcpCodec(
            flow.family,
            flow.target,
            flow.identity._replace(tcp_port=base + f),
            port,
            False,
            payload,
            flow.pattern,
        )
        for f in range(1, count + 1)
    }
    return FlowsCodec(ProbeMethod.TCP, dict(codecs))


METHODS: dict[ProbeMethod, MethodSpec] = {
    spec.method: spec
    for spec in (
        MethodSpec(ProbeMethod.ICMP, "ICMP", "ICMP echo requests", "I", 8, 0, None, _icmp),
        MethodSpec(ProbeMethod.UDP, "UDP", "UDP datagrams", "u", 8, 2, 33434, _udp, _udp_flows),
        MethodSpec(
            ProbeMethod.TCP, "TCP", "TCP SYN segments", "t", TCP_HEADER_LEN, 0, 80, _tcp, _tcp_flows
        ),
    )
}


def header_len(family: Family, method: ProbeMethod) -> int:
    """Bytes of IP plus transport header a probe of this method carries."""
    ip = IPV4_HEADER_LEN if family is Family.V4 else IPV6_HEADER_LEN
    return ip + METHODS[method].transport_header


def min_packet_size(family: Family, method: ProbeMethod) -> int:
    return header_len(family, method) + METHODS[method].min_payload


def make_codec(method: ProbeMethod, flow: FlowSpec) -> ProbeCodec:
    spec = METHODS[method]
    payload = max(spec.min_payload, flow.packet_size - header_len(flow.family, method))
    return spec.codec(flow, payload)


def make_flows_codec(method: ProbeMethod, flow: FlowSpec) -> FlowsCodec | None:
    """The codec of many flows for multipath discovery, or None if the method has none."""
    spec = METHODS[method]
    if spec.flows is None:
        return None
    payload = max(spec.min_payload, flow.packet_size - header_len(flow.family, method))
    return spec.flows(flow, payload)
