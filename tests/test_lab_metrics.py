"""End to end: a real Prometheus scrapes tracetui --headless --metrics inside a lab namespace.

Debian's prometheus runs on the client namespace's loopback (started and ended
by the test), scraping every second while tracetui traces the lossy lab (10 %
loss on the link into hop 3). The test asks Prometheus's HTTP API, as a
dashboard would, for the series and the loss, and checks our output with
``promtool check metrics``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
from unavailable import unavailable

pytestmark = pytest.mark.lab

METRICS_PORT = 19464
PROMETHEUS_PORT = 19090
FETCH = (
    "import sys, urllib.request; "
    "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
)


def _fetch(lab, url: str) -> str | None:
    """GET ``url`` from inside the client namespace (where both servers listen)."""
    done = lab.exec(sys.executable, "-c", FETCH, url, check=False)
    return done.stdout if done.returncode == 0 else None


def _query(lab, promql: str) -> list[dict]:
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query?" + urllib.parse.urlencode(
        {"query": promql}
    )
    text = _fetch(lab, url)
    if text is None:
        return []
    answer = json.loads(text)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def _loss(selector: str, span: str = "1m") -> str:
    """The README's loss per hop over a span: what the counters say happens now."""
    return (
        f"1 - rate(tracetui_probes_received_total{selector}[{span}]) "
        f"/ rate(tracetui_probes_sent_total{selector}[{span}])"
    )


DASHBOARD = Path(__file__).resolve().parents[1] / "deploy/grafana/tracetui-dashboard.json"


def _dashboard_queries() -> list[tuple[str, str]]:
    """Every query of the Grafana dashboard, its variables set to "All" (as Grafana's
    ``allValue`` does), and the series its variables are read from."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [
        (panel["title"], target["expr"].replace("$instance", ".*").replace("$target", ".*"))
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":  # label_values(SERIES, label)
            series = variable["query"].removeprefix("label_values(").rsplit(",", 1)[0]
            queries.append((variable["name"], series.replace("$instance", ".*")))
    return queries


def _wait_for(predicate, seconds: float):
    """Poll until ``predicate`` returns something true (servers starting, data arriving)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return predicate()


@contextlib.contextmanager
def running_prometheus(lab, scrape: str):
    """Debian's Prometheus in ``lab``'s client namespace, scraping every second as
    ``scrape`` (its scrape_configs) says; removed with its data afterwards."""
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        unavailable("Debian's prometheus package is not installed")
    directory = Path(tempfile.mkdtemp(prefix="tracetui-prom-"))
    config = directory / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n" + scrape
    )
    server = lab.popen(
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
        "--log.level=warn",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ready = _wait_for(lambda: _fetch(lab, f"http://127.0.0.1:{PROMETHEUS_PORT}/-/ready"), 60)
        assert ready, "prometheus did not come up"
        yield directory
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def prometheus(lossy_lab):
    scrape = (
        f"  - job_name: tracetui\n    static_configs: [{{targets: ['127.0.0.1:{METRICS_PORT}']}}]\n"
    )
    with running_prometheus(lossy_lab, scrape):
        yield lossy_lab


def test_prometheus_scrapes_the_path_and_finds_the_loss(prometheus):
    lab = prometheus
    target = lab.plan.target_address(4)
    tracer = lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.05", "-Z", "1",
        "--metrics", f"127.0.0.1:{METRICS_PORT}", target,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        exposition = _wait_for(lambda: _fetch(lab, f"http://127.0.0.1:{METRICS_PORT}/metrics"), 60)
        assert exposition and "tracetui_probes_sent_total" in exposition
        checked = subprocess.run(
            ["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.strip() == "" and checked.stderr.strip() == ""  # no lint either

        def enough() -> list[dict]:
            sent = _query(lab, f'tracetui_probes_sent_total{{target="{target}",ttl="3"}}')
            return sent if sent and float(sent[0]["value"][1]) >= 300 else []

        assert _wait_for(enough, 120), "Prometheus never saw 300 probes at hop 3"
        loss = {
            int(r["metric"]["ttl"]): float(r["value"][1])
            for r in _query(lab, _loss(f'{{target="{target}"}}'))
        }
        assert sorted(loss) == [1, 2, 3, 4, 5]
        assert loss[1] == 0.0 and loss[2] == 0.0
        assert 0.03 < loss[3] < 0.25 and loss[5] > 0.03  # the lossy link, carried on
        reached = _query(lab, f'tracetui_destination_reached{{target="{target}"}}')
        assert [float(r["value"][1]) for r in reached] == [1.0]
        length = _query(lab, f'tracetui_path_length{{target="{target}"}}')
        assert [float(r["value"][1]) for r in length] == [5.0]
        replies = _query(lab, f'sum by (ttl) (tracetui_hop_rtt_seconds_count{{target="{target}"}})')
        # a first round may also see the target answer at TTL 6, when the TTL 5 probe's
        # reply was lost on the lossy link (the path then shrinks to 5; the count stays)
        assert {r["metric"]["ttl"] for r in replies} >= {"1", "2", "3", "4", "5"}
        median = _query(
            lab,
            "histogram_quantile(0.5, sum by (le) "
            f'(rate(tracetui_destination_rtt_seconds_bucket{{target="{target}"}}[1m])))',
        )
        assert 0.001 < float(median[0]["value"][1]) < 0.05  # five 0.5 ms links, both ways
        selector = f'{{target="{target}"}}'
        where = _query(
            lab,
            f"max by (target, ttl) ({_loss(selector)}) > 0.03 "
            "unless on (target, ttl) "
            '(tracetui_hop_verdict{verdict="silent"})',
        )
        assert min(int(r["metric"]["ttl"]) for r in where) == 3  # README: where loss begins
        origin = _query(lab, f'tracetui_hop_verdict{{target="{target}",verdict="loss-origin"}}')
        assert [r["metric"]["ttl"] for r in origin] == ["3"]
        info = _query(lab, f'tracetui_target_info{{target="{target}"}}')
        assert [r["metric"]["method"] for r in info] == ["icmp"]  # never method=""
        assert info[0]["metric"]["address"] == target
        processes = _query(lab, 'process_resident_memory_bytes{job="tracetui"}')
        assert processes and float(processes[0]["value"][1]) > 0
        for title, expr in _dashboard_queries():  # deploy/grafana: every panel has data
            assert _query(lab, expr), title
        shared = _query(  # the README's fleet query: where loss begins, by router
            lab,
            'count by (responder) (tracetui_hop_verdict{verdict="loss-origin"} '
            "* on (instance, target, ttl) group_right tracetui_responder_info)",
        )
        assert {r["metric"]["responder"] for r in shared} <= set(lab.plan.hop_addresses(3, 4))
        assert shared and float(shared[0]["value"][1]) == 1.0
    finally:
        tracer.send_signal(signal.SIGTERM)
        _out, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    assert err.startswith(f"tracetui: tracing {target} with ICMP every 0.05s; metrics on ")
    assert "stopped after" in err and "Traceback" not in err


def test_prometheus_tells_several_targets_apart(prometheus):
    """One process, three lab targets (the end of the path, and the routers at hops 2 and
    4): each target's series carry its label, and the loss is where its path has it."""
    lab = prometheus
    plan = lab.plan
    far, near, middle = (
        plan.target_address(4),
        sorted(plan.hop_addresses(2, 4))[0],
        sorted(plan.hop_addresses(4, 4))[0],
    )
    tracer = lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.05", "-Z", "1",
        "--metrics", f"127.0.0.1:{METRICS_PORT}", far, near, middle,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def enough() -> list[dict]:
            sent = _query(lab, 'min(tracetui_probes_sent_total{ttl="2"})')
            return sent if sent and float(sent[0]["value"][1]) >= 300 else []

        assert _wait_for(enough, 120), "Prometheus never saw 300 probes per target"
        length = {
            r["metric"]["target"]: float(r["value"][1]) for r in _query(lab, "tracetui_path_length")
        }
        assert length == {far: 5.0, near: 2.0, middle: 4.0}
        reached = _query(lab, "min(tracetui_destination_reached)")
        assert float(reached[0]["value"][1]) == 1.0
        for target, hops in ((far, 5), (near, 2), (middle, 4)):
            loss = {
                int(r["metric"]["ttl"]): float(r["value"][1])
                for r in _query(lab, _loss(f'{{target="{target}"}}'))
            }
            assert sorted(loss) == list(range(1, hops + 1)), target
            assert loss[1] == 0.0 and loss[2] == 0.0
            if hops >= 3:
                assert 0.03 < loss[3] < 0.25 and loss[hops] > 0.03, (target, loss)
            selector = f'{{target="{target}"}}'
            where = _query(  # the README's query, for this target
                lab,
                f"max by (target, ttl) ({_loss(selector)}) > 0.03 "
                'unless on (target, ttl) (tracetui_hop_verdict{verdict="silent"})',
            )
            assert min((int(r["metric"]["ttl"]) for r in where), default=None) == (
                3 if hops >= 3 else None
            ), target
        every = _query(  # every path at once: which targets lose, from which hop
            lab,
            f"min by (target) (max by (target, ttl) ({_loss('')}) > 0.03 "
            'unless on (target, ttl) (tracetui_hop_verdict{verdict="silent"}))',
        )
        assert {r["metric"]["target"] for r in every} == {far, middle}
    finally:
        tracer.send_signal(signal.SIGTERM)
        _out, err = tracer.communicate(timeout=30)
    assert tracer.returncode == 0, err
    assert err.startswith("tracetui: tracing 3 targets every 0.05s")
    assert "Traceback" not in err


def test_the_endpoint_listens_only_where_asked(lossy_lab):
    target = lossy_lab.plan.target_address(4)
    tracer = lossy_lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.5",
        "--metrics", str(METRICS_PORT + 1), target,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{METRICS_PORT + 1}/metrics"
        assert _wait_for(lambda: _fetch(lossy_lab, url), 60)
        listening = lossy_lab.exec("ss", "-Hltn", f"sport = :{METRICS_PORT + 1}").stdout.split()
        assert f"127.0.0.1:{METRICS_PORT + 1}" in listening  # the default: loopback only
        plan = lossy_lab.plan
        client = plan.upstream_wires(plan.stage_nodes[0][0])[0].address("up", 4)
        assert _fetch(lossy_lab, f"http://{client}:{METRICS_PORT + 1}/metrics") is None
        second = lossy_lab.tracetui(
            "--headless", "-c", "1", "--metrics", str(METRICS_PORT + 1), target, check=False
        )
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"tracetui: cannot serve metrics on 127.0.0.1:{METRICS_PORT + 1}: "
            "Address already in use"
        )
    finally:
        tracer.send_signal(signal.SIGTERM)
        tracer.communicate(timeout=30)
    assert tracer.returncode == 0


ABUSE = r"""
import json, socket, sys, time, urllib.request
port = int(sys.argv[1])
held = []
for _ in range(500):  # clients that connect and never say a word
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(s)
garbage = 0
for index in range(200):  # requests that are not HTTP, or not what we serve
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall([b"\x16\x03\x01\x02\x00garbage\r\n\r\n",
               b"GET /" + b"A" * 70000 + b" HTTP/1.1\r\n\r\n",
               b"POST /metrics HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"][index % 3])
    try:
        s.recv(1024)
    except OSError:
        pass
    s.close()
    garbage += 1
print("holding", flush=True)
sys.stdin.readline()
scrapes = 0
for _ in range(20):  # a scraper still gets its answer, with the idle ones still held
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=15).read()
    scrapes += b"tracetui_probes_sent_total" in body
for s in held:
    s.close()
print(json.dumps({"garbage": garbage, "scrapes": scrapes}), flush=True)
"""


PER_TRAVERSAL_MS = 0.1  # as tests/test_lab_paths.py: what an emulated link may add


def _accurate(lab, replies: list[dict]) -> None:
    """Round trips taken during the attack, per hop: never shorter than the configured
    path, on average within the tolerance tests/test_lab_paths.py holds every run to."""
    plan = lab.plan
    assert len(replies) >= 50
    emulated = 0
    for hop in range(1, len(plan.topology.stages) + 1):
        emulated += plan.topology.stages[hop - 1].link.emulated
        rtts = [line["rtt_ms"] for line in replies if line["ttl"] == hop]
        assert rtts, hop
        expected = plan.rtt_ms(hop)
        assert min(rtts) >= expected - 0.01, (hop, min(rtts), expected)
        mean = sum(rtts) / len(rtts)
        assert abs(mean - expected) <= 2 * emulated * PER_TRAVERSAL_MS + 0.2, (hop, mean)


def test_the_endpoint_stays_up_under_abuse(lossy_lab, tmp_path):
    """500 idle connections and 200 garbage requests: scrapes are answered, the threads
    stay bounded, the probes taken meanwhile are as accurate as on a quiet run, and
    nothing is printed."""
    from tracetui.outputs.metrics import MAX_CLIENTS

    target = lossy_lab.plan.target_address(4)
    stream = Path(tempfile.mkdtemp(prefix="tracetui-abuse-")) / "probes.jsonl"
    port = METRICS_PORT + 2
    tracer = lossy_lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.1", "-Z", "1",
        "--metrics", str(port), "--stream", str(stream), target,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert _wait_for(lambda: _fetch(lossy_lab, f"http://127.0.0.1:{port}/metrics"), 60)
        attack = lossy_lab.popen(
            sys.executable, "-c", ABUSE, str(port),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert attack.stdout is not None and attack.stdin is not None
        assert attack.stdout.readline().strip() == "holding"
        threads = len(os.listdir(f"/proc/{tracer.pid}/task"))
        lines_before = len(stream.read_text().splitlines())
        time.sleep(3.0)  # probing goes on meanwhile, while the connections are held
        during = [json.loads(line) for line in stream.read_text().splitlines()[lines_before:]]
        _accurate(lossy_lab, [line for line in during if "rtt_ms" in line])
        attack.stdin.write("go\n")
        attack.stdin.flush()
        summary = json.loads(attack.stdout.readline())
        attack.wait(timeout=60)
        assert summary == {"garbage": 200, "scrapes": 20}
        assert threads <= MAX_CLIENTS + 16  # not one thread per connection
        assert tracer.poll() is None
    finally:
        tracer.send_signal(signal.SIGTERM)
        _out, err = tracer.communicate(timeout=30)
        shutil.rmtree(stream.parent, ignore_errors=True)
    assert tracer.returncode == 0
    assert "Traceback" not in err and "Exception" not in err, err


def test_prometheus_scrapes_through_tls_and_basic_auth(lossy_lab, tmp_path):
    """--web.config.file as an operator writes it for node_exporter: Prometheus's own
    https scrape (its CA file, a user and a password) reads the metrics, and a scrape
    without the password is refused (Prometheus says up 0 for it)."""
    if shutil.which("openssl") is None:
        unavailable("openssl is not installed")
    import bcrypt
    from pki_support import issue, make_ca

    pki = make_ca(Path(tempfile.mkdtemp(prefix="tracetui-pki-")))
    issue(pki, "server", "IP:127.0.0.1")
    hashed = bcrypt.hashpw(b"lab-secret", bcrypt.gensalt(rounds=4)).decode()
    (pki / "web.yml").write_text(
        "tls_server_config: {cert_file: server.crt, key_file: server.key}\n"
        f"basic_auth_users:\n  prometheus: '{hashed}'\n"
    )
    scrape = "".join(
        f"  - job_name: {job}\n"
        "    scheme: https\n"
        f"    tls_config: {{ca_file: {pki / 'ca.crt'}}}\n"
        f"    basic_auth: {{username: prometheus, password: {password}}}\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{METRICS_PORT}']}}]\n"
        for job, password in (("secured", "lab-secret"), ("guessing", "wrong"))
    )
    target = lossy_lab.plan.target_address(4)
    tracer = lossy_lab.popen(
        sys.executable, "-m", "tracetui", "--headless", "-n", "-i", "0.2",
        "--metrics", f"127.0.0.1:{METRICS_PORT}", "--web.config.file", str(pki / "web.yml"),
        target, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with running_prometheus(lossy_lab, scrape):

            def scraped() -> list[dict]:
                up = _query(lossy_lab, "up")
                return up if len(up) == 2 else []

            assert _wait_for(scraped, 60), "Prometheus never scraped both jobs"
            up = {r["metric"]["job"]: r["value"][1] for r in _query(lossy_lab, "up")}
            assert up == {"secured": "1", "guessing": "0"}
            sent = _wait_for(
                lambda: _query(lossy_lab, f'tracetui_probes_sent_total{{target="{target}"}}'), 30
            )
            assert {r["metric"]["job"] for r in sent} == {"secured"}
        assert _fetch(lossy_lab, f"http://127.0.0.1:{METRICS_PORT}/metrics") is None  # TLS only
    finally:
        tracer.send_signal(signal.SIGTERM)
        _out, err = tracer.communicate(timeout=30)
        shutil.rmtree(pki, ignore_errors=True)
    assert tracer.returncode == 0 and "Traceback" not in err, err
