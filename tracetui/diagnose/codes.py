"""How traceroute marks a refusal: ``!N``, ``!H``, ``!X``, ``!F``... and what each means."""

from __future__ import annotations

from tracetui.probe.types import Family, ReplyKind

# destination-unreachable codes, as traceroute prints them
_V4 = {
    0: ("!N", "network unreachable"),
    1: ("!H", "host unreachable"),
    2: ("!P", "protocol unreachable"),
    5: ("!S", "source route failed"),
    6: ("!N", "destination network unknown"),
    7: ("!H", "destination host unknown"),
    9: ("!X", "network administratively prohibited"),
    10: ("!X", "host administratively prohibited"),
    11: ("!N", "network unreachable for TOS"),
    12: ("!H", "host unreachable for TOS"),
    13: ("!X", "communication administratively prohibited"),
    14: ("!V", "host precedence violation"),
    15: ("!C", "precedence cutoff in effect"),
}
_V6 = {
    0: ("!N", "no route to destination"),
    1: ("!X", "communication administratively prohibited"),
    2: ("!S", "beyond scope of source address"),
    3: ("!H", "address unreachable"),
    5: ("!X", "source address failed policy"),
    6: ("!X", "reject route to destination"),
}


def refusal(family: Family, kind: ReplyKind, code: int, mtu: int) -> tuple[str, str]:
    """(mark, meaning) of a destination-unreachable or packet-too-big."""
    if kind is ReplyKind.PACKET_TOO_BIG:
        return "!F", f"fragmentation needed (next-hop MTU {mtu})" if mtu else "packet too big"
    if kind is ReplyKind.PORT_UNREACHABLE:
        # from a router, not the target: traceroute has no letter for it
        return f"!<{code}>", "port unreachable"
    table = _V4 if family is Family.V4 else _V6
    return table.get(code, (f"!<{code}>", f"unreachable, code {code}"))
