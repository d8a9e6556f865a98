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

import gzip
import math
import platform
import selectors
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.process_collector import ProcessCollector

from tracetui import __version__
from tracetui.outputs.web_config import WebConfig, WebSettings
from tracetui.path.diagnosis import EVENT_KINDS
from tracetui.probe.events import EngineEvent, ProbeFailed, ProbeLost, ProbeReplied, RoundStarted
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
METRIC_EVENT_KINDS = tuple(
    k
    for k in EVENT_KINDS
    if k not in ("reset", "method-switch", "settings") and "branch" not in k and "alert" not in k
)
"""What the diagnosis finds on a path; resets and method switches are the screen user's, and
alerts have their own gauge (tracetui_alert_firing: series only where rules are given)."""
_DESTINATION_KINDS = frozenset(
    {ReplyKind.ECHO_REPLY, ReplyKind.PORT_UNREACHABLE, ReplyKind.TCP_SYN_ACK, ReplyKind.TCP_RESET}
)
_TTLS = 256


LATENESS_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0)
"""Seconds a round left after its due time, for the whole agent: under 10 ms is on time."""


class _Histogram:
    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...] = DESTINATION_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        for index, bound in enumerate(self.bounds):
            if seconds <= bound:
                self.counts[index] += 1
                break
        else:
            self.counts[-1] += 1
        self.total += seconds

    def buckets(self) -> list[tuple[str, int]]:
        out, running = [], 0
        for bound, count in zip((*map(repr, self.bounds), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, running))
        return out


class PathMetrics:
    """One target's path as metrics: fed by the run, written out by the agent per scrape.

    ``observe`` runs per probe on the probing side: it only adds to lists indexed by
    TTL, without a lock (a scrape may see one series a reply ahead of another; none
    ever goes back).
    """

    def __init__(self, target: str, clock: Any = time.monotonic, agent: str | None = None) -> None:
        self.target = target
        self._agent_labels = {} if agent is None else {"agent": agent}
        self._clock = clock
        self._lock = threading.Lock()
        self._view: PathView | None = None
        self._received = [0] * _TTLS
        self._lost = [0] * _TTLS
        self._rtt_sum = [0.0] * _TTLS
        self._failed = 0
        self._destination = _Histogram()
        self._events = dict.fromkeys(METRIC_EVENT_KINDS, 0)
        self._alerts: tuple[tuple[str, bool], ...] = ()
        self._heard: dict[tuple[int, str], float] = {}
        """(ttl, responder) -> when it last answered, for the responder series."""
        self._path_id = 0
        self._info = ""
        self._length = 0
        self._reached = 0
        self._hops: tuple[int, ...] = ()
        self._verdicts: dict[int, str] = {}
        self._target_label = _labels(**self._agent_labels, target=target)
        self._ttl_labels: dict[int, str] = {}
        self.agent: MetricsAgent | None = None
        """The agent's collector when served (serve_targets)."""
        self.lateness = _Histogram(LATENESS_BUCKETS)
        """How late this target's rounds left: the agent exports the sum over targets."""

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
        elif kind is RoundStarted:
            self.lateness.observe(cast(RoundStarted, event).late)
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
            info = view.info
            self._info = _labels(
                **self._agent_labels,
                target=self.target,
                address=info.target,
                method=str(view.method),
                family=f"ipv{int(info.family)}",
            )
            last = view.hops[-1].ttl if view.hops else 0
            self._length = view.dest_ttl or last
            self._reached = 1 if view.reached else 0
            self._hops = tuple(hop.ttl for hop in view.hops if hop.on_path)
            diagnosis = view.diagnosis
            self._verdicts = {}
            if diagnosis is not None:
                self._alerts = diagnosis.alerts
                for ttl in self._hops:
                    shown = diagnosis.of(ttl)
                    if shown is not None:
                        self._verdicts[ttl] = str(shown.verdict)

    # ----------------------------------------------------------- scraping
    def write_target(self, out: dict[str, list[str]]) -> int:
        """This target's own samples, appended as exposition lines to ``out`` by family;
        returns how many. Nothing before the first snapshot but what counts from 0."""
        with self._lock:
            published = bool(self._info)
            info, length, reached, path_id = self._info, self._length, self._reached, self._path_id
            events = list(self._events.items())
            alerts = self._alerts
        t = self._target_label
        n = 0
        if published:
            out["tracetui_target_info"].append(f"tracetui_target_info{{{info}}} 1\n")
            out["tracetui_path_length"].append(f"tracetui_path_length{{{t}}} {length}\n")
            out["tracetui_destination_reached"].append(
                f"tracetui_destination_reached{{{t}}} {reached}\n"
            )
            out["tracetui_path_id"].append(f"tracetui_path_id{{{t}}} {path_id}\n")
            n += 4
        lines = out["tracetui_destination_rtt_seconds"]
        histogram = self._destination
        for bound, count in histogram.buckets():
            lines.append(f'tracetui_destination_rtt_seconds_bucket{{{t},le="{bound}"}} {count}\n')
        total = sum(histogram.counts)
        lines.append(f"tracetui_destination_rtt_seconds_count{{{t}}} {total}\n")
        lines.append(f"tracetui_destination_rtt_seconds_sum{{{t}}} {_number(histogram.total)}\n")
        lines = out["tracetui_path_events_total"]
        for kind, count in events:
            lines.append(f'tracetui_path_events_total{{{t},kind="{kind}"}} {count}\n')
        out["tracetui_probes_failed_total"].append(
            f"tracetui_probes_failed_total{{{t}}} {self._failed}\n"
        )
        lines = out["tracetui_alert_firing"]
        for rule, firing in alerts:
            lines.append(f'tracetui_alert_firing{{{t},rule="{_escape(rule)}"}} {int(firing)}\n')
        return n + len(DESTINATION_BUCKETS) + 3 + len(events) + 1 + len(alerts)

    def write_hops(self, out: dict[str, list[str]]) -> int:
        """This target's samples per hop, as ``write_target``; returns how many."""
        with self._lock:
            hops, verdicts = self._hops, dict(self._verdicts)
            heard = sorted(self._heard)
        t = self._target_label
        labels = self._ttl_labels
        received, lost, rtt_sum = self._received, self._lost, self._rtt_sum
        sent_lines = out["tracetui_probes_sent_total"]
        received_lines = out["tracetui_probes_received_total"]
        rtt_lines = out["tracetui_hop_rtt_seconds"]
        verdict_lines = out["tracetui_hop_verdict"]
        for ttl in hops:
            key = labels.get(ttl)
            if key is None:
                key = labels[ttl] = f'{t},ttl="{ttl}"'
            count = received[ttl]
            sent_lines.append(f"tracetui_probes_sent_total{{{key}}} {count + lost[ttl]}\n")
            received_lines.append(f"tracetui_probes_received_total{{{key}}} {count}\n")
            rtt_lines.append(f"tracetui_hop_rtt_seconds_count{{{key}}} {count}\n")
            rtt_lines.append(f"tracetui_hop_rtt_seconds_sum{{{key}}} {_number(rtt_sum[ttl])}\n")
            verdict = verdicts.get(ttl)
            if verdict is not None:
                verdict_lines.append(f'tracetui_hop_verdict{{{key},verdict="{verdict}"}} 1\n')
        lines = out["tracetui_responder_info"]
        for ttl, address in heard:
            lines.append(
                f'tracetui_responder_info{{{t},ttl="{ttl}",responder="{_escape(address)}"}} 1\n'
            )
        return 4 * len(hops) + len(verdicts) + len(heard)


class _Family(NamedTuple):
    name: str
    kind: str
    help: str


TARGET_FAMILIES = (
    _Family(
        "tracetui_target_info",
        "gauge",
        "Each target's probed address, method and address family (always 1).",
    ),
    _Family("tracetui_path_length", "gauge", "Hops up to the target, or probed so far."),
    _Family(
        "tracetui_destination_reached", "gauge", "1 when the target itself answers probes, else 0."
    ),
    _Family(
        "tracetui_path_id",
        "gauge",
        "A number that changes when the route does (its responders hop by hop): "
        "changes() counts route changes.",
    ),
    _Family(
        "tracetui_destination_rtt_seconds",
        "histogram",
        "Round trips of the target's own replies (kernel stamps).",
    ),
    _Family(
        "tracetui_path_events_total",
        "counter",
        "Changes the diagnosis found on the path, by kind (see --events).",
    ),
    _Family(
        "tracetui_probes_failed_total",
        "counter",
        "Probes the local kernel refused to send (no route, full buffers, a firewall).",
    ),
    _Family(
        "tracetui_alert_firing",
        "gauge",
        "With --alert: 1 while the rule fires for the target, else 0 (one series per rule).",
    ),
    _Family(
        "tracetui_target_in_error",
        "gauge",
        "A target that cannot be traced now (its name does not resolve; retried with "
        "backoff): 1, and no series while it is traced (a series of its own per target would "
        "pass 25).",
    ),
)
HOP_FAMILIES = (
    _Family(
        "tracetui_probes_sent_total",
        "counter",
        "Probes to this TTL whose fate is known: answered or timed out.",
    ),
    _Family("tracetui_probes_received_total", "counter", "Probes to this TTL that were answered."),
    _Family(
        "tracetui_hop_rtt_seconds",
        "summary",
        "Round trips of this TTL's replies (kernel stamps): rate(_sum)/rate(_count) is the "
        "mean over any span.",
    ),
    _Family(
        "tracetui_hop_verdict",
        "gauge",
        "The diagnosis of each hop: one series, its verdict in the label (always 1).",
    ),
    _Family(
        "tracetui_responder_info",
        "gauge",
        "Addresses answering at this TTL within the last hour (always 1): two or more are "
        "load-balanced branches or a route change.",
    ),
)


def _escape(value: str) -> str:
    """A label value as the exposition format quotes it."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items())


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else repr(float(value))


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

    web: WebConfig | None = None
    """--web.config.file: TLS for each connection, basic auth for each request."""

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            web = self.web
            settings = web.settings if web is not None else None
            if settings is not None and settings.tls is not None:
                request = self._handshake(request, settings)
                if request is None:
                    return
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def _handshake(self, connection: socket.socket, settings: WebSettings) -> Any:
        """TLS on a worker thread (a slow client holds only its own), within the deadline;
        None, the connection closed, if it fails or the client's certificate is not one
        ``client_allowed_sans`` lets in."""
        assert settings.tls is not None
        connection.settimeout(CLIENT_SECONDS)
        try:
            secured = settings.tls.wrap_socket(connection, server_side=True)
        except (OSError, ValueError):
            self.shutdown_request(connection)
            return None
        if not WebConfig.client_allowed(settings, secured.getpeercert()):
            self.shutdown_request(secured)
            return None
        return secured


class MetricsAgent:
    """Every target's samples, family by family (one family per name, as the exposition
    format requires), the agent's own, and the bound on series for the whole agent.

    Written here rather than through prometheus_client's generic exposition: at a
    thousand targets that spent most of a scrape escaping and joining labels that do
    not change from one scrape to the next (each target's are made once), and the
    probing thread waited for it.
    """

    def __init__(
        self, parts: list[PathMetrics], limit: int = MAX_AGENT_SERIES, agent: str | None = None
    ) -> None:
        self.parts = parts
        """Every target traced now; a reload adds and removes them (``add``, ``remove``)."""
        self.in_error: dict[str, str] = {}
        """Targets that cannot be traced now, and why (an agent retries them)."""
        self._name = agent
        own = {} if agent is None else {"agent": agent}
        self._own = f"{{{_labels(**own)}}}" if own else ""
        """The agent's own series' labels: none, or its name."""
        self.limit = limit
        self.stream_dropped: Callable[[], int] = lambda: 0
        """--stream's lines lost to a slow reader so far (see count_stream_drops)."""
        for part in parts:
            part.agent = self
        self._build = _labels(**own, version=__version__, python=platform.python_version())

    def add(self, target: str) -> PathMetrics:
        """A target traced from now on (an agent's reload, or a name that resolved)."""
        part = PathMetrics(target, agent=self._name)
        part.agent = self
        self.parts = [*self.parts, part]  # a scrape in progress keeps the list it took
        return part

    def remove(self, part: PathMetrics) -> None:
        """A target no longer traced: its series are gone from the next scrape."""
        self.parts = [p for p in self.parts if p is not part]

    def labelled(self, exposition: bytes) -> bytes:
        """Another collector's unlabelled samples (the process's) with the agent's name."""
        if not self._own:
            return exposition
        own = self._own.encode()
        lines = exposition.split(b"\n")
        for index, line in enumerate(lines):
            if line and not line.startswith(b"#") and b"{" not in line:
                name, _, value = line.partition(b" ")
                lines[index] = name + own + b" " + value
        return b"\n".join(lines)

    def exposition(self) -> str:
        """The text format (version 0.0.4) Prometheus and promtool read."""
        out: dict[str, list[str]] = {f.name: [] for f in (*TARGET_FAMILIES, *HOP_FAMILIES)}
        total = left_out = 0
        parts = self.parts
        for part in parts:
            total += part.write_target(out)
        own = self._own[1:-1] + "," if self._own else ""
        for target in list(self.in_error):
            out["tracetui_target_in_error"].append(
                f'tracetui_target_in_error{{{own}target="{_escape(target)}"}} 1\n'
            )
            total += 1
        scratch: dict[str, list[str]] = {f.name: [] for f in HOP_FAMILIES}
        for part in parts:
            size = part.write_hops(scratch)
            if total + size <= self.limit:
                total += size
                for name, lines in scratch.items():
                    out[name] += lines
            else:
                left_out += size  # a whole target's hops, never half a path
            for lines in scratch.values():
                lines.clear()
        text: list[str] = []
        for family in (*TARGET_FAMILIES, *HOP_FAMILIES):
            text.append(f"# HELP {family.name} {family.help}\n# TYPE {family.name} {family.kind}\n")
            text += out[family.name]
        text.append(
            "# HELP tracetui_build_info The agent's version and Python (always 1).\n"
            "# TYPE tracetui_build_info gauge\n"
            f"tracetui_build_info{{{self._build}}} 1\n"
            f"# HELP tracetui_series_dropped Series left out of this scrape: the agent "
            f"exports at most {self.limit}.\n"
            "# TYPE tracetui_series_dropped gauge\n"
            f"tracetui_series_dropped{self._own} {left_out}\n"
            "# HELP tracetui_stream_lines_dropped_total --stream lines lost because the "
            "reader fell behind (probing never waits).\n"
            "# TYPE tracetui_stream_lines_dropped_total counter\n"
            f"tracetui_stream_lines_dropped_total{self._own} {self.stream_dropped()}\n"
            "# HELP tracetui_round_lateness_seconds How long after its due time each round "
            "left: a busy agent is a late one.\n"
            "# TYPE tracetui_round_lateness_seconds histogram\n"
        )
        late = _Histogram(LATENESS_BUCKETS)
        for part in parts:
            theirs = part.lateness
            late.total += theirs.total
            late.counts = [a + b for a, b in zip(late.counts, theirs.counts, strict=True)]
        prefix = self._own[1:-1] + "," if self._own else ""
        for bound, count in late.buckets():
            text.append(f'tracetui_round_lateness_seconds_bucket{{{prefix}le="{bound}"}} {count}\n')
        text.append(f"tracetui_round_lateness_seconds_count{self._own} {sum(late.counts)}\n")
        text.append(f"tracetui_round_lateness_seconds_sum{self._own} {_number(late.total)}\n")
        return "".join(text)


TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus reads (prometheus_client's newest
name for it, version 1.0.0, older servers do not know)."""


def _wsgi_app(agent: MetricsAgent, web: WebConfig | None = None) -> Callable[..., list[bytes]]:
    """``/metrics``: the targets' text, then the process's own (prometheus_client's
    process collector: CPU, memory, descriptors); gzip when the scraper asks for it,
    at level 1 (a tenth of level 9's time, four fifths of its saving). With
    ``--web.config.file``, its users only (basic auth) and its headers."""
    process = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=process)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        extra: list[tuple[str, str]] = []
        if web is not None:
            settings = web.settings
            extra = list(settings.headers)
            if not web.allows(settings, environ.get("HTTP_AUTHORIZATION")):
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "text/plain"),
                        ("WWW-Authenticate", 'Basic realm="tracetui"'),
                        *extra,
                    ],
                )
                return [b"Unauthorized\n"]
        if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain"), *extra])
            return [b"not found: try /metrics\n"]
        body = agent.exposition().encode() + agent.labelled(generate_latest(process))
        headers = [("Content-Type", TEXT_FORMAT), *extra]
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [body]

    return app


def serve_targets(
    targets: list[str],
    address: str,
    port: int,
    name: str | None = None,
    web: WebConfig | None = None,
) -> MetricsAgent:
    """The targets' metrics (the agent's ``parts``), served on ``address`` only
    (``/metrics``), in a thread of its own, each series labelled ``agent=name`` if
    given, behind ``web``'s TLS and users; OSError when the address cannot be had."""
    parts = [PathMetrics(target, agent=name) for target in targets]
    agent = MetricsAgent(parts, agent=name)

    class Server(_GatedServer):
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

    Server.web = web
    server = make_server(address, port, _wsgi_app(agent, web), Server, handler_class=_Handler)
    threading.Thread(target=server.serve_forever, name="tracetui-metrics", daemon=True).start()
    return agent
