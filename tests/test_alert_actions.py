"""Alert actions off the probing path: retries with backoff, a bound, one line on failure.

A webhook receiver on loopback answers as the test tells it (503s, then 200; or 400); a
command reads the JSON from its standard input."""

from __future__ import annotations

import http.server
import json
import sys
import threading
from datetime import UTC, datetime

import pytest

from tracetui.outputs import alert_actions
from tracetui.outputs.alert_actions import AlertActions
from tracetui.path.diagnosis import AlertNotice, PathEvent
from tracetui.path.snapshot import PathView, TraceInfo
from tracetui.probe.types import Family, ProbeMethod

INFO = TraceInfo("shop.example", "198.18.8.1", "198.18.0.2", Family.V4, 1, 30, 1.0, 2.0, 64, 0, 0)
MOMENT = datetime(2026, 12, 8, 2, 47, 40, tzinfo=UTC)
VIEW = PathView(INFO, ProbeMethod.ICMP, MOMENT, MOMENT, 600, (), 8, True, "", {})
RAISED = PathEvent(
    MOMENT, "alert-raised", 8, "loss>5% for 60s: the destination lost 17.9%",
    AlertNotice("loss>5% for 60s", "firing", 17.94, 5.0, "%"),
)  # fmt: skip


class Receiver:
    """An HTTP server on loopback answering each POST with the next status of ``answers``."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.bodies: list[dict] = []
        owner = self

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.bodies.append(json.loads(body))
                self.send_response(owner.answers.pop(0) if owner.answers else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(alert_actions, "BACKOFF_FIRST", 0.01)


def test_a_webhook_that_fails_for_a_while_gets_the_alert_at_last():
    receiver = Receiver([503, 503])
    said: list[str] = []
    actions = AlertActions(None, receiver.url, agent="fra-1", say=said.append)
    try:
        actions.publish(VIEW, [RAISED])
        actions.close()
    finally:
        receiver.close()
    assert len(receiver.bodies) == 3 and said == [] and actions.delivered == 1
    body = receiver.bodies[-1]
    assert body["alert"] == "loss>5% for 60s" and body["state"] == "firing"
    assert body["at"] == "2026-12-08T02:47:40Z" and body["agent"] == "fra-1"
    assert body["value"] == 17.94 and body["hop"] == 8 and body["address"] == "198.18.8.1"


def test_a_webhook_that_refuses_is_not_asked_again_and_the_run_is_told_once():
    receiver = Receiver([400])
    said: list[str] = []
    actions = AlertActions(None, receiver.url, say=said.append)
    try:
        actions.publish(VIEW, [RAISED])
        actions.close()
    finally:
        receiver.close()
    assert len(receiver.bodies) == 1 and actions.failed == 1
    assert said == ["--alert-webhook: the alert was not delivered (HTTP 400)"]


def test_a_command_gets_the_json_on_its_standard_input(tmp_path):
    out = tmp_path / "alert.json"
    script = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    actions = AlertActions(f"{sys.executable} -c {json.dumps(script)}", None)
    actions.publish(VIEW, [RAISED, RAISED._replace(kind="loss-start", alert=None)])
    actions.close()
    assert json.loads(out.read_text())["message"].startswith("loss>5% for 60s")
    assert actions.delivered == 1  # the loss-start event is no alert


def test_a_failing_command_is_one_line_and_the_queue_is_bounded(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(alert_actions, "MAX_QUEUED", 3)
    gate = threading.Event()
    actions = AlertActions("false", None, say=said.append)
    real = actions._deliver

    def slow(payload: bytes) -> None:
        gate.wait(5)
        real(payload)

    monkeypatch.setattr(actions, "_deliver", slow)
    for _ in range(10):  # the first is taken by the thread, 3 wait, 6 are dropped
        actions.publish(VIEW, [RAISED])
    gate.set()
    actions.close()
    assert 5 <= actions.dropped <= 7 and actions.failed == 10 - actions.dropped
    assert said[0] == "--alert-command false exited with 1"
    assert said[-1].endswith("alerts were dropped: the actions could not keep up")
