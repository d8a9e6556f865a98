"""Shared fixtures: the lab networks (built once per session, torn down at the end)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lab.builder import Lab
from lab.requirements import missing
from lab.terminal import Terminal, have_tmux
from lab.topology import Link, Router, Stage, Topology
from unavailable import unavailable

MAIN_TOPOLOGY = Topology(
    stages=(
        Stage((Router(name="r1.lab.example", asn=64501),), Link(delay_ms=1.0)),
        Stage((Router(name="r2.lab.example", asn=64502),), Link(delay_ms=2.0)),
        Stage(
            (Router(name="r3a.lab.example", asn=64503), Router(name="r3b.lab.example", asn=64503)),
            Link(delay_ms=1.0),
        ),
        Stage((Router(silent=True),), Link()),
        Stage((Router(),), Link(delay_ms=1.0)),
        Stage((Router(),), Link(delay_ms=0.5)),
    )
)
"""Hop 3 is an ECMP pair, hop 4 never answers, hop 5 has no DNS name; hop 6 is the target."""

LOSSY_TOPOLOGY = Topology(
    stages=(
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5, loss_forward_pct=10.0)),
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
    ),
    dns=False,
)
"""10 % loss towards the target on the link into hop 3."""


FAULT_TOPOLOGY = Topology(
    stages=(
        Stage((Router(name="f1.lab.example", asn=64511),), Link(delay_ms=0.5)),
        Stage((Router(name="f2.lab.example", asn=64512),), Link(delay_ms=0.5)),
        Stage((Router(),), Link(delay_ms=0.5)),
    ),
    target_name="fault-target.lab.example",
)
"""For tests that break things (its DNS server gets killed): a fresh one per test."""

RATE_LIMITED_TOPOLOGY = Topology(
    stages=(
        Stage(link=Link(delay_ms=0.5)),
        Stage((Router(rate_limited=True),), Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
    ),
    dns=False,
)
"""Hop 2 keeps the kernel's default ICMP rate limit, as real routers do."""


DIAGNOSE_TOPOLOGY = Topology(
    stages=(
        Stage(link=Link(delay_ms=0.5)),
        Stage((Router(rate_limited=True),), Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5)),
        Stage(link=Link(delay_ms=0.5, loss_forward_pct=8.0)),
        Stage((Router(silent=True),), Link()),
        Stage(link=Link(delay_ms=0.5)),
    ),
    dns=False,
)
"""Hop 2 keeps the kernel's ICMP rate limit, 8 % loss towards the target into hop 4,
hop 5 never answers: every verdict about loss on one path."""

EDGE_TOPOLOGY = Topology(
    stages=(
        Stage(link=Link()),
        Stage(link=Link(mtu=1280)),
        Stage(link=Link()),
    ),
    dns=False,
)
"""Three clean hops; the link into hop 2 carries at most 1280 bytes. Tests make router 2
refuse (set_reject) or the target answer nothing (set_target_drops_all)."""


EXTENSION_TOPOLOGY = Topology(
    stages=(
        Stage((Router(),), Link(delay_ms=1.0)),
        Stage((Router(extensions=True),), Link(delay_ms=1.0)),
        Stage((Router(extensions=True),), Link()),
        Stage((Router(),), Link(delay_ms=0.5)),
    ),
    dns=False,
)
"""Hops 2 and 3 answer as MPLS routers do (tests/lab/extension_router.py): a label stack
and their incoming interface in every time-exceeded; hop 4 is the target."""


def _require_lab() -> None:
    reason = missing()
    if reason is None:
        return
    unavailable(reason)


@pytest.fixture
def lab_ready() -> None:
    """For tests that build their own labs: skip (or fail under CI) without what labs need."""
    _require_lab()


@pytest.fixture(scope="module")
def module_lab_ready() -> None:
    """As ``lab_ready``, for a module's own labs built once (a module-scoped fixture)."""
    _require_lab()


@pytest.fixture(scope="session")
def mtr() -> str:
    """Real mtr 0.95 (Debian's mtr-tiny), for the tests that compare with it."""
    path = shutil.which("mtr")
    if path is None:
        unavailable("mtr (Debian's mtr-tiny) is needed to compare with it")
    return path


@pytest.fixture(scope="session")
def main_lab():
    _require_lab()
    with Lab(MAIN_TOPOLOGY, "m") as lab:
        yield lab


@pytest.fixture
def fault_lab():
    _require_lab()
    with Lab(FAULT_TOPOLOGY, "f") as lab:
        yield lab


@pytest.fixture(scope="session")
def rate_limited_lab():
    _require_lab()
    with Lab(RATE_LIMITED_TOPOLOGY, "r") as lab:
        yield lab


@pytest.fixture(scope="session")
def diagnose_lab():
    _require_lab()
    with Lab(DIAGNOSE_TOPOLOGY, "d") as lab:
        yield lab


@pytest.fixture(scope="session")
def extension_lab():
    _require_lab()
    with Lab(EXTENSION_TOPOLOGY, "x") as lab:
        yield lab


@pytest.fixture(scope="session")
def edge_lab():
    _require_lab()
    with Lab(EDGE_TOPOLOGY, "e") as lab:
        yield lab


@pytest.fixture(scope="session")
def lossy_lab():
    _require_lab()
    with Lab(LOSSY_TOPOLOGY, "l") as lab:
        yield lab


@pytest.fixture(autouse=True)
def _privileges_stay(request):
    """A test that ran tracetui in-process must not have dropped the suite's own privileges."""
    before = Path("/proc/self/status").read_text().split("CapEff:")[1].split()[0]
    yield
    after = Path("/proc/self/status").read_text().split("CapEff:")[1].split()[0]
    assert after == before, "this test dropped the test process's privileges"


@pytest.fixture
def terminal():
    """Start a command in a fresh terminal of the given size; closed after the test."""
    if not have_tmux():
        unavailable("tmux is needed to drive the live screen")
    opened: list[Terminal] = []

    def start(command: str, columns: int = 120, rows: int = 34) -> Terminal:
        opened.append(Terminal(command, columns, rows))
        return opened[-1]

    yield start
    for term in opened:
        term.close()
