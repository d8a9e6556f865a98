"""Make text from the network harmless to print.

DNS names and TXT records are chosen by whoever runs the name server. Before
they reach a terminal, a report or the screen, control characters, escape
sequences and other non-printable code points become visible ``\\xNN`` /
``\\uNNNN`` escapes, and length is capped, so nothing can move the cursor,
retitle the terminal or break a table row.
"""

from __future__ import annotations

MAX_TEXT = 255


def printable(text: str, limit: int = MAX_TEXT) -> str:
    if text.isprintable() and len(text) <= limit:
        return text
    out = []
    for char in text[:limit]:
        if char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)
