"""The agent's target bookkeeping on simulated paths: a name in error retried until it
resolves, a reload that removes one target and keeps the other's statistics.

The opener is a stand-in that hands out simulated transports (the demo's paths, in
real time) and fails a name's first tries, as a resolver that cannot answer yet
would; everything else (the scheduler, sessions, watches, metrics) is the agent's
own. The lab test (test_lab_agent.py) does the same over real sockets and DNS.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tracetui.cli import parse_config
from tracetui.probe.sim import SimNetwork
from tracetui.probe.sim.clocks import RealtimeClock
from tracetui.probe.types import Family
from tracetui.run import agent as agent_module
from tracetui.run.demo import demo_targets
from tracetui.run.startup import Opened, SetupError
from tracetui.run.target import Target


class _Opener:
    """Simulated targets; ``late.example`` fails its first two tries."""

    tries: dict[str, int] = {}

    def __init__(self, config, modules, *, switching=True) -> None:
        self.clock = RealtimeClock()

    def open(self, one) -> Opened:
        host = one.host
        _Opener.tries[host] = _Opener.tries.get(host, 0) + 1
        if host == "late.example" and _Opener.tries[host] <= 2:
            raise SetupError(f"{host}: cannot resolve {host}: not yet", usage=True)
        [(name, scenario)] = demo_targets([host])
        sim = SimNetwork(scenario, Family.V4, seed=3, realtime=True)
        return Opened(Target(name, sim.target, Family.V4), sim, sim.clock)

    def close(self) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _until(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def said(monkeypatch):
    lines: list[str] = []
    monkeypatch.setattr(agent_module, "TargetOpener", _Opener)
    monkeypatch.setattr(agent_module, "log_line", lines.append)
    monkeypatch.setattr(agent_module, "RETRY_FIRST", 0.2)
    monkeypatch.setattr(agent_module, "TICK", 0.05)
    _Opener.tries = {}
    return lines


def test_a_name_in_error_is_retried_with_backoff_until_it_resolves(said):
    argv = ["--headless", "-n", "-i", "0.1", "--metrics", f"127.0.0.1:{_free_port()}"]
    config = parse_config([*argv, "cdn.demo.example", "late.example"])
    later = parse_config([*argv, "late.example"])
    agent = agent_module.Agent(config, (), lambda: later)
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop.is_set,), daemon=True)
    try:
        agent.add_targets(config)
        assert agent.metrics is not None
        assert agent.metrics.in_error == {"late.example": "late.example: cannot resolve "
                                          "late.example: not yet"}  # fmt: skip
        runner.start()
        # tries at 0 s, 0.2 s (in error), then 0.4 s later: traced
        assert _until(lambda: any("at last" in line for line in said))
        assert agent.metrics.in_error == {}
        assert _Opener.tries["late.example"] == 3
        assert said[0] == (
            "late.example: cannot resolve late.example: not yet; trying again in 0.2s, "
            "then less often"
        )  # said once: the second failure said the same
        assert sum("not yet" in line for line in said) == 1
        late = next(t for t in agent._targets.values() if t.name == "late.example")
        assert _until(lambda: late.session is not None and late.session.model.rounds >= 5)
        rounds = late.session.model.rounds
        agent.hangup()  # the file now has late.example alone
        assert _until(lambda: any(line.startswith("reload:") for line in said))
        assert said[-1] == (
            "reload: 0 targets added, 1 target removed (cdn.demo.example), 1 kept as they were"
        )
        assert [p.target for p in agent.metrics.parts] == ["late.example"]
        assert _until(lambda: late.session.model.rounds > rounds + 3)  # it went on
        assert late.session.model.snapshot().hops[0].sent > rounds  # and kept its counts
    finally:
        stop.set()
        runner.join(timeout=30)
        agent.close()
    assert not runner.is_alive()
