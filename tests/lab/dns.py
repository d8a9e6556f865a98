"""dnsmasq configuration for a lab: PTR names, the target's A/AAAA, Team Cymru-style TXT.

Names exist for routers that have one in the Topology (and for the target);
other addresses get NXDOMAIN, because every lab zone is declared local, so
dnsmasq never forwards a query anywhere.
"""

from __future__ import annotations

import ipaddress

from lab.topology import Plan

LAB_AS_DATE = "2026-01-01"


def _origin_name(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return ".".join(reversed(address.split("."))) + ".origin.asn.cymru.com"
    return ".".join(reversed(ip.exploded.replace(":", ""))) + ".origin6.asn.cymru.com"


def _prefix(address: str) -> str:
    ip = ipaddress.ip_address(address)
    return str(ipaddress.ip_network(f"{address}/{24 if ip.version == 4 else 64}", strict=False))


def dnsmasq_config(plan: Plan, listen4: str, listen6: str) -> str:
    lines = [
        "no-resolv",
        "no-hosts",
        "no-poll",
        "bind-interfaces",
        f"listen-address={listen4}",
        f"listen-address={listen6}",
        "except-interface=lo",
        "port=53",
        "pid-file=",
        "local=/lab.example/",
        "local=/18.198.in-addr.arpa/",
        "local=/8.b.d.0.1.0.0.2.ip6.arpa/",
        "local=/asn.cymru.com/",
    ]
    target = plan.topology.target_name
    lines.append(f"host-record={target},{plan.target_address(4)},{plan.target_address(6)}")
    asns: dict[int, str] = {}
    for address, (name, router) in sorted(plan.named_addresses().items()):
        lines.append(f"ptr-record={ipaddress.ip_address(address).reverse_pointer},{name}")
        if router.asn is not None:
            asns[router.asn] = name
            lines.append(
                f'txt-record={_origin_name(address)},"{router.asn} | {_prefix(address)} | '
                f'ZZ | lab | {LAB_AS_DATE}"'
            )
    for asn, name in sorted(asns.items()):
        label = name.split(".")[0].upper()
        lines.append(
            f'txt-record=AS{asn}.asn.cymru.com,"{asn} | ZZ | lab | {LAB_AS_DATE} | LAB-{label}"'
        )
    return "\n".join(lines) + "\n"
