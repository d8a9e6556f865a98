"""One frozen object that says what a run does, built from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from tracetui.probe.types import Family, ProbeMethod, SocketOptions

if TYPE_CHECKING:  # an annotation: --help need not load the engine
    from tracetui.probe.types import ProbeSettings


class DnsServer(NamedTuple):
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


class ListenAddress(NamedTuple):
    """--metrics: where the metrics are served; written back as the option takes it."""

    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


class TargetOptions(NamedTuple):
    """What one line of a -F file may add to its target: the probe method and port."""

    method: ProbeMethod | None = None
    port: int | None = None


class Config(NamedTuple):
    host: str | None
    settings: ProbeSettings
    family: Family | None = None
    demo: bool = False
    report_format: str | None = None
    output: str | None = None
    names: bool = True
    aslookup: bool = False
    dns_servers: tuple[DnsServer, ...] = ()
    report_on_exit: str | None = None
    triage: bool = True
    """Ping hops that look rate-limited, to confirm it (never counted as probes)."""
    events_file: str | None = None
    window: float | None = None
    """Seconds of recent statistics a report shows; None for the whole run."""
    sockets: SocketOptions = SocketOptions()
    show_ips: bool = False
    """mtr's -b: names and addresses both."""
    report_wide: bool = False
    """mtr's -w: host names are never cut in the text report."""
    order: str = "LS NABWV"
    """mtr's -o: the statistics columns, by field letter."""
    ipinfo: int | None = None
    """mtr's -y: which IP information to show (0 AS, 1 prefix, 2 country, 3 registry,
    4 allocation date); -z is -y 0."""
    report_extra: bool = False
    """Text report: tracetui's verdict column and summary after mtr's table."""
    mpls: bool = False
    """mtr's -e: MPLS label stacks in the text report, the raw stream and under each hop."""
    privacy_max_ttl: int = 0
    """Hops 1 to N and the source hidden in reports and on screen (path/privacy.py)."""
    display_mode: int = 0
    """mtr's --displaymode: 0 the table with its history strip, 1 and 2 the RTT chart."""
    keymap: tuple[tuple[str, str], ...] = ()
    """Binding id -> keys, from the config file."""
    theme: str | None = None
    origins: tuple[tuple[str, str], ...] = ()
    """Where the config file set ``theme`` and each ``keys.<binding>``: "FILE line N",
    for a message about a name only the screen can check."""
    record: str | None = None
    """--record: the pcapng file the run is written to."""
    record_limit: int = 1 << 30
    """--record-limit: bytes the recording may grow to."""
    replay: str | None = None
    """--replay: the recording to run on instead of the network."""
    replay_speed: float = 1.0
    """--replay-speed: how many times faster than real time the live screen replays."""
    daemon: bool = False
    """--headless: no screen; probe until signalled (or --count), log to stderr."""
    metrics: ListenAddress | None = None
    """--metrics: the address and port Prometheus metrics are served on."""
    geoip: str | None = None
    """--geoip-mmdb-file: a local MaxMind database for each responder's country and city."""
    agent: str | None = None
    """--agent: the agent label on every metric series."""
    web_config: str | None = None
    """--web.config.file: TLS and basic auth for --metrics (exporter-toolkit's format)."""
    stream: str | None = None
    """--stream: where each completed probe and path event goes as a JSON line (- stdout)."""
    alerts: tuple[str, ...] = ()
    """--alert: the rules, each as diagnose/alerts.py writes it (``loss>5% for 60s``)."""
    alert_command: str | None = None
    """--alert-command: run with each alert as JSON on its standard input."""
    alert_webhook: str | None = None
    """--alert-webhook: the URL each alert is POSTed to as JSON."""
    hosts: tuple[str, ...] = ()
    """Every target given (HOST arguments, then -F's file); ``host`` is the first."""
    target_options: tuple[TargetOptions | None, ...] = ()
    """Per target (aligned with ``hosts``): what its -F line asks beyond the command line."""

    def for_target(self, index: int) -> Config:
        """The configuration of target ``index`` alone: its host, its own method and port."""
        settings = self.settings
        options = self.target_options[index] if index < len(self.target_options) else None
        if options is not None:
            method = options.method or settings.method
            port = options.port
            if port is None and method is settings.method:
                port = settings.port  # another method than the command line's: its own default
            if method is ProbeMethod.ICMP:
                port = None
            settings = settings._replace(method=method, port=port)
        return self._replace(host=self.hosts[index], settings=settings)

    @property
    def headless(self) -> bool:
        """No live screen: a report, or --headless."""
        return self.report_format is not None or self.daemon
