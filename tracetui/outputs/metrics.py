"""``--metrics``: the path as Prometheus metrics, served by the official prometheus_client.

Sized for fleets (a thousand targets on one agent, fifty agents on one
Prometheus): per hop six series (seven for an ECMP pair), per target 25, a few
for the agent. Labels are what stays put while the path does: ``target`` (as
given on the command line), ``ttl``, ``responder`` (an address, never a name:
names change and would split series). The method and the probed address are
in ``tracetui_target_info``, which any series joins on ``target``.

Every counter counts from the engine's events as they are folded in (never
from a snapshot, which a window or a reset would make go back), from 0, so
``rate()`` and ``increase()`` say what happens now; there are no since-start
ratios or extremes, which would hide a fresh episode behind a clean day. Gauges
mean now: the verdict, whether the target answers, the path's length and its
identity. A responder's series goes within an hour of its last reply; the
agent as a whole exports at most ``MAX_AGENT_SERIES`` series, leaving out
whole targets' hops past that and saying how many in ``tracetui_series_dropped``.
"""

from __future__ import annotations

import platform
import selectors
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from tracetui import __version__
from tracetui.path.diagnosis import EVENT_KINDS
from tracetui.probe.events import EngineEvent, ProbeFailed, ProbeLost, ProbeReplied
from tracetui.probe.types import ReplyKind

if TYPE_CHECKING:
    from tracetui.path.diagnosis import PathEvent
    from tracetui.path.snapshot import PathView

DESTINATION_BUCKETS = (0.002, 0.005, 0.02, 0.05, 0.1, 0.3)
"""Seconds, for the destination's round trips: a metro path to an intercontinental one;
few enough that a target costs 25 series (each bucket is one)."""
RESPONDER_SECONDS = 3600.0
"""A responder with no reply for this long has no series any more."""
MAX_AGENT_SERIES = 1_000_000
"""Series one agent exports at most (10,000 paths of 15 hops need about 1.3 million:
past that, split targets over agents)."""
METRIC_EVENT_KINDS = tuple(k for k in EVENT_KINDS if k not in ("reset", "method-switch"))
"""What the diagnosis finds on a path; resets and method switches are the screen user's."""
_DESTINATION_KINDS = frozenset(
    {ReplyKind.ECHO_REPLY, ReplyKind.PORT_UNREACHABLE, ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET}
)
_TTLS = 256


class _Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(DESTINATION_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        for index, bound in enumerate(DESTINATION_BUCKETS):
            if seconds <= bound:
                self.counts[index] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += seconds

    def buckets(self) -> list[tuple[str, float]]:
        out, running = [], 0
        bounds = (*map(repr, DESTINATION_BUCKETS), "+Inf")
        for bound, count in zip(bounds, self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out


class PathMetrics(Collector):
    """One target's path as metric families (a Collector prometheus_client calls per scrape).

    ``observe`` runs per probe on the probing side: it only adds to lists indexed by
    TTL, without a lock (a scrape may see one series a reply ahead of another; none
    ever goes back).
    """

    def __init__(self, target: str, clock: Any = time.monotonic) -> None:
        self.target = target
        self._clock = clock
        self._lock = threading.Lock()
        self._view: PathView | None = None
        self._received = [0] * _TTLS
        self._lost = [0] * _TTLS
        self._rtt_sum = [0.0] * _TTLS
        self._failed = 0
        self._destination = _Histogram()
        self._events = dict.fromkeys(METRIC_EVENT_KINDS, 0)
        self._heard: dict[tuple[int, str], float] = {}
        """(ttl, responder) -> when it last answered, for the responder series."""
        self._path_id = 0
        self.agent: _Agent | None = None
        """The agent's collector when served (serve_targets)."""

    # ------------------------------------------------------------- feeding
    def observe(self, event: EngineEvent) -> None:
        """Every event folded into the model passes here."""
        kind = type(event)
        if kind is ProbeReplied:
            replied = cast(ProbeReplied, event)
            ttl = replied.ttl
            seconds = replied.rtt / 1000.0
            self._received[ttl] += 1
            self._rtt_sum[ttl] += seconds
            if replied.kind in _DESTINATION_KINDS:
                self._destination.observe(seconds)
        elif kind is ProbeLost:
            self._lost[cast(ProbeLost, event).ttl] += 1
        elif kind is ProbeFailed:
            self._failed += 1

    def publish(self, view: PathView, new_events: Sequence[PathEvent] = ()) -> None:
        """The run's latest snapshot (and the path events found since the last one)."""
        now = self._clock()
        with self._lock:
            self._view = view
            for event in new_events:
                if event.kind in self._events:
                    self._events[event.kind] += 1
            heard = self._heard
            for hop in view.hops:
                for responder in hop.responders:
                    if responder.current:
                        heard[(hop.ttl, responder.address)] = now
            for key, when in list(heard.items()):
                if now - when > RESPONDER_SECONDS:
                    del heard[key]
            self._path_id = _path_id(view)

    # ----------------------------------------------------------- scraping
    def describe(self) -> Iterator[Metric]:
        return iter(())  # families depend on the path; nothing to register up front

    def collect(self) -> Iterator[Metric]:
        yield from self.target_families()
        yield from self.hop_families()

    def target_families(self) -> Iterator[Metric]:
        with self._lock:
            view = self._view
            events = dict(self._events)
            path_id = self._path_id
        target = self.target
        info = GaugeMetricFamily(
            "tracetui_target_info",
            "Each target's probed address, method and address family (always 1).",
            labels=["target", "address", "method", "family"],
        )
        length = GaugeMetricFamily(
            "tracetui_path_length", "Hops up to the target, or probed so far.", labels=["target"]
        )
        reached = GaugeMetricFamily(
            "tracetui_destination_reached",
            "1 when the target itself answers probes, else 0.",
            labels=["target"],
        )
        identity = GaugeMetricFamily(
            "tracetui_path_id",
            "A number that changes when the route does (its responders hop by hop): "
            "changes() counts route changes.",
            labels=["target"],
        )
        if view is not None:
            info.add_metric(
                [target, view.info.target, str(view.method), f"ipv{int(view.info.family)}"], 1
            )
            last = view.hops[-1].ttl if view.hops else 0
            length.add_metric([target], view.dest_ttl or last)
            reached.add_metric([target], 1.0 if view.reached else 0.0)
            identity.add_metric([target], path_id)
        destination = HistogramMetricFamily(
            "tracetui_destination_rtt_seconds",
            "Round trips of the target's own replies (kernel stamps).",
            labels=["target"],
        )
        destination.add_metric([target], self._destination.buckets(), self._destination.total)
        happened = CounterMetricFamily(
            "tracetui_path_events",
            "Changes the diagnosis found on the path, by kind (see --events).",
            labels=["target", "kind"],
        )
        for kind, count in events.items():
            happened.add_metric([target, kind], count)
        failed = CounterMetricFamily(
            "tracetui_probes_failed",
            "Probes the local kernel refused to send (no route, full buffers, a firewall).",
            labels=["target"],
        )
        failed.add_metric([target], self._failed)
        yield from (info, length, reached, identity, destination, happened, failed)

    def hop_families(self) -> Iterator[Metric]:
        with self._lock:
            view = self._view
            heard = sorted(self._heard)
        target = self.target
        labels = ["target", "ttl"]
        sent = CounterMetricFamily(
            "tracetui_probes_sent",
            "Probes to this TTL whose fate is known: answered or timed out.",
            labels=labels,
        )
        received = CounterMetricFamily(
            "tracetui_probes_received", "Probes to this TTL that were answered.", labels=labels
        )
        rtt = SummaryMetricFamily(
            "tracetui_hop_rtt_seconds",
            "Round trips of this TTL's replies (kernel stamps): rate(_sum)/rate(_count) is "
            "the mean over any span.",
            labels=labels,
        )
        verdict = GaugeMetricFamily(
            "tracetui_hop_verdict",
            "The diagnosis of each hop: one series, its verdict in the label (always 1).",
            labels=["target", "ttl", "verdict"],
        )
        responders = GaugeMetricFamily(
            "tracetui_responder_info",
            "Addresses answering at this TTL within the last hour (always 1): two or more "
            "are load-balanced branches or a route change.",
            labels=["target", "ttl", "responder"],
        )
        if view is not None:
            diagnosis = view.diagnosis
            for hop in view.hops:
                if not hop.on_path:
                    continue
                ttl = hop.ttl
                key = [target, str(ttl)]
                count = self._received[ttl]
                sent.add_metric(key, count + self._lost[ttl])
                received.add_metric(key, count)
                rtt.add_metric(key, count, self._rtt_sum[ttl])
                shown = diagnosis.of(ttl) if diagnosis is not None else None
                if shown is not None:
                    verdict.add_metric([*key, str(shown.verdict)], 1)
            for ttl, address in heard:
                responders.add_metric([target, str(ttl), address], 1)
        yield from (sent, received, rtt, verdict, responders)


def _path_id(view: PathView) -> int:
    """The current responders hop by hop, hashed: the same route gives the same number."""
    parts = []
    for hop in view.hops:
        if hop.on_path:
            current = sorted(r.address for r in hop.responders if r.current)
            parts.append(f"{hop.ttl}:{','.join(current)}")
    return zlib.crc32(";".join(parts).encode())


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


class _Agent(Collector):
    """Every target's families merged by name (one family per name, as the exposition
    format requires), the agent's own, and the bound on series for the whole agent."""

    def __init__(self, parts: list[PathMetrics], limit: int = MAX_AGENT_SERIES) -> None:
        self.parts = parts
        self.limit = limit
        self.stream_dropped: Callable[[], int] = lambda: 0
        """--stream's lines lost to a slow reader so far (see count_stream_drops)."""
        for part in parts:
            part.agent = self

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}

        def merge(family: Metric) -> int:
            known = merged.get(family.name)
            if known is None:
                merged[family.name] = family
            else:
                known.samples.extend(family.samples)
            return len(family.samples)

        total = left_out = 0
        for part in self.parts:
            for family in part.target_families():
                total += merge(family)
        for part in self.parts:
            families = list(part.hop_families())
            size = sum(len(family.samples) for family in families)
            if total + size > self.limit:
                left_out += size  # a whole target's hops, never half a path
                continue
            total += size
            for family in families:
                merge(family)
        build = GaugeMetricFamily(
            "tracetui_build_info",
            "The agent's version and Python (always 1).",
            labels=["version", "python"],
        )
        build.add_metric([__version__, platform.python_version()], 1)
        dropped = GaugeMetricFamily(
            "tracetui_series_dropped",
            f"Series left out of this scrape: the agent exports at most {self.limit}.",
        )
        dropped.add_metric([], left_out)
        stream = CounterMetricFamily(
            "tracetui_stream_lines_dropped",
            "--stream lines lost because the reader fell behind (probing never waits).",
        )
        stream.add_metric([], self.stream_dropped())
        yield from merged.values()
        yield from (build, dropped, stream)


def count_stream_drops(parts: Sequence[PathMetrics], dropped: Callable[[], int]) -> None:
    """--stream's drops in the agent's metrics (served metrics only)."""
    agent = parts[0].agent if parts else None
    if agent is not None:
        agent.stream_dropped = dropped


def serve_targets(targets: list[str], address: str, port: int) -> list[PathMetrics]:
    """The targets' metrics, served on ``address`` only (``/metrics``, with the process's
    CPU, memory and descriptors), by prometheus_client's WSGI app in a thread of its own;
    OSError when the address cannot be had."""
    parts = [PathMetrics(target) for target in targets]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Agent(parts))
    ProcessCollector(registry=registry)

    class Server(_GatedServer):
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

    server = make_server(address, port, make_wsgi_app(registry), Server, handler_class=_Handler)
    threading.Thread(target=server.serve_forever, name="tracetui-metrics", daemon=True).start()
    return parts
