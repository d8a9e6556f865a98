"""What one probe would cost with scapy, against the struct code tracetui uses.

    .venv/bin/python bench/scapy_cost.py

Prints microseconds per call: building an ICMP echo probe with scapy,
dissecting a time-exceeded reply with scapy, and parsing that reply with
tracetui.probe.packets. The figures are why scapy stays off the probe path.
"""

from __future__ import annotations

import timeit

from scapy.layers.inet import ICMP, IP

from tracetui.probe.packets import parse_ipv4_icmp

ROUNDS = 2000


def per_call_us(function, number: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=3)) / number * 1e6


def main() -> None:
    quote = IP(src="198.18.0.2", dst="198.18.9.1", ttl=1) / ICMP(id=1, seq=2)
    reply = bytes(IP(src="198.18.1.1", dst="198.18.0.2") / ICMP(type=11) / quote)
    build = per_call_us(
        lambda: bytes(IP(dst="198.18.9.1", ttl=3) / ICMP(id=1, seq=5) / (b"\0" * 36)), ROUNDS
    )
    dissect = per_call_us(lambda: IP(reply), ROUNDS)
    parse = per_call_us(lambda: parse_ipv4_icmp(reply), ROUNDS * 10)
    print(f"scapy build probe   {build:8.1f} us")
    print(f"scapy dissect reply {dissect:8.1f} us")
    print(f"struct parse reply  {parse:8.1f} us")


if __name__ == "__main__":
    main()
