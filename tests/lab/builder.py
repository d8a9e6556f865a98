"""Build a Topology into network namespaces, and take it down again without leftovers.

Every namespace, device and process belongs to one lab, recorded in a state
file under /run/tracetui-lab before anything is created. A run that dies
without teardown leaves that file behind; the next lab start finds that its
owner is gone and removes what it recorded (its namespaces, the /etc/netns
resolver files, and its processes, by PID, after checking their command line).

Nothing is ever linked to the host's own namespace: veth pairs join two lab
namespaces, and TUN devices are created inside lab namespaces by the
forwarder process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.dns import dnsmasq_config
from lab.topology import DNS_SUBNET, REJECTS, Plan, Topology

STATE_DIR = Path("/run/tracetui-lab")
NETNS_ETC = Path("/etc/netns")
PREFIX = "ttlab"
FORWARDER = Path(__file__).with_name("forwarder.py")
EXTENSION_ROUTER = Path(__file__).with_name("extension_router.py")
EXTENSION_MARK = 0x4884
"""SO_MARK of extension_router.py's replies, which the silencing rules let through."""
_DROP_ALL = (
    "table inet lab {\n chain in {\n  type filter hook input priority 0; policy drop;\n"
    "  icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n }\n}\n"
)
"""A target that answers nothing (but still lets IPv6 find its neighbours)."""


class LabError(RuntimeError):
    pass


def _run(*argv: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def ip(*args: str, ns: str | None = None, check: bool = True) -> None:
    _run("ip", *(("-n", ns) if ns else ()), *args, check=check)


def sysctl(ns: str, values: dict[str, str | int]) -> None:
    pairs = [f"{key}={value}" for key, value in values.items()]
    _run("ip", "netns", "exec", ns, "sysctl", "-qw", *pairs)


def _alive(pid: int, cmd_hint: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return cmd_hint in cmdline


def _stop(pid: int, cmd_hint: str) -> None:
    """End a process this lab started, by PID, after checking it is still that process."""
    if not _alive(pid, cmd_hint):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not _alive(pid, cmd_hint):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def clean_stale_labs() -> list[str]:
    """Remove labs whose owning test run is gone; returns the namespaces removed."""
    removed: list[str] = []
    if not STATE_DIR.is_dir():
        return removed
    for state_file in STATE_DIR.glob("*.json"):
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            state_file.unlink(missing_ok=True)
            continue
        if _alive(state["owner"], ""):
            continue
        for pid, hint in state.get("processes", []):
            _stop(pid, hint)
        for ns in state.get("namespaces", []):
            ip("netns", "del", ns, check=False)
            shutil.rmtree(NETNS_ETC / ns, ignore_errors=True)
            removed.append(ns)
        state_file.with_name(f"{state_file.stem}-dnsmasq.conf").unlink(missing_ok=True)
        state_file.unlink(missing_ok=True)
    return removed


class Lab:
    def __init__(self, topology: Topology, tag: str) -> None:
        self.topology = topology
        self.plan = Plan(topology, f"{PREFIX}{os.getpid() % 100000}{tag}")
        self.state_file = STATE_DIR / f"{self.plan.prefix}.json"
        self._processes: list[tuple[subprocess.Popen, str]] = []
        self._forwarder: subprocess.Popen | None = None

    # ----------------------------------------------------------------- state
    def _save_state(self) -> None:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        state = {
            "owner": os.getpid(),
            "namespaces": self.plan.namespaces,
            "processes": [(p.pid, hint) for p, hint in self._processes],
        }
        self.state_file.write_text(json.dumps(state))

    # ----------------------------------------------------------------- build
    def build(self) -> Lab:
        clean_stale_labs()
        self._save_state()
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def _build(self) -> None:
        plan = self.plan
        for ns in plan.namespaces:
            ip("netns", "add", ns)
            ip("link", "set", "lo", "up", ns=ns)
            self._tune(ns)
        emulated = [w for w in plan.wires if w.link.emulated]
        for wire in plan.wires:
            if not wire.link.emulated:
                ip(
                    "link",
                    "add",
                    wire.up_dev,
                    "netns",
                    wire.upstream,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    wire.down_dev,
                    "netns",
                    wire.downstream,
                )
        if emulated:
            self._start_forwarder(emulated)
        for wire in plan.wires:
            for end, ns, dev in (
                ("up", wire.upstream, wire.up_dev),
                ("down", wire.downstream, wire.down_dev),
            ):
                ip("addr", "add", f"{wire.address(end, 4)}/24", "dev", dev, ns=ns)
                ip("addr", "add", f"{wire.address(end, 6)}/64", "dev", dev, "nodad", ns=ns)
                ip("link", "set", dev, "up", ns=ns)
        for wire in plan.wires:
            if wire.link.mtu is not None:
                ip("link", "set", wire.up_dev, "mtu", str(wire.link.mtu), ns=wire.upstream)
                ip("link", "set", wire.down_dev, "mtu", str(wire.link.mtu), ns=wire.downstream)
        self._routes()
        for node in (n for nodes in plan.stage_nodes for n in nodes):
            router = plan.router_of(node)
            if node != plan.target and (router.silent or router.extensions):
                self._silence(node)
            if node != plan.target and router.extensions:
                self._start_extension_router(node)
            if router.rejects is not None:
                self.set_reject(plan.stage_of(node), router.rejects)
            if node == plan.target and router.drops_all:
                self._nft(node, _DROP_ALL)
        if self.topology.dns:
            self._start_dns()
        self._save_state()
        self._wait_until_reachable()

    def _tune(self, ns: str) -> None:
        """Forwarding on, and ICMP rate limits chosen explicitly, never left to defaults."""
        plan = self.plan
        limited = ns not in (plan.client, plan.target, plan.dns) and plan.router_of(ns).rate_limited
        sysctl(
            ns,
            {
                "net.ipv4.ip_forward": 1,
                "net.ipv6.conf.all.forwarding": 1,
                "net.ipv6.conf.all.accept_dad": 0,
                "net.ipv6.conf.all.keep_addr_on_down": 1,
                "net.ipv6.conf.default.keep_addr_on_down": 1,
                "net.ipv6.conf.default.accept_dad": 0,
                "net.ipv4.conf.all.rp_filter": 0,
                "net.ipv4.conf.default.rp_filter": 0,
                "net.ipv4.fib_multipath_hash_policy": 1,
                "net.ipv6.fib_multipath_hash_policy": 1,
                "net.ipv4.icmp_ratelimit": 1000 if limited else 0,
                "net.ipv6.icmp.ratelimit": 1000 if limited else 0,
                "net.ipv4.icmp_msgs_per_sec": 1000 if limited else 1000000,
                "net.ipv4.icmp_msgs_burst": 50 if limited else 1000000,
                "net.ipv4.ping_group_range": "0 2147483647",
            },
        )

    def _start_forwarder(self, wires) -> None:
        spec = [
            {
                "a_ns": w.upstream,
                "a_dev": w.up_dev,
                "b_ns": w.downstream,
                "b_dev": w.down_dev,
                "delay_ms": w.link.delay_ms,
                "loss_ab": w.link.loss_forward_pct,
                "loss_ba": w.link.loss_back_pct,
                "seed": w.number,
            }
            for w in wires
        ]
        process = subprocess.Popen(
            [sys.executable, str(FORWARDER), json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._processes.append((process, str(FORWARDER)))
        self._forwarder = process
        self._save_state()
        line = process.stdout.readline() if process.stdout else ""
        if line.strip() != "ready":
            error = process.stderr.read() if process.stderr else ""
            raise LabError(f"link forwarder failed: {error.strip()}")

    def _routes(self, only: set[str] | None = None) -> None:
        plan = self.plan
        nodes = [plan.client, *(n for stage in plan.stage_nodes for n in stage)]
        for node in nodes:
            if only is not None and node not in only:
                continue
            ups = plan.upstream_wires(node)
            downs = plan.downstream_wires(node)
            for family in (4, 6):
                flag = "-4" if family == 4 else "-6"
                if downs:
                    self._route(
                        node,
                        flag,
                        "default",
                        [(w.address("down", family), w.up_dev) for w in downs],
                    )
                    behind = {
                        w.prefix(family)
                        for w in plan.wires
                        if plan.stage_of(w.downstream) < plan.stage_of(node) and w not in ups
                    }
                    hops = [(w.address("up", family), w.down_dev) for w in ups]
                    for prefix in sorted(behind):
                        self._route(node, flag, prefix, hops)
                elif ups:
                    self._route(
                        node, flag, "default", [(w.address("up", family), w.down_dev) for w in ups]
                    )

    @staticmethod
    def _route(ns: str, flag: str, prefix: str, hops: list[tuple[str, str]]) -> None:
        if len(hops) == 1:
            ip(flag, "route", "replace", prefix, "via", hops[0][0], "dev", hops[0][1], ns=ns)
            return
        nexthops = [arg for via, dev in hops for arg in ("nexthop", "via", via, "dev", dev)]
        ip(flag, "route", "replace", prefix, *nexthops, ns=ns)

    def _silence(self, ns: str) -> None:
        """The kernel's time-exceeded and unreachable messages are dropped on their way
        out; an extension router's own (marked ``EXTENSION_MARK``) pass."""
        rules = (
            "table inet lab {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
            f"  meta mark {EXTENSION_MARK:#x} accept\n"
            "  icmp type { time-exceeded, destination-unreachable } drop\n"
            "  icmpv6 type { time-exceeded, destination-unreachable } drop\n }\n}\n"
        )
        self._nft(ns, rules)

    @staticmethod
    def _nft(ns: str, rules: str) -> None:
        done = subprocess.run(
            ["ip", "netns", "exec", ns, "nft", "-f", "-"],
            input=rules,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise LabError(f"nft in {ns}: {done.stderr.strip()}")

    def set_target_drops_all(self, drops: bool) -> None:
        """Make the target answer nothing (a firewalled host, a black hole), or answer again."""
        target = self.plan.target
        self._nft(target, "table inet lab\ndelete table inet lab\n")
        if drops:
            self._nft(target, _DROP_ALL)

    def set_reject(self, hop: int, kind: str | None) -> None:
        """Make every router of ``hop`` refuse (REJECTS kind) to forward to the target, or not."""
        plan = self.plan
        target4, target6 = plan.target_address(4), plan.target_address(6)
        for node in plan.stage_nodes[hop - 1]:
            self._nft(node, "table inet refuse\ndelete table inet refuse\n")
            if kind is None:
                continue
            icmp, icmpv6 = REJECTS[kind]
            self._nft(
                node,
                "table inet refuse {\n chain forwarding {\n"
                "  type filter hook forward priority 0; policy accept;\n"
                f"  ip daddr {target4} reject with icmp type {icmp}\n"
                f"  ip6 daddr {target6} reject with icmpv6 type {icmpv6}\n }}\n}}\n",
            )

    def _start_extension_router(self, node: str) -> None:
        settings = self.plan.extension_settings(node)
        settings["ifindex"] = self.ifindex(node, settings["dev"])
        settings["mark"] = EXTENSION_MARK
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                node,
                sys.executable,
                str(EXTENSION_ROUTER),
                json.dumps(settings),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._processes.append((process, "extension_router"))
        self._save_state()
        line = process.stdout.readline() if process.stdout else ""
        if line.strip() != "ready":
            error = process.stderr.read() if process.stderr else ""
            raise LabError(f"extension router in {node} failed: {error.strip()}")

    def ifindex(self, ns: str, dev: str) -> int:
        done = _run("ip", "netns", "exec", ns, "cat", f"/sys/class/net/{dev}/ifindex")
        return int(done.stdout.strip())

    def _start_dns(self) -> None:
        plan = self.plan
        ip(
            "link",
            "add",
            "dns0",
            "netns",
            plan.client,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            plan.dns,
        )
        for ns, dev, host in ((plan.client, "dns0", 1), (plan.dns, "eth0", 2)):
            ip("addr", "add", f"198.18.{DNS_SUBNET}.{host}/24", "dev", dev, ns=ns)
            ip("addr", "add", f"2001:db8:{DNS_SUBNET:x}::{host}/64", "dev", dev, "nodad", ns=ns)
            ip("link", "set", dev, "up", ns=ns)
        config = Path(STATE_DIR / f"{plan.prefix}-dnsmasq.conf")
        config.write_text(dnsmasq_config(plan, self.dns_address(4), self.dns_address(6)))
        etc = NETNS_ETC / plan.client
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(f"nameserver {self.dns_address(4)}\n")
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                plan.dns,
                "dnsmasq",
                "--keep-in-foreground",
                f"--conf-file={config}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._processes.append((process, "dnsmasq"))
        self._save_state()

    def dns_address(self, family: int) -> str:
        return f"198.18.{DNS_SUBNET}.2" if family == 4 else f"2001:db8:{DNS_SUBNET:x}::2"

    def _wait_until_reachable(self) -> None:
        """Routes and IPv6 addresses settle in a moment; wait for the target to answer.

        A target that answers nothing, or one behind a refusing router, is waited
        for through the first router instead.
        """
        stages = self.topology.stages
        blocked = stages[-1].routers[0].drops_all or any(
            router.rejects for stage in stages for router in stage.routers
        )
        for family in (4, 6):
            target = self.plan.target_address(family)
            if blocked:
                target = sorted(self.plan.hop_addresses(1, family))[0]
            deadline = time.monotonic() + 10
            while True:
                done = self.exec("ping", f"-{family}", "-c", "1", "-W", "1", target, check=False)
                if done.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise LabError(f"lab target {target} unreachable: {done.stdout}{done.stderr}")
                time.sleep(0.1)
        if self.topology.dns:
            deadline = time.monotonic() + 10
            while not self._dns_answers():
                exited = [
                    p for p, hint in self._processes if hint == "dnsmasq" and p.poll() is not None
                ]
                if exited or time.monotonic() > deadline:
                    error = exited[0].stderr.read() if exited and exited[0].stderr else "timeout"
                    raise LabError(f"dnsmasq did not start in the lab: {error.strip()}")
                time.sleep(0.1)

    def _dns_answers(self) -> bool:
        code = (
            "import dns.resolver,sys;r=dns.resolver.Resolver(configure=False);"
            f"r.nameservers=['{self.dns_address(4)}'];r.lifetime=0.5;"
            f"r.resolve('{self.topology.target_name}','A')"
        )
        done = self.exec(sys.executable, "-c", code, check=False)
        return done.returncode == 0

    # ------------------------------------------------------------------ use
    def exec(
        self, *argv: str, check: bool = True, timeout: float = 300, ns: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the client namespace (where tracetui runs)."""
        done = subprocess.run(
            ["ip", "netns", "exec", ns or self.plan.client, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise LabError(f"{' '.join(argv)} -> {done.returncode}: {done.stderr.strip()}")
        return done

    def popen(self, *argv: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.plan.client, *argv], **kwargs)

    def tracetui(
        self, *args: str, check: bool = True, **kwargs
    ) -> subprocess.CompletedProcess[str]:
        return self.exec(sys.executable, "-m", "tracetui", *args, check=check, **kwargs)

    def set_link(self, hop: int, up: bool) -> None:
        """Take the links into a stage down (the path goes dark) or back up.

        Bringing an interface down flushes the routes through it, as on a real
        router; bringing it back restores the interface and those routes.
        """
        touched: set[str] = set()
        for node in self.plan.stage_nodes[hop - 1]:
            for wire in self.plan.upstream_wires(node):
                ip("link", "set", wire.down_dev, "up" if up else "down", ns=wire.downstream)
                touched |= {wire.upstream, wire.downstream}
        if up:
            self._routes(only=touched)

    def stop_dns(self) -> None:
        for process, hint in self._processes:
            if hint == "dnsmasq":
                for pid in self.exec(
                    "ip", "netns", "pids", self.plan.dns, check=False
                ).stdout.split():
                    _stop(int(pid), "dnsmasq")
                process.wait(timeout=5)

    # ------------------------------------------------------------- teardown
    def teardown(self) -> None:
        for process, hint in self._processes:
            if process.poll() is None:
                _stop(process.pid, hint)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        if self.topology.dns:
            # dnsmasq forks nothing with -k, but ip netns exec may leave it as a child
            done = _run("ip", "netns", "pids", self.plan.dns, check=False)
            for pid in done.stdout.split():
                _stop(int(pid), "dnsmasq")
        for ns in self.plan.namespaces:
            ip("netns", "del", ns, check=False)
            shutil.rmtree(NETNS_ETC / ns, ignore_errors=True)
        (STATE_DIR / f"{self.plan.prefix}-dnsmasq.conf").unlink(missing_ok=True)
        self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> Lab:
        return self.build()

    def __exit__(self, *exc: object) -> None:
        self.teardown()
