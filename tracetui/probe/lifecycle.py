"""Where every probe is in its life, held in one place with every transition in one place.

A probe is *awaited* from the moment the kernel accepts it until a reply
proves it was answered or its timeout passes. Every other state is final:

- ``ANSWERED``: a reply that quotes it arrived in time.
- ``LOST``: its timeout passed first (or its reply came too late by the
  kernel's own stamps).
- ``DISCARDED``: it turned out to be beyond the end of the path; it never counts.
- ``VOID``: probing restarted (reset, method switch), or its flow was abandoned for
  another (see SplitFlowCodec), while it was awaited.

A probe the kernel refused to send (ENOBUFS, EPERM from a firewall, no route)
never enters the ledger: the engine reports it as failed at once, so it can
never become a hop's loss.

The final state of recently settled keys is remembered (bounded), so a second
reply to a probe is told apart from a late one, a stale one or a stranger's.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterator

MAX_SETTLED = 8192


class ProbeState(enum.Enum):
    AWAITED = "awaited"
    ANSWERED = "answered"
    LOST = "lost"
    DISCARDED = "discarded"
    VOID = "void"


class Probe:
    """One probe in flight; ``stamp`` is its send time in transport nanoseconds.

    ``address`` is set for a triage ping, which goes to a hop's router, not the target.
    """

    __slots__ = ("ttl", "round", "sent_at", "stamp", "address")

    def __init__(
        self, ttl: int, round_: int, sent_at: float, stamp: int, address: str = ""
    ) -> None:
        self.ttl = ttl
        self.round = round_
        self.sent_at = sent_at
        self.stamp = stamp
        self.address = address


class ProbeLedger:
    """Awaited probes by key, their deadlines in send order, and recent final states."""

    def __init__(self, key_space: int, max_settled: int = MAX_SETTLED) -> None:
        self.key_space = key_space
        self._awaited: dict[int, Probe] = {}
        self._deadlines: deque[tuple[float, int, Probe]] = deque()
        self._settled: dict[int, ProbeState] = {}
        self._max_settled = max_settled
        self._next_in: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._awaited)

    @property
    def sizes(self) -> tuple[int, int, int]:
        """Entries held (awaited, deadlines, settled): bounded, whatever the run length."""
        return len(self._awaited), len(self._deadlines), len(self._settled)

    def allocate(self, low: int = 0, high: int | None = None) -> int | None:
        """A key in [low, high) no awaited probe holds, round-robin within that range so
        keys are reused as late as possible (a codec may encode two flows in two ranges)."""
        high = self.key_space if high is None else high
        space = high - low
        awaited = self._awaited
        key = self._next_in.get(low, low)
        for _ in range(space):
            if key >= high:
                key = low
            if key not in awaited:
                self._next_in[low] = key + 1
                self._settled.pop(key, None)
                return key
            key += 1
        return None

    def await_reply(self, key: int, probe: Probe, deadline: float) -> None:
        self._awaited[key] = probe
        self._deadlines.append((deadline, key, probe))

    def get(self, key: int) -> Probe | None:
        return self._awaited.get(key)

    def state_of(self, key: int) -> ProbeState | None:
        """``AWAITED``, a remembered final state, or None for a key we know nothing of."""
        if key in self._awaited:
            return ProbeState.AWAITED
        return self._settled.get(key)

    def settle(self, key: int, state: ProbeState) -> Probe | None:
        """Move an awaited probe to a final state; None when it was not awaited."""
        probe = self._awaited.pop(key, None)
        if probe is not None:
            self._remember(key, state)
        return probe

    def mark(self, key: int, state: ProbeState) -> None:
        """Change the remembered final state of a settled key (e.g. answered, then discarded)."""
        if key in self._settled:
            self._settled[key] = state

    def expired(self, now: float) -> Iterator[tuple[int, Probe]]:
        """Awaited probes whose deadline has passed, settled as LOST while iterating."""
        deadlines = self._deadlines
        awaited = self._awaited
        while deadlines and deadlines[0][0] <= now:
            _, key, probe = deadlines.popleft()
            if awaited.get(key) is probe:
                del awaited[key]
                self._remember(key, ProbeState.LOST)
                yield key, probe

    def next_deadline(self) -> float | None:
        deadlines = self._deadlines
        awaited = self._awaited
        while deadlines and awaited.get(deadlines[0][1]) is not deadlines[0][2]:
            deadlines.popleft()  # answered long before its deadline
        return deadlines[0][0] if deadlines else None

    def void_where(self, doomed: Callable[[int, Probe], bool]) -> list[Probe]:
        """Void the awaited probes ``doomed`` picks (their flow was abandoned)."""
        keys = [key for key, probe in self._awaited.items() if doomed(key, probe)]
        for key in keys:
            self._remember(key, ProbeState.VOID)
        return [self._awaited.pop(key) for key in keys]

    def void_all(self) -> None:
        for key in self._awaited:
            self._remember(key, ProbeState.VOID)
        self._awaited = {}
        self._deadlines.clear()

    def _remember(self, key: int, state: ProbeState) -> None:
        settled = self._settled
        settled[key] = state
        if len(settled) > self._max_settled:
            del settled[next(iter(settled))]
