"""The path as a Graphviz graph: with --multipath, the diamond of every branch.

Nodes are interfaces, ranked by hop; edges are the links flows crossed (the
multipath search's), or hop after hop along the rounds' own flow without
it. A node says its hop, address, name and loss; a branch that alone loses
is drawn red, one that carries an earlier branch's loss orange, as the live
screen colours them. ``dot -Tsvg`` draws it.
"""

from __future__ import annotations

from tracetui.labels import UNKNOWN_HOST, display_name
from tracetui.path.diagnosis import BranchVerdict
from tracetui.path.snapshot import BranchView, HopView, PathView, ResponderView
from tracetui.report.common import ReportOptions, iso
from tracetui.textsafe import printable

_COLOURS = {"loss": "red", "carried": "orange", "shared": "gray40"}
_NEWLINE = "\\n"
"""DOT's line break inside a label (a backslash and an n)."""


def _escaped(text: str) -> str:
    return printable(text, 200).replace("\\", "\\\\").replace('"', '\\"')


def _quoted(*lines: str) -> str:
    """A DOT string: every character printable, backslashes and quotes escaped."""
    return '"' + _NEWLINE.join(_escaped(line) for line in lines) + '"'


def _node_id(ttl: int, address: str) -> str:
    return _quoted(f"{ttl}/{address}")


def render_dot(view: PathView, options: ReportOptions) -> str:
    info = view.info
    title = f"{info.target_name} ({info.target}), {view.method.upper()}, {view.rounds} rounds"
    lines = [
        "digraph tracetui {",
        "  rankdir=TB;",
        '  node [shape=box, fontname="monospace", fontsize=10];',
        f"  label={_quoted(title, iso(view.started))};",
        f"  source [label={_quoted(info.local_host, info.source)}, shape=ellipse];",
    ]
    names = {r.address: r for hop in view.hops for r in hop.responders}
    hops = {hop.ttl: hop for hop in view.hops}
    found = view.multipath
    watched = {(b.ttl, b.address): b for b in found.branches} if found is not None else {}
    judged = {(v.ttl, v.address): v for v in view.diagnosis.branches} if view.diagnosis else {}
    layers: dict[int, list[str]] = {}
    edges: list[tuple[str, str]] = []
    if found is not None:
        for branches in found.hops:
            if branches.interfaces:
                layers[branches.ttl] = list(branches.interfaces)
            for before, after in branches.links:
                edges.append((_node_id(branches.ttl - 1, before), _node_id(branches.ttl, after)))
    for hop in view.hops:  # hops the search did not reach (or no search): the rounds' flow
        if hop.ttl not in layers and hop.on_path:
            layers[hop.ttl] = [r.address for r in hop.responders] or [UNKNOWN_HOST]
    previous = ["source"]
    for ttl in sorted(layers):
        ids = []
        for address in layers[ttl]:
            node = _node_id(ttl, address)
            ids.append(node)
            parts, colour = _label(ttl, address, names.get(address), hops, watched, judged, options)
            style = f", color={colour}, fontcolor={colour}" if colour else ""
            if address == UNKNOWN_HOST:
                style = ", style=dashed"
            lines.append(f"  {node} [label={_quoted(*parts)}{style}];")
        if not any(after in ids for _, after in edges):
            # no link known into this hop: every interface of the hop before leads here
            edges += [(before, node) for before in previous for node in ids]
        lines.append(f"  {{ rank=same; {' '.join(ids)} }}")
        previous = ids
    lines += [f"  {before} -> {after};" for before, after in dict.fromkeys(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(
    ttl: int,
    address: str,
    responder: ResponderView | None,
    hops: dict[int, HopView],
    watched: dict[tuple[int, str], BranchView],
    judged: dict[tuple[int, str], BranchVerdict],
    options: ReportOptions,
) -> tuple[list[str], str]:
    parts = [f"hop {ttl}", address]
    if address == UNKNOWN_HOST:
        return parts, ""
    branch = watched.get((ttl, address))
    name = display_name(responder, options.show_names) if responder is not None else None
    if name is None and branch is not None and options.show_names and branch.names.hostname:
        name = branch.names.hostname
    if name:
        parts.append(name)
    if branch is not None and branch.received + branch.lost:
        parts.append(f"branch loss {branch.loss_pct:.1f} %, avg {branch.rtt.avg:.1f} ms")
    else:
        hop = hops.get(ttl)
        if hop is not None and hop.primary is not None and hop.primary.address == address:
            parts.append(f"loss {hop.loss_pct:.1f} %, avg {hop.rtt.avg:.1f} ms")
    verdict = judged.get((ttl, address))
    colour = _COLOURS.get(verdict.verdict, "") if verdict is not None else ""
    return parts, colour
