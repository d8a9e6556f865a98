"""mtr's probe options, seen where they take effect: on the wire and in the client's kernel.

The client's link is captured with scapy while tracetui runs (capture only, in the
client namespace); each option must show in the packets that leave: the size asked
(TCP SYNs included), the TOS byte, the payload pattern, the UDP source port, the
source address, the interface. A mark never reaches the wire, so an nftables
counter in the client namespace counts the packets that carry it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

COMMON = ["-r", "-n", "-4", "-c", "2", "-i", "0.1", "-Z", "1"]
UPLINK = "d0"  # the client's link towards hop 1 (tests/lab/topology.py)
SNIFFER = """
import sys
from scapy.all import AsyncSniffer, wrpcap
sniffer = AsyncSniffer(
    iface=sys.argv[1], store=True, started_callback=lambda: print("ready", flush=True)
)
sniffer.start()
sys.stdin.read()
wrpcap(sys.argv[2], sniffer.stop())
"""


@contextlib.contextmanager
def captured(lab) -> Iterator[list]:
    """The IP packets that leave the client through its uplink meanwhile (scapy layers)."""
    from scapy.layers.inet import IP
    from scapy.utils import rdpcap

    packets: list = []
    with tempfile.TemporaryDirectory() as scratch:
        pcap = Path(scratch) / "uplink.pcap"
        sniffer = lab.popen(
            sys.executable,
            "-c",
            SNIFFER,
            UPLINK,
            str(pcap),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert sniffer.stdout.readline() == "ready\n"
            yield packets
        finally:
            sniffer.stdin.close()
            sniffer.wait(timeout=30)
        for packet in rdpcap(str(pcap)):
            if IP in packet and packet[IP].dst == lab.plan.target_address(4):
                packets.append(packet[IP])


def probes(lab, *options: str) -> tuple[list, subprocess.CompletedProcess[str]]:
    with captured(lab) as packets:
        done = lab.tracetui(*COMMON, *options, lab.plan.target_address(4), check=False)
    assert done.returncode == 0, done.stderr
    assert packets, "no probe seen on the client's uplink"
    return packets, done


def reached(done: subprocess.CompletedProcess[str], lab) -> bool:
    lines = done.stdout.splitlines()
    return lab.plan.target_address(4) in lines[-1]


@pytest.mark.parametrize("method", [[], ["-u"], ["-T"]], ids=["icmp", "udp", "tcp"])
def test_size_tos_and_pattern_are_on_the_wire(main_lab, method):
    size = "1400" if method == ["-T"] else "200"
    packets, done = probes(main_lab, *method, "-s", size, "-Q", "0x28", "-B", "0xA5")
    assert {packet.len for packet in packets} == {int(size)}
    assert {packet.tos for packet in packets} == {0x28}
    payloads = [bytes(packet.payload.payload) for packet in packets]
    for payload in payloads:
        # UDP's fixed flow steers its checksum with the last two payload bytes
        body = payload[:-2] if method == ["-u"] else payload
        assert body and set(body) == {0xA5}, payload[:16]
    assert reached(done, main_lab)


def test_udp_source_port(main_lab):
    packets, done = probes(main_lab, "-u", "-L", "40123")
    assert {packet.payload.sport for packet in packets} == {40123}
    assert reached(done, main_lab)


def test_source_address(main_lab):
    lab = main_lab
    extra = "198.18.1.77"
    lab.exec("ip", "addr", "add", f"{extra}/24", "dev", UPLINK)
    try:
        packets, done = probes(lab, "-a", extra)
    finally:
        lab.exec("ip", "addr", "del", f"{extra}/24", "dev", UPLINK)
    assert {packet.src for packet in packets} == {extra}
    assert reached(done, lab)


def test_interface(main_lab):
    lab = main_lab
    _packets, done = probes(lab, "-I", UPLINK)
    assert reached(done, lab)
    lab.exec("ip", "link", "add", "dm0", "type", "veth", "peer", "name", "dm1")
    try:
        lab.exec("ip", "link", "set", "dm0", "up")
        with captured(lab) as elsewhere:
            lab.tracetui(*COMMON, "-I", "dm0", lab.plan.target_address(4), check=False)
    finally:
        lab.exec("ip", "link", "del", "dm0")
    assert not elsewhere, "probes bound to another interface left through the uplink"


def test_mark_reaches_the_kernel(main_lab):
    lab = main_lab
    rules = (
        "table inet marks {\n chain out {\n  type filter hook output priority 0;"
        " policy accept;\n  meta mark 7 counter\n }\n}\n"
    )
    subprocess.run(
        ["ip", "netns", "exec", lab.plan.client, "nft", "-f", "-"],
        input=rules,
        text=True,
        check=True,
    )
    try:
        counted = []
        for options in ([], ["-M", "7"]):
            _packets, done = probes(lab, *options)
            assert reached(done, lab)
            listing = lab.exec("nft", "list", "table", "inet", "marks").stdout
            counted.append(int(listing.split("packets ")[1].split()[0]))
    finally:
        lab.exec("nft", "delete", "table", "inet", "marks", check=False)
    assert counted[0] == 0 and counted[1] > 0, counted
