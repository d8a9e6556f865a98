"""Turn what the user typed into one address to probe.

Without ``--dns-server`` the system resolver decides (getaddrinfo: /etc/hosts,
nsswitch, resolv.conf, the order the system prefers), as mtr does. With it,
dnspython asks exactly those servers for A/AAAA records.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import NamedTuple

from tracetui.probe.types import Family
from tracetui.settings.config import DnsServer

RESOLVE_TIMEOUT = 5.0


class TargetError(Exception):
    pass


class Target(NamedTuple):
    name: str
    address: str
    family: Family


def _check_name(host: str) -> None:
    if not host or len(host) > 253 or not host.isascii() or not host.isprintable():
        raise TargetError(f"not a valid host name or address: {host!r}")
    if any(char.isspace() or char in "/\\@" for char in host):
        raise TargetError(f"not a valid host name or address: {host!r}")
    if ":" in host or all(char.isdigit() or char == "." for char in host):
        raise TargetError(f"not a valid IP address: {host}")


def resolve_target(
    host: str, family: Family | None, dns_servers: tuple[DnsServer, ...] = ()
) -> Target:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = Family(literal.version)
        if family is not None and family is not found:
            raise TargetError(f"{host} is an IPv{found} address, but -{int(family)} was given")
        return Target(host, str(literal), found)
    _check_name(host)
    if dns_servers:
        return _resolve_with_dnspython(host, family, dns_servers)
    return _resolve_with_system(host, family)


def _resolve_with_system(host: str, family: Family | None) -> Target:
    af = {None: socket.AF_UNSPEC, Family.V4: socket.AF_INET, Family.V6: socket.AF_INET6}[family]
    try:
        infos = socket.getaddrinfo(host, None, af, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise TargetError(f"cannot resolve {host}: {reason}") from None
    for af_found, _type, _proto, _name, sockaddr in infos:
        if af_found in (socket.AF_INET, socket.AF_INET6):
            address = str(sockaddr[0]).split("%")[0]
            return Target(host, address, Family.V4 if af_found == socket.AF_INET else Family.V6)
    raise TargetError(f"cannot resolve {host}: no IPv4 or IPv6 address")


def _resolve_with_dnspython(
    host: str, family: Family | None, servers: tuple[DnsServer, ...]
) -> Target:
    import dns.exception
    import dns.nameserver
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(s.address, s.port) for s in servers]
    resolver.lifetime = RESOLVE_TIMEOUT
    kinds = {None: ("A", "AAAA"), Family.V4: ("A",), Family.V6: ("AAAA",)}[family]
    reason = "no address records"
    for kind in kinds:
        try:
            answer = resolver.resolve(host, kind, search=False)
        except dns.resolver.NXDOMAIN:
            raise TargetError(f"cannot resolve {host}: no such name") from None
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers) as exc:
            reason = str(exc) if isinstance(exc, dns.resolver.NoNameservers) else reason
            continue
        except dns.exception.Timeout:
            raise TargetError(f"cannot resolve {host}: DNS server did not answer") from None
        except dns.exception.DNSException as exc:
            raise TargetError(f"cannot resolve {host}: {exc}") from None
        for record in answer:
            return Target(host, record.address, Family.V4 if kind == "A" else Family.V6)
    raise TargetError(f"cannot resolve {host}: {reason}")
