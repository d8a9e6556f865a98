"""Alerts on real Linux routers: a loss episode raises an alert once and clears it once, and
its command and its webhook (a real HTTP receiver on a lab address) each get the JSON once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.lab

RECEIVER = r"""
import http.server, sys
address, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(out, "ab") as sink:
            sink.write(body.rstrip(b"\n") + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer((address, port), Hook)
print("ready", flush=True)
server.serve_forever()
"""
EPISODE = (12.0, 27.0)
"""Seconds after tracetui starts when 15 % loss each way through hop 2 begins and ends."""


def _lossy(lab, node: str, lossy: bool) -> None:
    lab._nft(node, "table inet episode\ndelete table inet episode\n")
    if lossy:
        lab._nft(
            node,
            "table inet episode {\n chain forward {\n"
            "  type filter hook forward priority 0; policy accept;\n"
            "  numgen random mod 100 < 15 drop\n }\n}\n",
        )


def test_a_loss_episode_alerts_once_through_a_command_and_a_webhook(main_lab, tmp_path):
    tmp_path.chmod(0o777)  # the command runs as the user tracetui dropped to
    plan = main_lab.plan
    client = plan.downstream_wires(plan.client)[0].address("up", 4)
    router = plan.stage_nodes[1][0]
    hooked, commanded, events = (tmp_path / n for n in ("hook.jsonl", "command.jsonl", "ev.jsonl"))
    receiver = main_lab.popen(
        sys.executable, "-c", RECEIVER, client, "8473", str(hooked),
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    timers: list[threading.Timer] = []
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
        _lossy(main_lab, router, False)
        started = time.monotonic()
        for at, lossy in ((EPISODE[0], True), (EPISODE[1], False)):
            timer = threading.Timer(at, _lossy, (main_lab, router, lossy))
            timers.append(timer)
            timer.start()
        done = main_lab.tracetui(
            "--headless", "-n", "-c", "500", "-i", "0.1",
            "--alert", "loss>5% for 8s",
            "--alert-command", f"tee -a {commanded}",
            "--alert-webhook", f"http://{client}:8473/hook",
            "--events", str(events),
            plan.target_address(4),
            timeout=240,
        )  # fmt: skip
        lasted = time.monotonic() - started
    finally:
        for timer in timers:
            timer.cancel()
        _lossy(main_lab, router, False)
        receiver.terminate()
        receiver.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert lasted > EPISODE[1] + 15, "the run ended before the alert could clear"
    for delivered in (commanded, hooked):
        alerts = [json.loads(line) for line in delivered.read_text().splitlines()]
        assert [a["state"] for a in alerts] == ["firing", "resolved"], (delivered.name, alerts)
        assert {a["alert"] for a in alerts} == {"loss>5% for 8s"}
        assert {a["address"] for a in alerts} == {plan.target_address(4)}
        assert alerts[0]["value"] > 5.0 and alerts[0]["unit"] == "%"
    logged = [json.loads(line) for line in events.read_text().splitlines()]
    kinds = [e["kind"] for e in logged if e["kind"].startswith("alert-")]
    assert kinds == ["alert-raised", "alert-cleared"]
