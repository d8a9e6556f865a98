"""How a hop's responder is named, the same way on the screen and in every report."""

from __future__ import annotations

from tracetui.snapshot import ResponderView
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
