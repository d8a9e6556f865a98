"""JSON in mtr's own shape (``report.mtr`` and ``report.hubs``), plus what mtr leaves out.

Tools that read ``mtr --json`` find every key they know, with numbers as
numbers. Added: ``ip`` and ``hostname`` apart, every responder of a hop,
received count, jitter, start and end times, the probe settings, each hop's
verdict and its reason, and under ``report.tracetui`` whether the target
itself answered, a summary in sentences and the events (ISO 8601 UTC).
"""

from __future__ import annotations

import json
from typing import Any

from tracetui.event_log import event_record
from tracetui.labels import UNKNOWN_HOST, asn_label, display_name
from tracetui.report.common import ReportOptions, iso, ms
from tracetui.snapshot import HopView, PathView, ResponderView
from tracetui.stats import RttSummary


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


def _responder(responder: ResponderView, options: ReportOptions) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ip": responder.address,
        "hostname": display_name(responder, options.show_names),
        "Rcv": responder.received,
        **_times(responder.rtt),
        "current": responder.current,
    }
    if responder.mtu:
        entry["mtu"] = responder.mtu
    if options.show_asn:
        entry.update(_asn_fields(responder))
    return entry


def _asn_fields(responder: ResponderView | None) -> dict[str, Any]:
    names = responder.names if responder else None
    return {
        "ASN": asn_label(responder),
        "as_name": names.as_name if names else None,
        "as_prefix": names.as_prefix if names else None,
    }


def _host(primary: ResponderView | None, options: ReportOptions) -> str:
    """mtr's ``host``: the name when known and wanted, else the address."""
    if primary is None:
        return UNKNOWN_HOST
    return display_name(primary, options.show_names) or primary.address


def _hub(hop: HopView, view: PathView, options: ReportOptions) -> dict[str, Any]:
    primary = hop.primary
    verdict = view.diagnosis.of(hop.ttl) if view.diagnosis is not None else None
    hub: dict[str, Any] = {
        "count": hop.ttl,
        "host": _host(primary, options),
        "ip": primary.address if primary else None,
        "hostname": display_name(primary, options.show_names) if primary else None,
        "Loss%": ms(hop.loss_pct),
        "Snt": hop.sent,
        "Rcv": hop.received,
        "Failed": hop.failed,
        **_times(hop.rtt),
        "responders": [_responder(r, options) for r in hop.responders],
        "verdict": verdict.verdict.value if verdict else None,
        "verdict_reason": verdict.reason if verdict else None,
        "on_path": hop.on_path,
    }
    if verdict is not None and verdict.code:
        hub["unreachable_code"] = verdict.code
    if hop.span > 1:
        hub["ttls"] = hop.span
    if options.show_asn:
        hub.update(_asn_fields(primary))
    return hub


def report_dict(view: PathView, options: ReportOptions) -> dict[str, Any]:
    info = view.info
    diagnosis = view.diagnosis
    return {
        "report": {
            "mtr": {
                "src": info.local_host,
                "dst": info.target_name,
                "tos": info.tos,
                "tests": view.rounds,
                "psize": info.size,
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
                "window_seconds": view.window,
                "summary": list(diagnosis.summary) if diagnosis else [],
                "events": [event_record(event) for event in diagnosis.events] if diagnosis else [],
                "pings": {
                    address: {"sent": echo.sent, "received": echo.received}
                    for address, echo in view.echoes.items()
                },
            },
        }
    }


def render_json(view: PathView, options: ReportOptions) -> str:
    return json.dumps(report_dict(view, options), indent=2, ensure_ascii=True) + "\n"
