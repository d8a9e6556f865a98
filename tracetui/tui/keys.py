"""Every key of the live screen, once: bindings, footer, help and command palette read this list.

Each binding has an id, so a keymap (``App.set_keymap``) can move it to
another key, and the help screen shows whatever key it has now.
"""

from __future__ import annotations

from textual.binding import Binding

from tracetui.probe.methods import METHODS
from tracetui.probe.tunables import TUNABLES
from tracetui.report.formats import FORMATS


def _method_bindings() -> list[Binding]:
    """mtr's u and t toggle between their method and ICMP; I picks ICMP outright (mtr's i is
    the interval)."""
    out = []
    for spec in METHODS.values():
        name = spec.method.value
        toggles = name != "icmp"
        out.append(
            Binding(
                spec.key,
                f"toggle_method('{name}')" if toggles else f"method('{name}')",
                spec.label,
                id=f"method-{name}",
                tooltip=(
                    f"probe with {spec.description} / back to ICMP (each method keeps its "
                    "statistics)"
                    if toggles
                    else f"probe with {spec.description}"
                ),
                show=toggles,
            )
        )
    return out


def _settings_bindings() -> list[Binding]:
    """mtr's i f m s Q b: each opens the settings dialog at its own field."""
    return [
        Binding(
            t.key,
            f"settings('{t.field}')",
            t.label,
            id=f"set-{t.field.replace('_', '-')}",
            show=False,
            tooltip=f"settings: {t.name} ({t.hint})" + ("; new statistics" if t.fresh else ""),
        )
        for t in TUNABLES.values()
        if t.key
    ]


APP_BINDINGS: list[Binding] = [
    Binding("question_mark,h", "help", "Help", id="help", tooltip="this help"),
    Binding("q", "quit", "Quit", id="quit", tooltip="quit (also Ctrl+C)"),
    Binding("ctrl+c", "quit", "Quit", id="quit-ctrl-c", show=False, priority=True),
    Binding("p,space", "pause", "Pause", id="pause", tooltip="pause / resume probing"),
    Binding(
        "n",
        "toggle_names",
        "Names",
        id="names",
        tooltip="names on / off (addresses at once, cached names at once)",
    ),
    *_method_bindings(),
    Binding(
        "E",
        "export",
        "Export",
        id="export",
        tooltip=f"export a report ({', '.join(f.name for f in FORMATS.values())}) to a file",
    ),
    Binding(
        "C",
        "copy_report",
        "Copy",
        id="copy-report",
        show=False,
        tooltip="copy the text report (mtr -r) to the clipboard through the terminal "
        "(OSC 52), to paste into a ticket",
    ),
    Binding(
        "v",
        "events",
        "Events",
        id="events",
        tooltip="what the path is doing: the summary and every change, with times",
    ),
    Binding("r", "reset", "Reset", id="reset", tooltip="reset statistics"),
    Binding(
        "j",
        "toggle_jitter",
        "Jitter",
        id="jitter",
        show=False,
        tooltip="latency columns / jitter columns (Jttr Javg Jmax Jint)",
    ),
    Binding(
        "d",
        "display_mode",
        "Display",
        id="display",
        show=False,
        tooltip="table with history strip / RTT chart of every hop",
    ),
    Binding(
        "g",
        "toggle_histogram",
        "Histogram",
        id="histogram",
        show=False,
        tooltip="detail pane: the selected hop's RTT over time / as a histogram",
    ),
    Binding(
        "plus,equals_sign",
        "zoom(1)",
        "Zoom in",
        id="zoom-in",
        show=False,
        tooltip="RTT chart: zoom in (the bars' top one step down 1-2-5 ms)",
    ),
    Binding(
        "minus",
        "zoom(-1)",
        "Zoom out",
        id="zoom-out",
        show=False,
        tooltip="RTT chart: zoom out",
    ),
    Binding(
        "a",
        "cycle_hosts",
        "Hosts",
        id="hosts",
        show=False,
        tooltip="hosts as names / addresses / names and addresses",
    ),
    Binding(
        "z",
        "toggle_asn",
        "AS",
        id="asn",
        show=False,
        tooltip="AS numbers on / off (Team Cymru DNS)",
    ),
    Binding(
        "y",
        "cycle_ipinfo",
        "IP info",
        id="ipinfo",
        show=False,
        tooltip="IP information: AS number / prefix / country / registry / allocation date / off",
    ),
    Binding(
        "T",
        "timeline",
        "Timeline",
        id="timeline",
        tooltip="loss and latency of the destination and each hop over time, on / off",
    ),
    Binding(
        "left_square_bracket",
        "timeline_span(1)",
        "Wider",
        id="timeline-wider",
        show=False,
        tooltip="timeline: a longer span (10 min, 1 h, 6 h, 1 day, 7 days, 30 days)",
    ),
    Binding(
        "right_square_bracket",
        "timeline_span(-1)",
        "Narrower",
        id="timeline-narrower",
        show=False,
        tooltip="timeline: a shorter span",
    ),
    Binding(
        "comma",
        "timeline_move(1)",
        "Earlier",
        id="timeline-earlier",
        show=False,
        tooltip="timeline: half a span back in time",
    ),
    Binding(
        "full_stop",
        "timeline_move(-1)",
        "Later",
        id="timeline-later",
        show=False,
        tooltip="timeline: half a span forward, up to now",
    ),
    Binding(
        "F",
        "focus_span",
        "Focus",
        id="focus",
        show=False,
        tooltip="the span the timeline shows becomes the focus period: table, verdicts, "
        "summary and events cover it alone; again for the whole run",
    ),
    Binding(
        "x",
        "inspect",
        "Inspect",
        id="inspect",
        show=False,
        tooltip="the selected router's latest reply as scapy dissects it, and its bytes",
    ),
    Binding(
        "B",
        "toggle_branches",
        "Branches",
        id="branches",
        show=False,
        tooltip="with --multipath: each branch of a balanced hop on its own row, with its "
        "own loss and times, on / off (the extra responders show instead)",
    ),
    Binding(
        "e",
        "toggle_mpls",
        "MPLS",
        id="mpls",
        show=False,
        tooltip="MPLS labels under each hop on / off (as mtr's e key and -e)",
    ),
    *_settings_bindings(),
    Binding(
        "o",
        "edit_order",
        "Order",
        id="order",
        show=False,
        tooltip="choose the columns and their order (mtr's field letters)",
    ),
    Binding(
        "w",
        "cycle_window",
        "Window",
        id="window",
        show=False,
        tooltip="statistics over the whole run / the last 10 min / the last 1 min",
    ),
    Binding(
        "right",
        "next_target",
        "Next target",
        id="next-trace",
        show=False,
        priority=True,
        tooltip="several targets: show the next one (Trippy's key)",
    ),
    Binding(
        "left",
        "previous_target",
        "Previous target",
        id="previous-trace",
        show=False,
        priority=True,
        tooltip="several targets: show the previous one (Trippy's key)",
    ),
    Binding(
        "l",
        "targets",
        "Targets",
        id="targets",
        show=False,
        tooltip="several targets: every target on a line (reached, worst verdict, loss and "
        "RTT at the destination); Enter shows the one chosen",
    ),
    Binding(
        "enter",
        "toggle_detail",
        "Detail",
        id="detail",
        show=False,
        tooltip="show / hide the detail pane of the selected hop",
    ),
]
"""In footer order, most used first (the footer must fit 80 columns); the rest show in
the help screen and the command palette."""

SELECT = "select a hop"
PAGE = "move ten hops"
ENDS = "first / last hop"
TABLE_BINDINGS: list[Binding] = [
    Binding("up", "cursor(-1)", "Up", id="cursor-up", show=False, tooltip=SELECT),
    Binding("down", "cursor(1)", "Down", id="cursor-down", show=False, tooltip=SELECT),
    Binding("pageup", "cursor(-10)", "Page up", id="page-up", show=False, tooltip=PAGE),
    Binding("pagedown", "cursor(10)", "Page down", id="page-down", show=False, tooltip=PAGE),
    Binding("home", "cursor(-1000)", "First", id="first-hop", show=False, tooltip=ENDS),
    Binding("end", "cursor(1000)", "Last", id="last-hop", show=False, tooltip=ENDS),
]


TARGET_ACTIONS = frozenset({"next_target", "previous_target", "targets"})
"""Actions that exist only with several targets (hidden, and their keys free, otherwise)."""


def palette_bindings() -> list[Binding]:
    """What the command palette offers: every app action that has help text, but quit."""
    return [b for b in APP_BINDINGS if b.tooltip and b.action != "quit"]


def binding_ids() -> set[str]:
    """Every id a keymap ([keys] in the config file) may name."""
    return {b.id for b in (*APP_BINDINGS, *TABLE_BINDINGS) if b.id is not None}


_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def unknown_key(keys: str) -> str | None:
    """The first of comma-separated key names (``"space"``, ``"f1,ctrl+r"``, ``"?"``) that
    Textual would never match, so a typo in [keys] is said rather than a dead binding."""
    from textual.keys import REPLACED_KEYS, Keys, key_to_character

    named = {key.value for key in Keys if not key.value.startswith("<")}
    for key in (part.strip() for part in keys.split(",")):
        *modifiers, name = key.split("+") if key != "+" else ["+"]
        if not name or not _MODIFIERS.issuperset(modifiers):
            return key
        character = key_to_character(REPLACED_KEYS.get(name, name))
        if len(name) == 1 or name in named or character is not None:
            continue
        return key
    return None
