"""How a hop's responder is named, the same way on the screen and in every report."""

from __future__ import annotations

from tracetui.path.snapshot import ResponderView
from tracetui.textsafe import printable

UNKNOWN_HOST = "???"
"""A hop that has not answered (mtr's mark)."""


def display_name(responder: ResponderView, show_names: bool) -> str | None:
    """The responder's DNS name, made printable, when names are wanted and it has one."""
    name = responder.hostname if show_names else None
    if not name or name == responder.address:
        return None
    return printable(name)


def host_label(responder: ResponderView | None, show_names: bool) -> str:
    """``name (address)`` when a name is known and wanted, else the address; ``???`` for none."""
    if responder is None:
        return UNKNOWN_HOST
    name = display_name(responder, show_names)
    return f"{name} ({responder.address})" if name else responder.address


def asn_label(responder: ResponderView | None) -> str:
    """``AS64500``, or ``AS???`` where the AS is unknown (mtr's spelling)."""
    if responder is None or responder.names.asn is None:
        return "AS???"
    return f"AS{responder.names.asn}"


def mtr_host(responder: ResponderView | None, show_names: bool, show_ips: bool) -> str:
    """What mtr prints for a hop: the name (``name (address)`` with -b), the address, ``???``."""
    if responder is None:
        return UNKNOWN_HOST
    name = display_name(responder, show_names)
    if name is None:
        return responder.address
    return f"{name} ({responder.address})" if show_ips else name


IPINFO_WIDTHS = (7, 19, 4, 8, 11)
"""mtr's -y fields (AS, prefix, country, registry, allocation date), padded to these widths."""


def ipinfo_value(responder: ResponderView | None, field: int) -> str:
    """One -y field of what Team Cymru says about the address; ``???`` where unknown."""
    names = responder.names if responder is not None else None
    if names is None:
        value = None
    elif field == 0:
        value = str(names.asn) if names.asn is not None else None
    else:
        value = (names.as_prefix, names.country, names.registry, names.allocated)[field - 1]
    return printable(value) if value else UNKNOWN_HOST


def ipinfo_cell(responder: ResponderView | None, field: int) -> str:
    """As mtr's reports show it: ``AS64500  `` (AS numbers), the others padded and spaced."""
    value = ipinfo_value(responder, field)
    if field == 0:
        return f"AS{value:<{IPINFO_WIDTHS[0]}}"
    return f"{value:<{IPINFO_WIDTHS[field]}}"
