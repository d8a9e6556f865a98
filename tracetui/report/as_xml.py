"""XML as mtr 0.95 writes it (``-x``): an ``MTR`` element, a ``HUB`` per hop.

Each -o field is an element named by its title (``Loss``, as XML names cannot
hold ``%``) holding the value as the text report prints it. Unlike mtr, names
and attributes are escaped, so a hostile DNS name cannot break the document.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tracetui.columns import fields_of, hop_stats
from tracetui.labels import mtr_host
from tracetui.path.snapshot import PathView
from tracetui.report.common import ReportOptions
from tracetui.textsafe import printable


def render_xml(view: PathView, options: ReportOptions) -> str:
    info = view.info
    source = quoteattr(printable(info.local_host))
    destination = quoteattr(printable(info.target_name))
    lines = [
        '<?xml version="1.0"?>',
        f"<MTR SRC={source} DST={destination}"
        f' TOS="0x{info.tos:X}" PSIZE="{info.size}" BITPATTERN="0x{info.pattern:02X}"'
        f' TESTS="{view.rounds}">',
    ]
    fields = [field for field in fields_of(options.order) if field.letter != " "]
    for hop in view.hops:
        host = printable(mtr_host(hop.primary, options.show_names, options.show_ips))
        lines.append(f'    <HUB COUNT="{hop.ttl}" HOST={quoteattr(host)}>')
        row = hop_stats(hop)
        for field in fields:
            tag = "Loss" if field.label == "Loss%" else field.label
            lines.append(f"        <{tag}>{escape(field.mtr_text(row))}</{tag}>")
        lines.append("    </HUB>")
    lines.append("</MTR>")
    return "\n".join(lines) + "\n"
