"""Routing replies among targets that share raw sockets (tracetui/probe/hub.py).

Replies are built by the simulated network for probes the real codecs built for
several local identities at once; each must reach the target that sent it, and
its codec must then find the probe, for every method and both families.
"""

from __future__ import annotations

import pytest
from simpaths import chain

from tracetui.probe.codec import LocalIdentity
from tracetui.probe.hub import Router, route_key
from tracetui.probe.methods import FlowSpec, make_codec
from tracetui.probe.sim import SimNetwork, SimScenario
from tracetui.probe.types import Family, ProbeMethod

IDENTITIES = [
    LocalIdentity("198.18.0.2", 0x1000 + n, 40000 + 256 * n, 50000 + 256 * n, 7 * n)
    for n in range(3)
]


@pytest.mark.parametrize("method", list(ProbeMethod))
@pytest.mark.parametrize("family", [Family.V4, Family.V6])
def test_every_reply_reaches_the_target_whose_probe_it_answers(method, family):
    router = Router()
    inboxes: list[list] = [[] for _ in IDENTITIES]
    sims = []
    for index, identity in enumerate(IDENTITIES):
        sim = SimNetwork(SimScenario(paths=(chain(4),)), family, seed=index)
        sim.identity = identity._replace(source=sim.client)
        codec = make_codec(method, FlowSpec(family, sim.target, sim.identity, 64, None, False, 0))
        keys = {route_key_of(method, codec, key) for key in range(8)}
        router.register(tuple(keys), lambda obs, stamp, box=inboxes[index]: box.append(obs))
        for key in range(8):
            sim.send(method, codec.build(key), 1 + key % 5)
        sims.append((sim, codec))
    for sim, _codec in sims:
        sim.clock.advance_to(sim.clock.now() + 1.0)
        for obs, stamp in sim.drain():
            assert router.deliver(obs, stamp)
    for (_sim, codec), inbox in zip(sims, inboxes, strict=True):
        assert len(inbox) == 8
        assert sorted(codec.key_of(obs) for obs in inbox) == list(range(8))
    assert router.foreign == 0


def route_key_of(method, codec, key):
    """The route a probe's replies take, from the probe itself."""
    from tracetui.probe.packets import PROTO_ICMP, PROTO_TCP, PROTO_UDP

    probe = codec.build(key)
    if method is ProbeMethod.ICMP:
        return PROTO_ICMP, int.from_bytes(probe[4:6], "big")
    return (PROTO_UDP if method is ProbeMethod.UDP else PROTO_TCP), int.from_bytes(probe[:2], "big")


def test_a_route_cannot_belong_to_two_targets():
    router = Router()
    router.register(((1, 7),), lambda obs, stamp: None)
    with pytest.raises(ValueError):
        router.register(((1, 7),), lambda obs, stamp: None)
    router.unregister(((1, 7),))
    router.register(((1, 7),), lambda obs, stamp: None)


def test_packets_that_say_nothing_of_us_are_foreign():
    from tracetui.probe.types import Observation, ReplyKind

    router = Router()
    assert route_key(Observation(ReplyKind.TIME_EXCEEDED, 0, "x", 17, "y", b"\0" * 4)) is None
    assert not router.deliver(Observation(ReplyKind.ECHO_REPLY, 0, "x", 1, "x", bytes(8)), 0)
    assert router.foreign == 1
