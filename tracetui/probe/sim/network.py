"""A Transport over a simulated network (:mod:`tracetui.probe.sim.world` says what is in it).

It receives the very bytes the engine would put on the wire and answers with
the bytes a Linux host would deliver to our raw sockets. A probe crosses each
link out (delay, jitter, loss, bursts of that direction), meets the router
its TTL ends at (silent, dropping a share, or out of ICMP credit), and its
answer crosses the links back. Load-balanced branches are chosen per flow
(the first four transport bytes and the method, hashed at each branching
point) or per packet. Routers' ICMP budgets live in a :class:`SimWorld` that
several targets may share. The network can also add duplicates, late replies
and other programs' packets.

With a virtual clock, ``wait`` advances time instead of sleeping, so tests
run a week of rounds in seconds, deterministically (one seed drives every
random draw). With ``realtime=True`` it sleeps, which is what ``tracetui
--demo`` uses.
"""

from __future__ import annotations

import errno
import heapq
import os
import random
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tracetui.probe.channels import Channel, decode
from tracetui.probe.codec import LocalIdentity
from tracetui.probe.sim.clocks import RealtimeClock, VirtualClock
from tracetui.probe.sim.limits import SimWorld
from tracetui.probe.sim.replies import Replies
from tracetui.probe.sim.world import (
    REJECT_CODES,
    Bursts,
    SimBranches,
    SimHop,
    SimPath,
    SimRouter,
    SimScenario,
)
from tracetui.probe.types import Family, Observation, ProbeMethod

Hops = tuple[SimHop, ...]


@dataclass(slots=True)
class _Route:
    """One resolved path's fixed part, computed once: cumulative base delays each way and
    the links that draw random numbers."""

    hops: Hops
    out: list[float]
    back: list[float]
    noisy: list[int]


@dataclass(slots=True)
class _Spell:
    """A Gilbert-Elliott link direction's state: bad or good until ``until``."""

    bad: bool
    until: float


def _mix(value: int) -> int:
    """A well-mixed 32-bit hash (murmur3's finaliser): a router's flow hash (Linux's is
    SipHash) spreads neighbouring ports evenly, where a CRC, being linear, does not."""
    value &= 0xFFFFFFFF
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & 0xFFFFFFFF
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & 0xFFFFFFFF
    return value ^ (value >> 16)


class SimNetwork:
    """Transport over a simulated network (see module docstring)."""

    malformed: Counter[str]

    def __init__(
        self,
        scenario: SimScenario,
        family: Family = Family.V4,
        seed: int = 1,
        realtime: bool = False,
        world: SimWorld | None = None,
    ) -> None:
        self.scenario = scenario
        self.family = family
        self.world = world if world is not None else SimWorld()
        self.clock: VirtualClock | RealtimeClock = RealtimeClock() if realtime else VirtualClock()
        self._epoch = self.clock.now()
        self._rng = random.Random(seed)
        self.client = scenario.client4 if family is Family.V4 else scenario.client6
        self.target = scenario.paths[0].target.address(family)
        self.identity = LocalIdentity(
            source=self.client,
            icmp_ident=0x7A1C,
            udp_port=47000,
            tcp_port=47001,
            isn_base=0x5EED0000,
        )
        self.methods = frozenset(ProbeMethod)
        self.malformed = Counter()
        self.tos = 0
        self._replies = Replies(family, self.client, self.target)
        self._queue: list[tuple[float, int, Channel, bytes, str]] = []
        self._routes: dict[int, _Route] = {}
        self._resolved: dict[tuple[int, tuple[int, ...]], Hops] = {}
        self._spells: dict[tuple[int, str, bool], _Spell] = {}
        self._order = 0
        self._next_foreign = self._schedule_foreign(self._epoch)

    # --------------------------------------------------------------- transport
    def set_tos(self, tos: int) -> None:
        self.tos = tos  # no simulated router treats one TOS differently from another

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        now = self.clock.now()
        rate = self.scenario.send_failure_rate
        if rate and self._rng.random() < rate:
            raise OSError(errno.ENOBUFS, os.strerror(errno.ENOBUFS))
        path = self.scenario.path_at(now - self._epoch)
        flow = zlib.crc32(payload[:4] + method.value.encode())
        hops = self._resolve(path, flow)
        first = hops[0].link.mtu
        if first is not None and len(payload) + (20 if self.family is Family.V4 else 40) > first:
            raise OSError(errno.EMSGSIZE, os.strerror(errno.EMSGSIZE))
        self._travel(method, payload, ttl, now, hops, flow)
        return self._stamp(now)

    def drain(self) -> Sequence[tuple[Observation, int]]:
        now = self.clock.now()
        self._add_foreign(now)
        queue = self._queue
        out = []
        while queue and queue[0][0] <= now:
            due, _, channel, data, source = heapq.heappop(queue)
            obs = decode(channel, data, source)
            if obs is None:
                self.malformed["unparsable"] += 1
            else:
                out.append((obs, self._stamp(due)))
        return out

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        """The virtual clock's send stamps are exact already."""
        return ()

    def wait(self, timeout: float) -> None:
        self.clock.advance_to(self.clock.now() + timeout)

    def wake(self) -> None:
        if isinstance(self.clock, RealtimeClock):
            self.clock.wake()

    def close(self) -> None:
        self._queue.clear()

    @property
    def undelivered(self) -> int:
        """Packets still on their way (their arrival time is in the future)."""
        return len(self._queue)

    # --------------------------------------------------------------- the world
    def _stamp(self, when: float) -> int:
        return int(when * 1e9)

    def _deliver(self, when: float, channel: Channel, data: bytes, source: str) -> None:
        self._order += 1
        heapq.heappush(self._queue, (when, self._order, channel, data, source))

    def _resolve(self, path: SimPath, flow: int, force: tuple[int, int] | None = None) -> Hops:
        """The hops this flow crosses: each branching point's choice made (``force``: at
        element ``force[0]`` take branch ``force[1]``)."""
        if not any(isinstance(element, SimBranches) for element in path.hops):
            return path.hops  # type: ignore[return-value]  # no SimBranches among them: checked above
        choices = []
        for position, element in enumerate(path.hops):
            if not isinstance(element, SimBranches):
                continue
            count = len(element.branches)
            if force is not None and force[0] == position:
                choice = force[1]
            elif element.per_packet:
                choice = self._rng.randrange(count)
            else:
                choice = _mix(flow ^ (position * 0x9E3779B1)) % count
            choices.append(choice)
        key = (id(path), tuple(choices))
        hops = self._resolved.get(key)
        if hops is None:
            out: list[SimHop] = []
            picks = iter(choices)
            for element in path.hops:
                if isinstance(element, SimBranches):
                    out.extend(element.branches[next(picks)])
                else:
                    out.append(element)
            hops = self._resolved[key] = tuple(out)
        return hops

    def _route(self, hops: Hops) -> _Route:
        route = self._routes.get(id(hops))
        if route is None:
            out, back = [0.0], [0.0]
            for hop in hops:
                out.append(out[-1] + hop.link.delay_ms / 1000.0)
                back.append(back[-1] + hop.link.reverse_delay_ms / 1000.0)
            noisy = [i for i, h in enumerate(hops, 1) if h.link.noisy]
            route = self._routes[id(hops)] = _Route(hops, out, back, noisy)
        return route

    def _crossing(self, hop: SimHop, position: int, back: bool, now: float) -> float | None:
        """Random part of one crossing of the link into ``hop`` (seconds), or None if it is
        lost."""
        link = hop.link
        rng = self._rng
        loss = link.reverse_loss if back else link.loss
        if loss and rng.random() < loss:
            return None
        bursts = link.reverse_bursts if back else link.bursts
        if bursts is not None and self._in_burst(
            bursts, (position, hop.routers[0].address4, back), now
        ):
            return None
        jitter = link.jitter_ms
        if not jitter:
            return 0.0
        tail = link.jitter_tail
        if tail is not None:
            # Pareto with shape ``tail`` and mean ``jitter``: mostly small, now and then huge
            return jitter * (tail - 1.0) * (rng.paretovariate(tail) - 1.0) / 1000.0
        return rng.expovariate(1.0 / jitter) / 1000.0

    def _in_burst(self, bursts: Bursts, key: tuple[int, str, bool], now: float) -> bool:
        """Whether a Gilbert-Elliott link drops what crosses it at ``now``; ``key`` names the
        link direction (its place, the router it leads to, back or out), so its spell
        survives the path around it changing."""
        rng = self._rng
        spell = self._spells.get(key)
        if spell is None:
            spell = self._spells[key] = _Spell(False, now + rng.expovariate(1.0 / bursts.good_s))
        while now >= spell.until:
            spell.bad = not spell.bad
            mean = bursts.bad_s if spell.bad else bursts.good_s
            spell.until += rng.expovariate(1.0 / mean)
        loss = bursts.loss_bad if spell.bad else bursts.loss_good
        return bool(loss) and rng.random() < loss

    def _travel(
        self, method: ProbeMethod, payload: bytes, ttl: int, now: float, hops: Hops, flow: int
    ) -> None:
        size = len(payload) + (20 if self.family is Family.V4 else 40)
        reached_target = ttl >= len(hops)
        last = len(hops) if reached_target else ttl
        refusal: tuple[int, int] | None = None  # (ICMP type, code or MTU) of a router's refusal
        for hop in range(1, last):  # every router that would forward the probe
            router = self._router(hops, hop, flow)
            mtu = hops[hop].link.mtu
            if router.rejects is not None:
                refusal = (-1, REJECT_CODES[router.rejects][self.family is Family.V6])
            elif mtu is not None and size > mtu:
                refusal = (-2, mtu)
            if refusal is not None:
                last, reached_target = hop, False
                break
        if reached_target and method is ProbeMethod.UDP and self._port_open(payload):
            return
        router = self._router(hops, last, flow)
        # what the answer is decides which budget it comes from: echo replies and TCP are
        # not ICMP errors
        icmp = refusal is not None or not reached_target or method is not ProbeMethod.TCP
        echo = reached_target and refusal is None and method is ProbeMethod.ICMP
        elapsed = self._round_trip(hops, last, router, router.reply_loss, now, icmp=icmp, echo=echo)
        if elapsed is None:
            return
        if self.scenario.late_rate and self._rng.random() < self.scenario.late_rate:
            elapsed += self.scenario.late_ms / 1000.0
        replies = self._replies
        if refusal is not None:
            source = router.address(self.family)
            channel, data = replies.refusal(method, payload, source, ttl - last, *refusal)
        elif reached_target:
            source = router.reply_address(self.family)
            ttl_left = max(1, ttl - len(hops) + 1)
            open_tcp = _dport(payload) in self.scenario.open_tcp_ports
            channel, data = replies.answer(
                method, payload, source, True, ttl_left, router.extensions, open_tcp
            )
        else:
            source = router.address(self.family)
            channel, data = replies.answer(method, payload, source, False, 1, router.extensions)
        self._deliver(now + elapsed, channel, data, source)
        if self.scenario.duplicate_rate and self._rng.random() < self.scenario.duplicate_rate:
            self._deliver(now + elapsed + 0.0005, channel, data, source)

    def _port_open(self, datagram: bytes) -> bool:
        """A listening service swallows the probe: no port-unreachable comes back."""
        return _dport(datagram) in self.scenario.open_udp_ports

    @staticmethod
    def _router(hops: Hops, hop: int, flow: int) -> SimRouter:
        """The router at ``hop`` for this flow (ECMP balances per flow, each router by its
        own hash: two balanced hops in a row make a mesh, as real routers' seeds do)."""
        routers = hops[hop - 1].routers
        if len(routers) == 1:
            return routers[0]
        return routers[_mix(flow ^ (hop * 0x27D4EB2F)) % len(routers)]

    def _round_trip(
        self,
        hops: Hops,
        last: int,
        router: SimRouter,
        reply_loss: float,
        now: float,
        *,
        icmp: bool,
        echo: bool,
    ) -> float | None:
        """Seconds to ``last`` and back, or None where a link or the router drops it."""
        route = self._route(hops)
        noisy = [i for i in route.noisy if i <= last]
        out = 0.0
        for position in noisy:
            crossing = self._crossing(hops[position - 1], position, False, now)
            if crossing is None:
                return None
            out += crossing
        if router.silent or (reply_loss and self._rng.random() < reply_loss):
            return None
        arrival = now + route.out[last] + out
        if icmp and not self.world.allows(router, self.family, arrival, echo=echo):
            return None
        back = 0.0
        for position in reversed(noisy):
            crossing = self._crossing(hops[position - 1], position, True, arrival)
            if crossing is None:
                return None
            back += crossing
        return route.out[last] + route.back[last] + out + back + router.processing_ms / 1000.0

    def _echo_route(self, path: SimPath, address: str, flow: int) -> tuple[Hops, int] | None:
        """The hops a ping to ``address`` crosses and where it ends, if a router of the path
        (in any branch) has that address."""
        candidates = [self._resolve(path, flow)]
        for position, element in enumerate(path.hops):
            if isinstance(element, SimBranches):
                for choice in range(len(element.branches)):
                    candidates.append(self._resolve(path, flow, (position, choice)))
        for hops in candidates:
            for hop, sim_hop in enumerate(hops, 1):
                if any(router.address(self.family) == address for router in sim_hop.routers):
                    return hops, hop
        return None

    def send_echo(self, address: str, payload: bytes) -> int:
        """A ping to a router of the path: answered unless a link, its echo loss or (where
        it limits echo replies too) its ICMP budget drops it."""
        now = self.clock.now()
        path = self.scenario.path_at(now - self._epoch)
        found = self._echo_route(path, address, zlib.crc32(payload[:4] + b"icmp"))
        if found is not None:
            hops, hop = found
            router = next(r for r in hops[hop - 1].routers if r.address(self.family) == address)
            # echo replies are not ICMP errors: a silent router still answers
            elapsed = self._round_trip(
                hops,
                hop,
                replace(router, silent=False),
                router.echo_loss,
                now,
                icmp=True,
                echo=True,
            )
            if elapsed is not None:
                channel, data = self._replies.echo_reply(payload, address)
                self._deliver(now + elapsed, channel, data, address)
        return self._stamp(now)

    # ------------------------------------------------------- other programs
    def _schedule_foreign(self, after: float) -> float:
        rate = self.scenario.foreign_per_second
        return after + self._rng.expovariate(rate) if rate else float("inf")

    def _add_foreign(self, horizon: float) -> None:
        """Packets for other programs: another ping, another tracer, noise."""
        while self._next_foreign <= horizon:
            when = self._next_foreign
            self._next_foreign = self._schedule_foreign(when)
            self._deliver(when, *self._foreign_packet())

    def _foreign_packet(self) -> tuple[Channel, bytes, str]:
        rng = self._rng
        path = self.scenario.path_at(self.clock.now() - self._epoch)
        hops = self._resolve(path, 0)
        router = rng.choice(hops[:-1] or hops).routers[0].address(self.family)
        other_ident = (self.identity.icmp_ident + rng.randrange(1, 0xFFFF)) & 0xFFFF
        seq = rng.randrange(0x10000)
        v6 = self.family is Family.V6
        request = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, other_ident, seq) + bytes(28)
        replies = self._replies
        choice = rng.randrange(4)
        if choice == 0:
            channel, data = replies.echo_reply(request, self.target)
            return channel, data, self.target
        if choice == 1:
            channel, data = replies.icmp_error(ProbeMethod.ICMP, request, router, 1, True)
            return channel, data, router
        if choice == 2:
            udp = struct.pack("!HHHH", rng.randrange(1024, 40000), 33434, 30, 0x1234) + bytes(22)
            channel, data = replies.icmp_error(ProbeMethod.UDP, udp, router, 1, True)
            return channel, data, router
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        return (Channel.ICMP6 if v6 else Channel.ICMP4), noise, router


def _dport(transport: bytes) -> int:
    return struct.unpack_from("!H", transport, 2)[0]
