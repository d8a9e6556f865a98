"""The packet inspector: a reply as scapy dissects it, and its bytes.

The engine never dissects packets with scapy (hundreds of microseconds each);
it keeps the latest reply of every responder as read, and this module shows
one when the user asks: every layer and field, the probe quoted inside an ICMP
error, the ICMP extensions, then a hex dump. Everything in it came from the
network: every line goes through ``textsafe.printable`` and is shown as
text, never as markup.

IPv6 raw sockets do not deliver the IPv6 header, so for IPv6 the header is
rebuilt from the two addresses (and said to be).
"""

from __future__ import annotations

from typing import NamedTuple

from tracetui.textsafe import printable

LINE_LIMIT = 400


class Inspection(NamedTuple):
    title: str
    lines: tuple[str, ...]


def inspect(
    packet: bytes, *, family: int, responder: str, local: str, tcp: bool = False
) -> Inspection:
    """The dissection and hex dump of ``packet`` (see ``Observation.packet``)."""
    if not packet:
        return Inspection(
            f"{responder}: no packet kept",
            (
                "Unprivileged sockets report a router's answer through the kernel's error "
                "queue or a ping socket, without the packet itself; run with privileges "
                "(sudo) to inspect replies.",
            ),
        )
    lines: list[str] = []
    try:
        text = _dissect(packet, family, responder, local, tcp)
        if family == 6:
            lines.append(
                "(The kernel keeps the IPv6 header from raw sockets: the one below is rebuilt "
                "from the addresses; its hop limit is unknown and shown as 0.)"
            )
        lines += text.splitlines()
    except Exception as exc:  # noqa: BLE001 - hostile bytes: say so, show the bytes
        lines.append(f"scapy could not dissect this packet: {type(exc).__name__}: {exc}")
    lines.append("")
    lines.append(f"{len(packet)} bytes as read:")
    lines += _hexdump(packet)
    return Inspection(
        f"Latest reply from {responder} ({len(packet)} bytes)",
        tuple(printable(line, LINE_LIMIT) for line in lines),
    )


def _dissect(packet: bytes, family: int, responder: str, local: str, tcp: bool) -> str:
    import scapy.contrib.mpls  # noqa: F401 - registers the MPLS extension object
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6

    if family == 4:
        return IP(packet).show(dump=True) or ""
    header = IPv6(src=responder, dst=local, nh=6 if tcp else 58, plen=len(packet), hlim=0)
    return IPv6(bytes(header) + packet).show(dump=True) or ""


def _hexdump(packet: bytes) -> list[str]:
    """16 bytes a line: offset, hex, and the printable ASCII (a dot for anything else)."""
    lines = []
    for offset in range(0, len(packet), 16):
        chunk = packet[offset : offset + 16]
        hexes = " ".join(f"{byte:02x}" for byte in chunk)
        text = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in chunk)
        lines.append(f"{offset:04x}  {hexes:<47}  {text}")
    return lines
