"""The accuracy benchmark's conditions that once went wrong, each judged on two seeds.

``bench/accuracy.py`` plays every condition of ``tests/conditions.py`` with 20 seeds
and publishes the figures (README, "What the verdicts mean"); these are the cases
issue #22 found wrong before the simulator could express them (loss on the first
link, a destination called rate-limited without a ping, triage missing the router
that needed it, refusals by port-unreachable, a target answering from another
address, the first minute, a wandering origin, the window, noisy or silent events),
kept here so that they stay right. Virtual time: no root, no network.
"""

from __future__ import annotations

import pytest
from conditions import Trial, by_name, judge

CASES = [
    "5% loss on the first link",
    "10% loss on the first link",
    "10% loss on the first link, ECMP later",
    "5% loss into the target, UDP",
    "5% loss before a firewalled target",
    "the last router before a firewalled target limits, -i 0.2",
    "a refusing router that limits its unreachables, -i 0.5",
    "iptables REJECT (port unreachable) at hop 4, UDP",
    "the target answers from another address, ICMP",
    "the target answers from another address, TCP",
    "the demo's first minute",
    "-c 10, 20% loss into hop 1",
    "-c 10, 30% loss into hop 3",
    "the demo path with a firewalled target",
    "a loss episode with a 60 s window",
    "Wi-Fi access link, 10 ms jitter",
    "heavy-tailed jitter on the access link",
    "one router's control plane slows down",
    "a latency step and back",
    "constant 2% loss for 1000 rounds",
    "bursty loss on a Wi-Fi access link",
    "a target dropping 40% of its replies",
    "the path gets a hop shorter",
    "3-way ECMP, UDP varying ports",
    "a route change and back",
    "a route flapping every 5 s for 2 minutes",
    "a reset during loss",
    "a method switch during loss",
    "Linux limit on every router, 20% into hop 3, -i 0.1",
    "the diagnosis lab's report, -c 500 -i 0.01",
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", CASES)
def test_the_diagnosis_is_right(name, seed):
    record = Trial(by_name(name), seed).play()
    assert judge(record) == [], (record.final, record.events)
