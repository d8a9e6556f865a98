"""Passive capture inside a lab namespace: when did probes leave and replies arrive?

Run inside the client namespace: python capture.py DEVICE SECONDS [COMMAND...]
Prints one JSON object per IP packet seen on DEVICE (both directions) with its
kernel timestamp (CLOCK_REALTIME, ns; outgoing packets are stamped as they pass
to the device) and the identifier and sequence of an ICMP echo, or of the echo
an ICMP error quotes. It sends nothing. With a COMMAND,
it starts it once capturing, from inside the namespace, and reports when: the
time to start a process with `ip netns exec` is not the command's start-up.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
PACKET_OUTGOING = 4
ECHO_TYPES = (0, 8)  # ICMP echo reply, echo request
ERROR_TYPES = (3, 11)  # unreachable, time exceeded: they quote the probe


def main() -> None:
    device, seconds = sys.argv[1], float(sys.argv[2])
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    sock.bind((device, 0))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    # room for a burst: N targets' rounds leave together, and a packet lost here
    # would pair a reply with nothing (or Best with a slower probe than its own)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    print(json.dumps({"ready": time.time_ns()}), flush=True)
    command = sys.argv[3:]
    if command:
        print(json.dumps({"started": time.time_ns()}), flush=True)
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([sock], [], [], left)[0]:
            continue
        data, ancillary, _flags, address = sock.recvmsg(2048, 64)
        stamp = time.time_ns()
        for _level, kind, value in ancillary:
            if kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                stamp = sec * 1_000_000_000 + nsec
        if len(data) < 20 or data[0] >> 4 != 4:
            continue
        ihl = (data[0] & 15) * 4
        record = {
            "t": stamp,
            "out": address[2] == PACKET_OUTGOING,
            "src": socket.inet_ntoa(data[12:16]),
            "dst": socket.inet_ntoa(data[16:20]),
            "proto": data[9],
            "ttl": data[8],
            "type": data[ihl] if data[9] == 1 and len(data) > ihl else None,
        }
        if record["type"] in ECHO_TYPES and len(data) >= ihl + 8:
            record["id"], record["seq"] = struct.unpack_from("!HH", data, ihl + 4)
        elif record["type"] in ERROR_TYPES and len(data) >= ihl + 8 + 20:
            inner = ihl + 8  # the quoted IP header, then the start of the quoted probe
            quoted_ihl = (data[inner] & 15) * 4
            if data[inner + 9] == 1 and len(data) >= inner + quoted_ihl + 8:
                record["id"], record["seq"] = struct.unpack_from(
                    "!HH", data, inner + quoted_ihl + 4
                )
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
