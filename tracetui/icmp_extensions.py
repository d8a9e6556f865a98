"""What routers attach to their ICMP errors (RFC 4884): MPLS label stacks and interfaces.

The probe loop only cuts the extension structure out of a reply (see
``tracetui.probe.packets.icmp_extensions``); this module walks its objects and
decodes RFC 4950 label stacks with scapy's ``ICMPExtension_MPLS`` and RFC 5837
interface objects itself (see ``decode`` for why not with scapy's layer).
scapy takes ~0.4 s to import, so it is imported on the first structure to
decode, never by a path without extensions; the live screen asks
``decode_if_ready``, which answers "nothing yet" until the screen has loaded
scapy in the background after its first frame (``load_in_background``).
A router repeats the same bytes reply after reply, so decodings are remembered.

The bytes come from the network: a decoding failure yields what was decoded
so far, label stacks and names are bounded, and names are shown through
``tracetui.textsafe`` like any other text from outside.
"""

from __future__ import annotations

import struct
import threading
from functools import lru_cache
from typing import Any, NamedTuple

MAX_LABELS = 16
"""Entries of a label stack kept; real stacks hold 1-4."""
MAX_INTERFACES = 4
MAX_NAME = 63
"""RFC 5837 limits an interface name to 63 octets."""
ROLES = ("incoming", "sub-ip", "outgoing", "next-hop")
"""RFC 5837 interface roles, by the object's two high c-type bits."""
MPLS_CLASS = 1
INTERFACE_CLASS = 2


class MplsLabel(NamedTuple):
    """One entry of an RFC 4950 label stack, as the router saw it on the probe."""

    label: int
    tc: int
    """Traffic class (was EXP)."""
    bottom: bool
    """The S bit: last entry of the stack."""
    ttl: int


class InterfaceInfo(NamedTuple):
    """An RFC 5837 interface object: whichever of index, address, name and MTU it holds."""

    role: str
    index: int | None = None  # type: ignore[assignment]  # mypy: shadows tuple.index
    address: str | None = None
    name: str | None = None
    mtu: int | None = None


class IcmpExtensions(NamedTuple):
    mpls: tuple[MplsLabel, ...] = ()
    interfaces: tuple[InterfaceInfo, ...] = ()

    @property
    def incoming(self) -> InterfaceInfo | None:
        """The interface the probe arrived on (what RFC 5837 routers usually send)."""
        return next((i for i in self.interfaces if i.role == "incoming"), None) or next(
            iter(self.interfaces), None
        )


NONE = IcmpExtensions()

_loaded = threading.Event()
_loader: threading.Thread | None = None
_wanted = False


def decode_if_ready(structure: bytes) -> IcmpExtensions:
    """``decode`` once scapy is loaded; until then nothing (and a note that it is wanted)."""
    global _wanted
    if not structure:
        return NONE
    if _loaded.is_set():
        return decode(structure)
    _wanted = True
    return NONE


def wanted() -> bool:
    """Whether a structure waited for scapy (``decode_if_ready`` before it was loaded)."""
    return _wanted and not _loaded.is_set()


def load() -> None:
    """Import scapy's layers now (tests; a report needs no call: ``decode`` loads them)."""
    _scapy()


def load_in_background() -> None:
    """Import scapy's layers in a daemon thread, once."""
    global _loader
    if _loader is None:
        _loader = threading.Thread(target=_scapy, name="tracetui-scapy", daemon=True)
        _loader.start()


@lru_cache(maxsize=1024)
def decode(structure: bytes) -> IcmpExtensions:
    """The MPLS labels and interfaces in one extension structure (``b""``: none).

    A label stack ends at its bottom-of-stack entry (the S bit, RFC 3032), as
    scapy reads it; entries after it are not labels.

    The structure is walked object by object (each object's own length); scapy
    dissects each MPLS object. Interface objects are read here: scapy 2.8's
    ``ICMPExtension_InterfaceInformation`` takes the name sub-object's length
    octet as the length of the name, where RFC 5837 (4.3) counts the octet itself
    and the padding, so it misreads every name and the MTU after it.
    """
    mpls: list[MplsLabel] = []
    interfaces: list[InterfaceInfo] = []
    position = 4
    while position + 4 <= len(structure):
        length = int.from_bytes(structure[position : position + 2], "big")
        if length < 4:
            break
        chunk = structure[position : position + length]
        position += length
        try:
            if chunk[2] == MPLS_CLASS and len(mpls) < MAX_LABELS:
                mpls += _labels(chunk)[: MAX_LABELS - len(mpls)]
            elif chunk[2] == INTERFACE_CLASS and len(interfaces) < MAX_INTERFACES:
                interfaces.append(interface_object(chunk))
        except (ValueError, IndexError, TypeError, AttributeError, struct.error):
            continue  # hostile or truncated object: the others still count
    return IcmpExtensions(tuple(mpls), tuple(interfaces))


def _labels(chunk: bytes) -> list[MplsLabel]:
    layers = _scapy()
    labels: list[MplsLabel] = []
    for entry in layers.Mpls(chunk).stack:
        # scapy chains a stack's entries as payloads of the first
        while isinstance(entry, layers.Label) and len(labels) < MAX_LABELS:
            labels.append(MplsLabel(entry.label, entry.cos, bool(entry.s), entry.ttl))
            entry = entry.payload
    return labels


def interface_object(chunk: bytes) -> InterfaceInfo:
    """An RFC 5837 interface information object (header included)."""
    import ipaddress  # a millisecond of start-up that only routers with extensions need

    flags = chunk[3]
    position = 4
    index = address = name = mtu = None
    if flags & 0x08:
        (index,) = struct.unpack_from("!I", chunk, position)
        position += 4
    if flags & 0x04:
        afi = int.from_bytes(chunk[position : position + 2], "big")
        size = 4 if afi == 1 else 16 if afi == 2 else 0
        raw = chunk[position + 4 : position + 4 + size]
        if size and len(raw) == size:
            address = str(ipaddress.ip_address(raw))
        position += 4 + size
    if flags & 0x02:
        size = chunk[position]
        if size < 1 or size % 4 or size > MAX_NAME + 1 or position + size > len(chunk):
            raise ValueError("interface name sub-object of a bad length")
        name = chunk[position + 1 : position + size].rstrip(b"\0").decode("utf-8", "replace")
        position += size
    if flags & 0x01:
        (mtu,) = struct.unpack_from("!I", chunk, position)
    return InterfaceInfo(ROLES[flags >> 6], index, address, name, mtu)


class _Layers(NamedTuple):
    Mpls: Any
    Label: Any


@lru_cache(maxsize=1)
def _scapy() -> _Layers:
    from scapy.contrib.mpls import MPLS, ICMPExtension_MPLS

    _loaded.set()
    return _Layers(ICMPExtension_MPLS, MPLS)


def encode(extensions: IcmpExtensions) -> bytes:
    """The extension structure a router would attach (the simulated network and the lab
    send it; ``decode`` reads it back). Objects: one MPLS stack, then each interface."""
    import ipaddress

    objects = []
    if extensions.mpls:
        entries = b"".join(
            struct.pack("!I", (m.label << 12) | (m.tc << 9) | (int(m.bottom) << 8) | m.ttl)
            for m in extensions.mpls
        )
        objects.append(struct.pack("!HBB", 4 + len(entries), MPLS_CLASS, 1) + entries)
    for interface in extensions.interfaces:
        flags = ROLES.index(interface.role) << 6
        body = b""
        if interface.index is not None:
            flags |= 0x08
            body += struct.pack("!I", interface.index)
        if interface.address is not None:
            flags |= 0x04
            address = ipaddress.ip_address(interface.address)
            body += struct.pack("!HH", 1 if address.version == 4 else 2, 0) + address.packed
        if interface.name is not None:
            flags |= 0x02
            name = interface.name.encode()[:MAX_NAME]
            size = (1 + len(name) + 3) // 4 * 4
            body += bytes([size]) + name + bytes(size - 1 - len(name))
        if interface.mtu is not None:
            flags |= 0x01
            body += struct.pack("!I", interface.mtu)
        objects.append(struct.pack("!HBB", 4 + len(body), INTERFACE_CLASS, flags) + body)
    structure = bytes([0x20, 0, 0, 0]) + b"".join(objects)
    from tracetui.probe.packets import with_checksum  # only to build test packets

    return with_checksum(structure, 2)


def mtr_mpls_lines(labels: tuple[MplsLabel, ...], indent: str = "       ") -> list[str]:
    """mtr's ``-e`` lines of a report, one per label stack entry."""
    return [
        f"{indent}[MPLS: Lbl {m.label} TC {m.tc} S {int(m.bottom)} TTL {m.ttl}]" for m in labels
    ]
