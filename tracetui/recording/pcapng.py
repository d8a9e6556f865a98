"""pcapng through scapy's writer and reader, with what a recording needs on top.

scapy writes microsecond timestamps and no section options; a recording needs
nanoseconds (round trips to the microsecond survive only if both ends keep
theirs) and its header in the section comment. So the writer here is scapy's
``RawPcapNgWriter`` with a nanosecond interface (``if_tsresol`` 9) and a
commented section header, and the reader scapy's ``RawPcapNgReader`` that also
hands over the section comment and tracetui's custom blocks. Both import scapy,
so this module is imported only by a run that records or replays, and the
writer only in its own thread (see :mod:`tracetui.recording.recorder`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any, NamedTuple

from tracetui.recording.notes import RecordingError
from tracetui.recording.wire import LINKTYPE_RAW

CUSTOM_BLOCK = 0x40000BAD
"""A pcapng custom block that tools must not copy into other files (RFC draft, 4.8)."""
ENTERPRISE_NUMBER = 32473
"""The private enterprise number RFC 5612 sets aside for examples: we have none of our own."""
INBOUND, OUTBOUND = 1, 2
NANOSECONDS = 9
SHB_MAGIC = b"\x0a\x0d\x0d\x0a"
_NS = Decimal(10) ** 9
_OPTION = struct.Struct("<HH")


def _option(code: int, value: bytes) -> bytes:
    return _OPTION.pack(code, len(value)) + value + b"\0" * (-len(value) % 4)


def make_writer(file: IO[bytes], comment: str, application: str) -> Any:
    """A scapy pcapng writer on an open file, for raw IP packets stamped in nanoseconds."""
    from scapy.utils import EDecimal, RawPcapNgWriter

    class Writer(RawPcapNgWriter):
        def __init__(self) -> None:  # scapy's opens a path; ours writes to ``file``
            self.header_present = False
            self.tsresol = 10**NANOSECONDS
            self.interfaces2id = {None: 0}
            self.endian = "<"
            self.endian_magic = b"\x4d\x3c\x2b\x1a"
            self.filename = getattr(file, "name", "recording")
            self.f = file
            self.linktype = LINKTYPE_RAW

        def _write_block_shb(self) -> None:
            body = self.endian_magic + struct.pack("<HHq", 1, 0, -1)
            options = _option(1, comment.encode()) + _option(4, application.encode())
            self.f.write(self.build_block(SHB_MAGIC, body, options + _option(0, b"")))

        def _write_block_idb(self, linktype: int, ifname: bytes | None = None) -> None:
            body = struct.pack("<HHI", linktype, 0, 262144)
            options = _option(2, ifname or b"tracetui") + _option(9, bytes([NANOSECONDS]))
            self.f.write(self.build_block(struct.pack("<I", 1), body, options + _option(0, b"")))

        def packet(self, data: bytes, stamp_ns: int, note: str, direction: int) -> None:
            """One enhanced packet block, by scapy's block writer: a scapy Packet per
            packet (``write_packet``) would cost five times as much, for nothing here."""
            if not self.header_present:
                self.write_header(None)
            stamp = EDecimal(stamp_ns) / _NS  # exact: the writer multiplies by tsresol
            self._write_block_epb(data, 0, stamp, comments=[note.encode()], flags=direction)

        def custom(self, text: str) -> None:
            if not self.header_present:
                self.write_header(None)
            body = struct.pack("<I", ENTERPRISE_NUMBER) + text.encode()
            self.f.write(self.build_block(struct.pack("<I", CUSTOM_BLOCK), body))

    return Writer()


class Block(NamedTuple):
    """One block of a recording as replay needs it."""

    data: bytes
    stamp_ns: int
    comment: str
    custom: bool
    """A tracetui timeline record (``data`` holds its text) rather than a packet."""


def _section_comment(file: IO[bytes]) -> str:
    """The first section header's comment (scapy's reader reads past it without keeping it)."""
    head = file.read(24)
    if len(head) < 24 or head[:4] != SHB_MAGIC:
        raise RecordingError("not a pcapng file")
    if head[8:12] != b"\x4d\x3c\x2b\x1a":
        raise RecordingError("not a recording this tracetui wrote (big-endian pcapng)")
    length = struct.unpack_from("<I", head, 4)[0]
    if length < 28 or length > 1 << 20 or length % 4:
        raise RecordingError("the pcapng section header is damaged")
    options = file.read(length - 28)
    position = 0
    while position + 4 <= len(options):
        code, size = _OPTION.unpack_from(options, position)
        value = options[position + 4 : position + 4 + size]
        if code == 0:
            break
        if code == 1:
            return value.decode("utf-8", "replace")
        position += 4 + size + (-size % 4)
    raise RecordingError("not a tracetui recording (the pcapng section has no comment)")


def read_blocks(path: str) -> tuple[str, Iterator[Block]]:
    """The section comment and the blocks of a recording, up to its last complete block.

    A recording cut short (the process killed while writing) ends at its last
    whole block: scapy's reader stops there, and so does replay.
    """
    import logging

    from scapy.utils import RawPcapNgReader

    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # a cut block is expected
    try:
        file = open(path, "rb")  # noqa: SIM115 - the iterator below owns it
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        comment = _section_comment(file)
        file.seek(0)

        class Reader(RawPcapNgReader):
            def __init__(self, filename: str, fdesc: IO[bytes], magic: bytes) -> None:
                super().__init__(filename, fdesc, magic)
                self.blocktypes[CUSTOM_BLOCK] = self._read_custom

            def _read_custom(self, block: bytes, _size: int) -> tuple[bytes, Any] | None:
                if len(block) < 4 or struct.unpack_from("<I", block)[0] != ENTERPRISE_NUMBER:
                    return None
                return block[4:], None

        # scapy's metaclass reads the magic, then calls __init__ with it
        reader = Reader(file)  # type: ignore[call-arg, arg-type]
    except RecordingError:
        file.close()
        raise
    except Exception as exc:  # noqa: BLE001 - scapy says "not a pcapng file" in many ways
        file.close()
        raise RecordingError(f"{path} is not a readable pcapng file ({exc})") from None

    def blocks() -> Iterator[Block]:
        with file:
            while True:
                try:
                    data, meta = reader._read_packet()
                except EOFError:
                    return
                except Exception:  # noqa: BLE001 - a damaged block ends the recording there
                    return
                if meta is None:
                    yield Block(bytes(data).rstrip(b"\0"), 0, "", True)
                    continue
                if meta.tshigh is None or meta.linktype != LINKTYPE_RAW:
                    continue
                ticks = (meta.tshigh << 32) | meta.tslow
                stamp = ticks * 10**9 // int(meta.tsresol)
                comments = meta.comments or [b""]
                yield Block(bytes(data), stamp, comments[0].decode("utf-8", "replace"), False)

    return comment, blocks()
