"""A lab router that answers like an MPLS core router: time-exceeded with RFC 4884 extensions.

Linux routers do not attach ICMP extensions, so a router of the lab with
``Router(extensions=True)`` is silenced (nftables drops the kernel's own
time-exceeded) and this process answers in its place: it watches the router's
upstream device (AF_PACKET, network-layer packets), and for every packet that
arrives with one hop left and is not for the router itself it sends the
time-exceeded message an MPLS router would: the probe quoted and padded to 128
bytes, the RFC 4884 length set, then an extension structure with an RFC 4950
MPLS label stack (built with scapy's ``ICMPExtension_MPLS``) and an RFC 5837
incoming-interface object (index, address, name, MTU; built here byte by byte,
because scapy's builder does not follow RFC 5837's name sub-object). The
structure is built independently of tracetui's own encoder, so the lab checks
tracetui's decoding against a second implementation.

Run: python extension_router.py '<json settings>'; prints "ready".
"""

from __future__ import annotations

import json
import socket
import struct
import sys

from scapy.contrib.mpls import MPLS, ICMPExtension_MPLS
from scapy.layers.inet import ICMP, IP, ICMPExtension_Header
from scapy.layers.inet6 import ICMPv6TimeExceeded, IPv6
from scapy.packet import Raw

ETH_P_ALL = 0x0003
PACKET_HOST = 0


def interface_object(index: int, address: str, name: str, mtu: int) -> bytes:
    """RFC 5837: c-type = role 0 (incoming) | ifIndex | IP address | name | MTU."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    afi = 2 if family == socket.AF_INET6 else 1
    raw_name = name.encode()
    size = (1 + len(raw_name) + 3) // 4 * 4
    body = (
        struct.pack("!I", index)
        + struct.pack("!HH", afi, 0)
        + socket.inet_pton(family, address)
        + bytes([size])
        + raw_name
        + bytes(size - 1 - len(raw_name))
        + struct.pack("!I", mtu)
    )
    return struct.pack("!HBB", 4 + len(body), 2, 0x0F) + body


def extensions(settings: dict, family: int) -> bytes:
    stack = [
        MPLS(label=label, cos=settings["tc"], s=int(i == len(settings["labels"]) - 1), ttl=1)
        for i, label in enumerate(settings["labels"])
    ]
    address = settings["address6"] if family == 6 else settings["address4"]
    interface = interface_object(settings["ifindex"], address, settings["ifname"], settings["mtu"])
    # the MPLS object last: scapy's object length counts everything after it
    structure = ICMPExtension_Header() / Raw(interface) / ICMPExtension_MPLS(stack=stack)
    return bytes(structure)


def main() -> None:
    settings = json.loads(sys.argv[1])
    ours = {settings["address4"], settings["address6"], *settings.get("others", [])}
    watcher = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    watcher.bind((settings["dev"], 0))
    send4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    send6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for sender in (send4, send6):
        # the router's kernel is silenced; its rules let this mark through
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, settings["mark"])
    ext4, ext6 = extensions(settings, 4), extensions(settings, 6)
    print("ready", flush=True)
    while True:
        packet, where = watcher.recvfrom(65535)
        if where[2] != PACKET_HOST or not packet:
            continue
        version = packet[0] >> 4
        if version == 4 and len(packet) >= 20 and packet[8] == 1:
            source = socket.inet_ntop(socket.AF_INET, packet[12:16])
            destination = socket.inet_ntop(socket.AF_INET, packet[16:20])
            if destination in ours:
                continue
            quote = packet[:128].ljust(128, b"\0")
            reply = IP(src=settings["address4"], dst=source, ttl=64) / ICMP(
                type=11, code=0, length=32
            )
            send4.sendto(bytes(reply / Raw(quote + ext4)), (source, 0))
        elif version == 6 and len(packet) >= 40 and packet[7] == 1:
            source = socket.inet_ntop(socket.AF_INET6, packet[8:24])
            destination = socket.inet_ntop(socket.AF_INET6, packet[24:40])
            if destination in ours or destination.startswith("ff"):
                continue
            quote = packet[:128].ljust(128, b"\0")
            reply = IPv6(src=settings["address6"], dst=source, hlim=64) / ICMPv6TimeExceeded(
                code=0, length=16
            )
            send6.sendto(bytes(reply / Raw(quote + ext6)), (source, 0))


if __name__ == "__main__":
    main()
