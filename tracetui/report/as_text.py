"""mtr's report (``-r``), byte for byte as mtr 0.95 prints it, for scripts written against mtr.

mtr lays each line out in a fixed buffer: the host column is 33 characters
(``-w``: as wide as the longest name), and every field is printed at its
offset with a leading space; a value wider than its field is cut short by the
next field (that is why 100 % loss reads ``100.0`` without its sign). The same
happens here, so every regex written for mtr's report reads this one.

With ``--report-extra`` each hop's verdict follows mtr's columns and the
summary follows the table: additions mtr parsers never see unless asked for.

With ``-e`` each responder's MPLS label stack follows its line, one
``[MPLS: Lbl L TC T S S TTL N]`` line per entry, as mtr 0.95 prints them with
``-z``. Two differences, both mtr bugs: mtr 0.95 prints these lines only
together with ``-z``/``-y``, and prints the S bit as a raw byte followed by a
``u`` (``S \x01u``); tracetui prints them whenever ``-e`` asks, with the bit as
a digit.
"""

from __future__ import annotations

from tracetui.columns import fields_of, hop_stats
from tracetui.icmp_extensions import mtr_mpls_lines
from tracetui.labels import IPINFO_WIDTHS, ipinfo_cell, mtr_host
from tracetui.path.diagnosis import HopVerdict
from tracetui.path.snapshot import HopView, Multipath, PathView, multipath_sentences
from tracetui.report.common import ReportOptions, mtr_start
from tracetui.textsafe import printable

HOST_WIDTH = 33
EXTRA_RESPONDER_INDENT = " " * 8
IPINFO_INDENT = " " * 5


def _put(line: str, at: int, text: str) -> str:
    """Write ``text`` at column ``at``, ending the line there (C's snprintf into a buffer)."""
    return line[:at] + text


def render_text(view: PathView, options: ReportOptions) -> str:
    fields = fields_of(options.order)
    info = options.info_field
    local = printable(view.info.local_host)
    hosts = [mtr_host(hop.primary, options.show_names, options.show_ips) for hop in view.hops]
    hosts = [printable(host) for host in hosts]
    width = HOST_WIDTH
    header_width = width
    if options.wide:
        width = max([len(local), *map(len, hosts)])
        header_width = width
        if info is not None:
            width += 1
            header_width += IPINFO_WIDTHS[info] + (2 if info == 0 else 0)
    header = f"HOST: {local:<{header_width}}"
    at = len(header) if options.wide else width
    for field in fields:
        header = _put(header, at, f"{field.label:>{field.mtr_width}}")
        at += field.mtr_width
    lines = [f"Start: {mtr_start(view.started)}", header]
    diagnosis = view.diagnosis if options.extra else None
    for hop, host in zip(view.hops, hosts, strict=True):
        if info is not None:
            line = f" {hop.ttl:2d}. {ipinfo_cell(hop.primary, info)}{host:<{width}}"
        else:
            line = f" {hop.ttl:2d}.|-- {host:<{width}}"
        at = len(line) if options.wide else width
        row = hop_stats(hop)
        for field in fields:
            line = _put(line, at, field.mtr_text(row))
            at += field.mtr_width
        verdict = diagnosis.of(hop.ttl) if diagnosis is not None else None
        if verdict is not None:
            line += f"  {verdict_label(verdict)}"
        lines.append(line)
        if options.mpls and hop.primary is not None:
            lines += mtr_mpls_lines(hop.primary.extensions.mpls)
        lines += _extra_responders(hop, options, width, info)
        lines += _other_branches(hop, view.multipath, width)
    if view.multipath is not None:
        lines.append("")
        lines += [f"  {sentence}" for sentence in multipath_sentences(view.multipath)]
    if diagnosis is not None and diagnosis.summary:
        lines.append("")
        lines += [f"  {printable(sentence, 1000)}" for sentence in diagnosis.summary]
    return "\n".join(lines) + "\n"


def _extra_responders(
    hop: HopView, options: ReportOptions, width: int, info: int | None
) -> list[str]:
    """mtr's lines for the other addresses a hop answered from (load balancing)."""
    lines = []
    for responder in hop.responders[1:]:
        host = printable(mtr_host(responder, options.show_names, options.show_ips))
        lines.append(f"{EXTRA_RESPONDER_INDENT}{host:<{width}}")
        if info is not None:
            lines.append(f"{IPINFO_INDENT}{ipinfo_cell(responder, info)}{host}")
        if options.mpls:
            lines += mtr_mpls_lines(responder.extensions.mpls)
    return lines


def _other_branches(hop: HopView, found: Multipath | None, width: int) -> list[str]:
    """Interfaces the multipath search found at this hop that the rounds' flow does not
    cross, on mtr's lines for extra responders."""
    branches = found.at(hop.ttl) if found is not None else None
    if branches is None:
        return []
    seen = {responder.address for responder in hop.responders}
    return [
        f"{EXTRA_RESPONDER_INDENT}{address:<{width}}"
        for address in branches.interfaces
        if address not in seen
    ]


def verdict_label(verdict: HopVerdict) -> str:
    """The verdict, with traceroute's mark for a refusal (``unreachable !H``)."""
    value = verdict.verdict.value
    return f"{value} {verdict.code}" if verdict.code else value
