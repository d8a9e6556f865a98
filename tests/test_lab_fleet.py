"""Three agents at three vantage points of one lab network, one real Prometheus over them.

The lab is the lossy chain (10 % loss on the link into its third router). Two
more client namespaces hang off the first and the second router, so the three
agents see the lossy link at different hop numbers (3, 3 and 2) and the same
router beyond it. Each agent is named (``--agent``) and listens beyond
loopback; Debian's Prometheus in the first client's namespace scrapes all
three. The README's fleet query, asked of Prometheus's API, must name that
one router, seen by all three agents: the question an operator of fifty
agents asks ("which agents see loss beginning at the same router").
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from conftest import LOSSY_TOPOLOGY, _require_lab
from lab.builder import Lab, ip
from test_lab_metrics import _query, _wait_for, running_prometheus

pytestmark = pytest.mark.lab

PORT = 19481
VANTAGES = {"v1": (1, 240), "v2": (2, 241)}
"""A vantage namespace: the stage of the router it hangs off, and its link's number."""
SHARED_ROUTER_QUERY = (
    'count by (responder) (tracetui_hop_verdict{verdict="loss-origin"} '
    "* on (instance, target, ttl) group_right tracetui_responder_info)"
)


def _attach(lab: Lab, name: str, stage: int, link: int) -> str:
    """A client namespace ``name`` on a link of its own to the router of ``stage``; the
    routers beyond learn its way back. Returns its address."""
    plan = lab.plan
    router = plan.stage_nodes[stage - 1][0]
    subprocess.run(["ip", "netns", "add", name], check=True)
    ip("link", "add", "up0", "type", "veth", "peer", "name", f"v{link}", "netns", router, ns=name)
    ip("addr", "add", f"198.18.{link}.2/24", "dev", "up0", ns=name)
    ip("link", "set", "lo", "up", ns=name)
    ip("link", "set", "up0", "up", ns=name)
    ip("route", "add", "default", "via", f"198.18.{link}.1", ns=name)
    ip("addr", "add", f"198.18.{link}.1/24", "dev", f"v{link}", ns=router)
    ip("link", "set", f"v{link}", "up", ns=router)
    for nodes in plan.stage_nodes[stage:-1]:  # the routers beyond: back the way it came
        for node in nodes:
            (wire,) = plan.upstream_wires(node)
            via = wire.address("up", 4)
            ip("route", "add", f"198.18.{link}.0/24", "via", via, "dev", wire.down_dev, ns=node)
    return f"198.18.{link}.2"


@pytest.fixture(scope="module")
def fleet_lab():
    _require_lab()
    with Lab(LOSSY_TOPOLOGY, "w") as lab:
        made = []
        try:
            addresses = {}
            for suffix, (stage, link) in VANTAGES.items():
                name = f"{lab.plan.prefix}-{suffix}"
                made.append(name)
                addresses[name] = _attach(lab, name, stage, link)
            yield lab, addresses
        finally:
            for name in made:
                subprocess.run(["ip", "netns", "del", name], check=False)


def test_three_agents_one_prometheus_one_router_where_loss_begins(fleet_lab):
    lab, vantages = fleet_lab
    target = lab.plan.target_address(4)
    shared = sorted(lab.plan.hop_addresses(3, 4))[0]  # the router beyond the lossy link
    agents = {"site-a": (lab.plan.client, "127.0.0.1")} | {
        f"site-{'bc'[i]}": (name, address) for i, (name, address) in enumerate(vantages.items())
    }
    processes = []
    try:
        for agent, (namespace, _address) in agents.items():
            listen = "127.0.0.1" if namespace == lab.plan.client else "0.0.0.0"
            command = [
                "ip", "netns", "exec", namespace, sys.executable, "-m", "tracetui",
                "--headless", "-n", "-i", "0.05", "-Z", "1", "--agent", agent,
                "--metrics", f"{listen}:{PORT}", target,
            ]  # fmt: skip
            processes.append(
                subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
                )
            )
        targets = ", ".join(f"'{address}:{PORT}'" for _, address in agents.values())
        scrape = f"  - job_name: tracetui\n    static_configs: [{{targets: [{targets}]}}]\n"
        with running_prometheus(lab, scrape):

            def every_agent_up() -> list[dict]:
                up = _query(lab, 'up{job="tracetui"} == 1')
                return up if len(up) == 3 else []

            assert _wait_for(every_agent_up, 60), _query(lab, "up")

            def agreed() -> list[dict]:
                found = _query(lab, SHARED_ROUTER_QUERY)
                return found if found and float(found[0]["value"][1]) == 3 else []

            found = _wait_for(agreed, 180)
            assert [r["metric"]["responder"] for r in found] == [shared], found
            by_agent = _query(
                lab,
                'group by (agent, ttl) (tracetui_hop_verdict{verdict="loss-origin"})',
            )
            seen = sorted((r["metric"]["agent"], r["metric"]["ttl"]) for r in by_agent)
            assert seen == [("site-a", "3"), ("site-b", "3"), ("site-c", "2")]
    finally:
        errors = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=30)
            errors.append((process.returncode, err))
    for status, err in errors:
        assert status == 0 and "Traceback" not in err, err
