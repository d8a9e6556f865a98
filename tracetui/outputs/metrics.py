"""``--metrics``: the path as Prometheus metrics, served by the official prometheus_client.

Labels are what stays put while the path does: ``target`` (as given on the
command line), ``ttl``, ``responder`` (an address, never a name: names change
and would split series), ``method``. Counters and gauges come from the latest
snapshot the run took (the screen's frame or the report loop's once-a-second
look), so a scrape never touches the engine; the round-trip histogram is fed
from every reply as it is folded in. Both are bounded: a path has at most
``max_ttl`` hops and each hop a handful of responders; past ``MAX_SERIES``
responder series (a path that churns through addresses for days) new ones are
not added and ``tracetui_series_dropped_total`` says how many were refused.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    StateSetMetricFamily,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from tracetui.path.diagnosis import Verdict
from tracetui.probe.events import EngineEvent, ProbeReplied, Restarted

if TYPE_CHECKING:
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView

RTT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
"""Seconds: a LAN hop (sub-millisecond) to a satellite link; every probe's timeout fits."""
MAX_SERIES = 4096
ROUTE_CHANGE_KINDS = frozenset({"responder-new", "path-longer", "path-shorter"})


class _Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(RTT_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        for index, bound in enumerate(RTT_BUCKETS):
            if seconds <= bound:
                self.counts[index] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += seconds

    def buckets(self) -> list[tuple[str, float]]:
        out, running = [], 0
        for bound, count in zip((*map(repr, RTT_BUCKETS), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out


class PathMetrics(Collector):
    """One target's path as metric families (a Collector prometheus_client calls per scrape)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._view: PathView | None = None
        self._method = ""
        self._rtts: dict[tuple[int, str, str], _Histogram] = {}
        self._dropped = 0
        self._events: Counter[str] = Counter()

    # ------------------------------------------------------------- feeding
    def observe(self, event: EngineEvent) -> None:
        """Every event folded into the model passes here (only replies are kept)."""
        match event:
            case Restarted():
                self._method = str(event.method)
            case ProbeReplied():
                key = (event.ttl, event.responder, self._method)
                with self._lock:
                    histogram = self._rtts.get(key)
                    if histogram is None:
                        if len(self._rtts) >= MAX_SERIES:
                            self._dropped += 1
                            return
                        histogram = self._rtts[key] = _Histogram()
                    histogram.observe(event.rtt / 1000.0)

    def publish(self, view: PathView, new_events: Sequence[PathEvent] = ()) -> None:
        """The run's latest snapshot (and the path events found since the last one)."""
        with self._lock:
            self._view = view
            for event in new_events:
                self._events[event.kind] += 1

    # ----------------------------------------------------------- scraping
    def describe(self) -> Iterator[Metric]:
        return iter(())  # families depend on the path; nothing to register up front

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            view = self._view
            rtts = {key: (h.buckets(), h.total) for key, h in self._rtts.items()}
            dropped = self._dropped
            events = dict(self._events)
        yield from self._path_families(view)
        yield self._rtt_family(rtts)
        yield from self._event_families(events)
        series = CounterMetricFamily(
            "tracetui_series_dropped",
            "Responder series not added because the bound on series was reached.",
            labels=["target"],
        )
        series.add_metric([self.target], dropped)
        yield series

    def _rtt_family(self, rtts: dict) -> Metric:
        family = HistogramMetricFamily(
            "tracetui_rtt_seconds",
            "Round-trip time of each reply, by hop and responder (kernel stamps).",
            labels=["target", "ttl", "responder", "method"],
        )
        for (ttl, responder, method), (buckets, total) in sorted(rtts.items()):
            family.add_metric([self.target, str(ttl), responder, method], buckets, total)
        return family

    def _event_families(self, events: dict[str, int]) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "tracetui_path_events",
            "Changes the diagnosis found on the path, by kind (see --events).",
            labels=["target", "kind"],
        )
        for kind, count in sorted(events.items()):
            family.add_metric([self.target, kind], count)
        yield family
        changes = CounterMetricFamily(
            "tracetui_route_changes",
            "Times the path changed: a new responder at a hop, or a longer or shorter path.",
            labels=["target"],
        )
        changes.add_metric(
            [self.target], sum(n for kind, n in events.items() if kind in ROUTE_CHANGE_KINDS)
        )
        yield changes

    def _path_families(self, view: PathView | None) -> Iterator[Metric]:
        target = self.target
        labels = ["target", "ttl", "method"]
        sent = CounterMetricFamily(
            "tracetui_probes_sent", "Probes sent to the hop at this TTL.", labels=labels
        )
        received = CounterMetricFamily(
            "tracetui_probes_received", "Probes answered at this TTL.", labels=labels
        )
        loss = GaugeMetricFamily(
            "tracetui_loss_ratio",
            "Share of this hop's settled probes that were lost (0 to 1).",
            labels=labels,
        )
        replies = CounterMetricFamily(
            "tracetui_responder_replies",
            "Replies from each responder at this TTL.",
            labels=[*labels, "responder"],
        )
        gauges = {
            name: GaugeMetricFamily(
                f"tracetui_rtt_{name}_seconds",
                f"The {name} round trip from each responder at this TTL.",
                labels=[*labels, "responder"],
            )
            for name in ("last", "best", "worst")
        }
        verdict = StateSetMetricFamily(
            "tracetui_hop_verdict",
            "The diagnosis of each hop: one of the verdicts is 1.",
            labels=["target", "ttl"],
        )
        path = GaugeMetricFamily(
            "tracetui_path_length", "Hops up to the target, or probed so far.", labels=["target"]
        )
        reached = GaugeMetricFamily(
            "tracetui_destination_reached",
            "1 when the target itself answers probes, else 0.",
            labels=["target"],
        )
        if view is not None:
            method = str(view.method)
            for hop in view.hops:
                key = [target, str(hop.ttl), method]
                sent.add_metric(key, hop.sent)
                received.add_metric(key, hop.received)
                settled = hop.received + hop.lost
                loss.add_metric(key, hop.lost / settled if settled else 0.0)
                for responder in hop.responders:
                    series = [*key, responder.address]
                    replies.add_metric(series, responder.received)
                    rtt = responder.rtt
                    if rtt.count:
                        gauges["last"].add_metric(series, rtt.last / 1000.0)
                        gauges["best"].add_metric(series, rtt.best / 1000.0)
                        gauges["worst"].add_metric(series, rtt.worst / 1000.0)
                shown = view.diagnosis.of(hop.ttl) if view.diagnosis is not None else None
                if shown is not None:
                    states = {str(v): v is shown.verdict for v in Verdict}
                    verdict.add_metric([target, str(hop.ttl)], states)
            path.add_metric([target], view.dest_ttl or (view.hops[-1].ttl if view.hops else 0))
            reached.add_metric([target], 1.0 if view.reached else 0.0)
        yield from (sent, received, loss, replies, *gauges.values(), verdict, path, reached)


MAX_CLIENTS = 64
"""Requests served at once; more are closed at once (a scrape takes milliseconds)."""
MAX_WAITING = 1024
"""Connections that have not said anything yet; past this the oldest are closed."""
CLIENT_SECONDS = 10.0
"""A client that has not sent its request (or read the answer) by then is dropped."""


class _Handler(WSGIRequestHandler):
    """prometheus_client's handler, quiet, with a deadline on every read and write."""

    timeout = CLIENT_SECONDS

    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr (the --headless log is for the path)."""


class _GatedServer(ThreadingWSGIServer):
    """prometheus_client's threading server behind a gate: a connection gets a thread only
    once its request has begun to arrive, and at most ``MAX_CLIENTS`` at once. So 500
    idle connections cost no thread at all (they wait in a selector and are closed after
    ``CLIENT_SECONDS``), and a flood of garbage costs a few short-lived threads."""

    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._waiting: dict[socket.socket, float] = {}
        super().__init__(*args, **kwargs)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        listener = self.socket
        listener.setblocking(False)
        with selectors.DefaultSelector() as gate:
            gate.register(listener, selectors.EVENT_READ)
            while True:
                for key, _ in gate.select(poll_interval):
                    if key.fileobj is listener:
                        self._accept(gate)
                    else:
                        connection = cast(socket.socket, key.fileobj)
                        gate.unregister(connection)
                        del self._waiting[connection]
                        self._dispatch(connection)
                self._expire(gate)

    def _accept(self, gate: selectors.BaseSelector) -> None:
        try:
            connection, _address = self.socket.accept()
        except OSError:
            return
        connection.setblocking(False)
        if len(self._waiting) >= MAX_WAITING:
            oldest = next(iter(self._waiting))
            gate.unregister(oldest)
            del self._waiting[oldest]
            self.shutdown_request(oldest)
        self._waiting[connection] = time.monotonic() + CLIENT_SECONDS
        gate.register(connection, selectors.EVENT_READ)

    def _expire(self, gate: selectors.BaseSelector) -> None:
        now = time.monotonic()
        for connection, deadline in list(self._waiting.items()):
            if deadline <= now:
                gate.unregister(connection)
                del self._waiting[connection]
                self.shutdown_request(connection)

    def _dispatch(self, connection: socket.socket) -> None:
        connection.setblocking(True)
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(connection)
            return
        try:
            address = connection.getpeername()
            worker = threading.Thread(
                target=self.process_request_thread, args=(connection, address), daemon=True
            )
            worker.start()
        except OSError:
            self.slots.release()
            self.shutdown_request(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone mid-answer, or one that sent garbage, is its own business:
        nothing on stderr (socketserver would print a traceback)."""

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class _Targets(Collector):
    """Several targets' families merged by name: one family per name, as the exposition
    format requires, with every target's samples."""

    def __init__(self, parts: list[PathMetrics]) -> None:
        self.parts = parts

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for part in self.parts:
            for family in part.collect():
                known = merged.get(family.name)
                if known is None:
                    merged[family.name] = family
                else:
                    known.samples.extend(family.samples)
        yield from merged.values()


def serve_targets(targets: list[str], address: str, port: int) -> list[PathMetrics]:
    """The targets' metrics, served on ``address`` only (``/metrics``, with the process's
    CPU, memory and descriptors), by prometheus_client's WSGI app in a thread of its own;
    OSError when the address cannot be had."""
    parts = [PathMetrics(target) for target in targets]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Targets(parts))
    ProcessCollector(registry=registry)

    class Server(_GatedServer):
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

    server = make_server(address, port, make_wsgi_app(registry), Server, handler_class=_Handler)
    threading.Thread(target=server.serve_forever, name="tracetui-metrics", daemon=True).start()
    return parts
