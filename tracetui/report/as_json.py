"""JSON in mtr 0.95's shape and types, plus what mtr leaves out, as extra keys only.

mtr's keys come first, in mtr's order and with mtr's types (``psize`` and
``bitpattern`` are strings, ``tos`` and ``tests`` integers, each field of
``-o`` a number named by its title), so a typed decoder written for
``mtr --json`` reads this file. Added: the probe settings and times under
``report.mtr``; per hub ``ip`` and ``hostname`` apart, received count,
jitter, every responder with its own statistics, its MPLS label stack
(``mpls``) and interface (``interface``, RFC 5837) when its replies carry
them, the verdict and its reason;
under ``report.tracetui`` whether the target itself answered, the summary,
the events (ISO 8601 UTC) and the triage pings.
"""

from __future__ import annotations

import json
from typing import Any

from tracetui.columns import COLUMNS, fields_of, hop_stats
from tracetui.icmp_extensions import InterfaceInfo
from tracetui.labels import asn_label, display_name, ipinfo_value, mtr_host
from tracetui.path.diagnosis import BranchVerdict
from tracetui.path.snapshot import BranchView, HopView, PathView, ResponderView
from tracetui.path.stats import RttSummary
from tracetui.report.common import ReportOptions, event_record, iso, ms
from tracetui.textsafe import printable

_EXTRA_TIMES = ("R", "N", "A", "B", "W", "V", "G", "J", "M", "X", "I")


def _number(value: float | int | None, integer: bool) -> float | int:
    if value is None:
        return 0 if integer else 0.0
    return int(value) if integer else ms(float(value))


def _times(rtt: RttSummary) -> dict[str, float]:
    return {
        "Last": ms(rtt.last),
        "Avg": ms(rtt.avg),
        "Best": ms(rtt.best),
        "Wrst": ms(rtt.worst),
        "StDev": ms(rtt.stdev),
        "Jttr": ms(rtt.jitter),
        "Javg": ms(rtt.javg),
        "Jmax": ms(rtt.jmax),
        "Jint": ms(rtt.jint),
    }


def _responder(responder: ResponderView, received: int, options: ReportOptions) -> dict[str, Any]:
    """``Share%``: of the hop's replies; probes that got none are the hop's loss, not a
    responder's (which of them a lost probe would have reached, nobody knows)."""
    entry: dict[str, Any] = {
        "ip": responder.address,
        "hostname": display_name(responder, options.show_names),
        "Rcv": responder.received,
        "Share%": round(100.0 * responder.received / received, 1) if received else 0.0,
        **_times(responder.rtt),
        "current": responder.current,
        **_place(responder),
    }
    if responder.mtu:
        entry["mtu"] = responder.mtu
    extensions = responder.extensions
    entry["mpls"] = [
        {"label": m.label, "tc": m.tc, "s": int(m.bottom), "ttl": m.ttl} for m in extensions.mpls
    ]
    entry["interface"] = _interface(extensions.incoming)
    if options.info_field is not None:
        entry.update(_asn_fields(responder))
    return entry


def _interface(interface: InterfaceInfo | None) -> dict[str, Any] | None:
    """RFC 5837's interface object, as the router sent it: absent parts are null."""
    if interface is None:
        return None
    name = printable(interface.name, 64) if interface.name is not None else None
    return {
        "role": interface.role,
        "index": interface.index,
        "address": interface.address,
        "name": name,
        "mtu": interface.mtu,
    }


def _asn_fields(responder: ResponderView | None) -> dict[str, Any]:
    names = responder.names if responder else None
    return {
        "ASN": asn_label(responder),
        "as_name": names.as_name if names else None,
        "as_prefix": names.as_prefix if names else None,
    }


def _place(responder: ResponderView) -> dict[str, Any]:
    """``country`` and ``city`` where --geoip-mmdb-file (or -y's country) says them."""
    names = responder.names
    place: dict[str, Any] = {}
    if names.country:
        place["country"] = names.country
    if names.city:
        place["city"] = names.city
    return place


def _hub(hop: HopView, view: PathView, options: ReportOptions) -> dict[str, Any]:
    primary = hop.primary
    verdict = view.diagnosis.of(hop.ttl) if view.diagnosis is not None else None
    hub: dict[str, Any] = {
        "count": hop.ttl,
        "host": printable(mtr_host(primary, options.show_names, options.show_ips)),
    }
    info = options.info_field
    if info == 0:
        hub["ASN"] = asn_label(primary)
    elif info is not None:
        hub["ipinfo"] = ipinfo_value(primary, info)
    row = hop_stats(hop)
    for field in fields_of(options.order):
        if field.letter != " ":
            hub[field.label] = _number(field.value(row), field.integer)
    # tracetui's additions: never a key mtr uses for something else
    hub["ip"] = primary.address if primary else None
    hub["hostname"] = display_name(primary, options.show_names) if primary else None
    for letter in _EXTRA_TIMES:
        column = COLUMNS[letter]
        hub.setdefault(column.label, _number(column.value(row), column.integer))
    hub["Failed"] = hop.failed
    hub["responders"] = [_responder(r, hop.received, options) for r in hop.responders]
    hub["verdict"] = verdict.verdict.value if verdict else None
    hub["verdict_reason"] = verdict.reason if verdict else None
    hub["on_path"] = hop.on_path
    if verdict is not None and verdict.code:
        hub["unreachable_code"] = verdict.code
    if hop.span > 1:
        hub["ttls"] = hop.span
    if info is not None:
        hub.update({key: value for key, value in _asn_fields(primary).items() if key != "ASN"})
    return hub


def _branch(branch: BranchView | None, verdict: BranchVerdict | None) -> dict[str, Any] | None:
    """The statistics of the flow that keeps to one branch (None: not watched)."""
    if branch is None:
        return None
    return {
        "Snt": branch.sent,
        "Rcv": branch.received,
        "Loss%": round(branch.loss_pct, 1),
        "moved": branch.moved,
        **_times(branch.rtt),
        "verdict": verdict.verdict if verdict else None,
        "slower_ms": round(verdict.slower_ms, 1) if verdict else 0.0,
    }


def _multipath(view: PathView) -> dict[str, Any] | None:
    """Every hop's interfaces with the flows that reached them, as the MDA found them, and
    each watched branch's statistics and verdict."""
    found = view.multipath
    if found is None:
        return None
    watched = {(b.ttl, b.address): b for b in found.branches}
    judged = {(v.ttl, v.address): v for v in view.diagnosis.branches} if view.diagnosis else {}
    return {
        "confidence": round(found.confidence * 100),
        "done": found.done,
        "complete": found.complete,
        "reason": found.reason,
        "probes": found.probes,
        "seconds": round(found.seconds, 3),
        "hops": [
            {
                "ttl": hop.ttl,
                "interfaces": [
                    {
                        "address": address,
                        "flows": list(flows),
                        "ends_path": address in hop.ends,
                        "branch": _branch(
                            watched.get((hop.ttl, address)), judged.get((hop.ttl, address))
                        ),
                    }
                    for address, flows in hop.flows
                ],
                "links": [list(link) for link in hop.links],
                "probes": hop.probes,
                "silent_flows": hop.silent,
                "confident": hop.confident,
                "per_packet": hop.per_packet,
                "meshed": hop.meshed,
            }
            for hop in found.hops
        ],
    }


def report_dict(view: PathView, options: ReportOptions) -> dict[str, Any]:
    info = view.info
    diagnosis = view.diagnosis
    return {
        "report": {
            "mtr": {
                "src": printable(info.local_host),
                "dst": printable(info.target_name),
                "tos": info.tos,
                "tests": view.rounds,
                "psize": str(info.size),
                "bitpattern": f"0x{info.pattern:02X}",
                "dst_ip": info.target,
                "src_ip": info.source,
                "method": view.method.value,
                "family": int(info.family),
                "port": info.port,
                "interval": info.interval,
                "timeout": info.timeout,
                "start": iso(view.started),
                "end": iso(view.taken),
            },
            "hubs": [_hub(hop, view, options) for hop in view.hops],
            "tracetui": {
                "reached": view.reached,
                "ignored_packets": view.ignored,
                "notes": list(view.notes),
                "sockets": "raw" if info.raw_sockets else "unprivileged",
                "window_seconds": view.window,
                "summary": list(diagnosis.summary) if diagnosis else [],
                "events": [event_record(event) for event in diagnosis.events] if diagnosis else [],
                "pings": {
                    address: {"sent": echo.sent, "received": echo.received}
                    for address, echo in view.echoes.items()
                },
                "multipath": _multipath(view),
            },
        }
    }


def render_json(view: PathView, options: ReportOptions) -> str:
    """Four spaces of indent, as mtr writes it."""
    return json.dumps(report_dict(view, options), indent=4, ensure_ascii=True) + "\n"
