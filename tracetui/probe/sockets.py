"""Transports over real sockets: raw (privileged) and unprivileged (ping sockets for
ICMP, a socket per probe for UDP and TCP).

Round trips are kernel receive stamps (SO_TIMESTAMPNS, CLOCK_REALTIME) minus
the kernel's software transmit stamp of the same packet (SO_TIMESTAMPING, same
clock) where the socket has one (raw sockets), else a CLOCK_REALTIME stamp taken
immediately before ``sendmsg`` as iputils ping does. The TTL travels with each
probe as ancillary data, so a round costs one system call per probe.

Raw mode opens every socket any method needs up front, because privileges are
dropped right after and the screen may switch methods later.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import select
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from tracetui.probe.channels import Channel, decode
from tracetui.probe.codec import LocalIdentity
from tracetui.probe.errqueue import IP_RECVERR, IPV6_RECVERR, queued_error
from tracetui.probe.packets import quoted_ipv4, quoted_ipv6
from tracetui.probe.probe_sockets import ProbeSockets
from tracetui.probe.types import Family, Observation, ProbeMethod, ReplyKind, SocketOptions

SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SO_TIMESTAMPING = 37
# software transmit stamps, reported on the error queue with the packet as sent
TX_STAMPS = (1 << 1) | (1 << 4)
SOL_RAW = 255
ICMP_FILTER = 1
ICMP6_FILTER = 1
IPV6_HOPLIMIT = 52
IP_MTU_DISCOVER = 10
IPV6_MTU_DISCOVER = 23
IPV6_DONTFRAG = 62
PMTUDISC_PROBE = 3
"""Set DF and ignore the cached path MTU: a probe leaves at the size asked, or not at all."""
RECEIVE_BUFFER = 8 << 20
ECHO_TTL = 64
MAX_BATCH = 2048
PENDING_ERROR_RETRIES = 4

_TIMESPEC = struct.Struct("qq")
TTL_CMSG = [struct.pack("i", ttl) for ttl in range(256)]


class PrivilegeError(Exception):
    """No way to send probes; the message names the remedies."""


class OptionError(Exception):
    """A socket option asked for (mtr's -I, -a, -Q, -M, -L) cannot be had; one line why."""


SO_MARK = 36
IPV6_TCLASS = 67
NO_OPTIONS = SocketOptions()


def _apply_options(sock: socket.socket, family: Family, options: SocketOptions) -> None:
    """The per-socket part of mtr's -I, -Q, -M and -a (as far as this socket's family goes)."""
    try:
        if options.interface is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, options.interface.encode())
    except OSError as exc:
        raise OptionError(f"cannot use interface {options.interface}: {exc.strerror}") from None
    try:
        if options.tos:
            set_tos(sock, family, options.tos)
    except OSError as exc:
        raise OptionError(f"cannot set TOS {options.tos}: {exc.strerror}") from None
    try:
        if options.mark is not None:
            sock.setsockopt(socket.SOL_SOCKET, SO_MARK, options.mark)
    except OSError as exc:
        raise OptionError(f"cannot set mark {options.mark}: {exc.strerror}") from None
    address = options.address
    if address is not None and (":" in address) == (family is Family.V6):
        try:
            sock.bind((address, 0))
        except OSError as exc:
            raise OptionError(f"cannot send from {address}: {exc.strerror}") from None


def set_tos(sock: socket.socket, family: Family, tos: int) -> None:
    """mtr's -Q on one socket: the IPv4 TOS byte or the IPv6 traffic class."""
    if family is Family.V4:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, tos)


def tos_cmsg(family: Family, tos: int) -> tuple[int, int, bytes]:
    """The TOS of one send as ancillary data, for a socket other targets share."""
    if family is Family.V4:
        return (socket.IPPROTO_IP, socket.IP_TOS, struct.pack("i", tos))
    return (socket.IPPROTO_IPV6, IPV6_TCLASS, struct.pack("i", tos))


def _never_fragment(sock: socket.socket, family: Family) -> None:
    """Probes keep the size asked: DF set, never fragmented by this host.

    Without this the kernel would learn a smaller path MTU from the first
    fragmentation-needed and then silently fragment every later probe, so the
    numbers would change meaning behind the user's back. A probe larger than
    the local interface's MTU now fails to send (EMSGSIZE), which is reported.
    """
    with contextlib.suppress(OSError):
        if family is Family.V4:
            sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC_PROBE)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC_PROBE)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 1)


def read_replies(
    sock: socket.socket, channel: Channel, malformed: Counter[str]
) -> Iterator[tuple[Observation, int]]:
    """The replies waiting on ``sock`` (a batch at most), decoded, each with its kernel
    receive stamp; what is no reply, and a socket error, are counted in ``malformed``."""
    recvmsg = sock.recvmsg
    for _ in range(MAX_BATCH):
        try:
            data, ancillary, _flags, address = recvmsg(2048, 256)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            malformed["socket error"] += 1
            return
        obs = decode(channel, data, address[0])
        if obs is None:
            malformed["not a reply"] += 1
        else:
            yield obs, kernel_stamp(ancillary)


def read_transmit_stamps(
    sock: socket.socket, family: Family, limit: int, malformed: Counter[str]
) -> Iterator[tuple[Observation, int]]:
    """Up to ``limit`` kernel transmit stamps from ``sock``'s error queue, each with the
    probe it stamps (the packet comes back whole: found as a quoted probe is)."""
    quoted = quoted_ipv4 if family is Family.V4 else quoted_ipv6
    recvmsg = sock.recvmsg
    for _ in range(min(limit, MAX_BATCH)):
        try:
            data, ancillary, _flags, _address = recvmsg(2048, 512, ERRQUEUE_NOW)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            malformed["socket error"] += 1
            return
        stamp = transmit_stamp(ancillary)
        probe = quoted(ReplyKind.TIME_EXCEEDED, 0, "", data) if stamp else None
        if probe is not None:
            yield probe, stamp


def receive_setup(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)


def kernel_stamp(ancillary: list[tuple[int, int, bytes]]) -> int:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanos = _TIMESPEC.unpack_from(data)
            return seconds * 1_000_000_000 + nanos
    return time.time_ns()


ERRQUEUE_NOW = socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT


def transmit_stamp(ancillary: list[tuple[int, int, bytes]]) -> int:
    """The software stamp (first of three timespecs) of an SCM_TIMESTAMPING message; 0 if none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING and len(data) >= 16:
            seconds, nanos = _TIMESPEC.unpack_from(data)
            return seconds * 1_000_000_000 + nanos
    return 0


def local_source(family: Family, target: str, options: SocketOptions = NO_OPTIONS) -> str:
    """The address the kernel would send from: connect() a UDP socket, send nothing."""
    if options.address is not None:
        return options.address
    af = socket.AF_INET if family is Family.V4 else socket.AF_INET6
    with socket.socket(af, socket.SOCK_DGRAM) as probe:
        if options.interface is not None:
            with contextlib.suppress(OSError):
                probe.setsockopt(
                    socket.SOL_SOCKET, socket.SO_BINDTODEVICE, options.interface.encode()
                )
        probe.connect((target, 9))
        return probe.getsockname()[0]


class _Waker:
    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self.write_fd, b"!")

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 512):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


class _PollingTransport:
    """Shared by both transports: a wait only commands interrupt, and a drain of every socket."""

    family: Family
    target: str
    identity: LocalIdentity
    methods: frozenset[ProbeMethod]

    def __init__(self) -> None:
        self.malformed: Counter[str] = Counter()
        self._waker = _Waker()
        self._poll = select.epoll()
        self._poll.register(self._waker.read_fd, select.EPOLLIN)
        self._readers: list[Callable[[list[tuple[Observation, int]]], None]] = []
        self._owned: list[socket.socket] = []

    def _watch(self, reader: Callable[[list[tuple[Observation, int]]], None]) -> None:
        """Readers are called on every drain; sockets never wake the wait (see Engine.run)."""
        self._readers.append(reader)

    def drain(self) -> Sequence[tuple[Observation, int]]:
        out: list[tuple[Observation, int]] = []
        for read in self._readers:
            read(out)
        return out

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        """Kernel transmit stamps, where the transport has them (see RawTransport)."""
        return ()

    def wait(self, timeout: float) -> None:
        try:
            events = self._poll.poll(timeout)
        except InterruptedError:
            return
        if events:
            self._waker.drain()

    def wake(self) -> None:
        self._waker.wake()

    def close(self) -> None:
        self._poll.close()
        for sock in self._owned:
            sock.close()
        self._waker.close()


class RawSockets:
    """Raw ICMP, UDP and TCP sockets of one address family, opened while privileged."""

    def __init__(self, family: Family, options: SocketOptions = NO_OPTIONS) -> None:
        v4 = family is Family.V4
        af = socket.AF_INET if v4 else socket.AF_INET6
        icmp_proto = socket.IPPROTO_ICMP if v4 else socket.IPPROTO_ICMPV6
        self.family = family
        self.icmp = socket.socket(af, socket.SOCK_RAW, icmp_proto)
        try:
            self.udp = socket.socket(af, socket.SOCK_RAW, socket.IPPROTO_UDP)
            self.tcp = socket.socket(af, socket.SOCK_RAW, socket.IPPROTO_TCP)
        except OSError:
            self.icmp.close()
            raise
        for sock in (self.icmp, self.tcp):
            # replies wait in the kernel between reads (Engine.run): room for bursts,
            # beyond net.core.rmem_max, which only a privileged process may ask for
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
        self.options = options
        try:
            for sock in (self.icmp, self.udp, self.tcp):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, TX_STAMPS)
                _never_fragment(sock, family)
                _apply_options(sock, family, options)
        except OptionError:
            self.close()
            raise

    def close(self) -> None:
        for sock in (self.icmp, self.udp, self.tcp):
            sock.close()


def open_raw_sockets(options: SocketOptions = NO_OPTIONS) -> dict[Family, RawSockets]:
    """Every raw socket a run could need, for both families; empty without privileges.

    Called before privileges are dropped and before the target is known, so
    that name resolution already runs as the invoking user. Raises OptionError
    when a socket option asked for cannot be set.
    """
    opened: dict[Family, RawSockets] = {}
    for family in Family:
        try:
            opened[family] = RawSockets(family, options)
        except PermissionError:
            break
        except OptionError:
            for sockets in opened.values():
                sockets.close()
            raise
        except OSError:
            continue  # e.g. IPv6 disabled in this kernel
    return opened


class RawTransport(_PollingTransport):
    def __init__(self, family: Family, target: str, sockets: RawSockets) -> None:
        super().__init__()
        self.family = family
        self.target = target
        v4 = family is Family.V4
        af = socket.AF_INET if v4 else socket.AF_INET6
        self._ttl_level = socket.IPPROTO_IP if v4 else socket.IPPROTO_IPV6
        self._ttl_option = socket.IP_TTL if v4 else IPV6_HOPLIMIT
        icmp, udp, tcp = sockets.icmp, sockets.udp, sockets.tcp
        self._owned += [icmp, udp, tcp]
        # send-only: the kernel copies every incoming UDP packet to a raw UDP socket, so
        # give it the smallest buffer there is rather than let it fill with strangers'
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 0)
        for sock in (icmp, tcp):
            receive_setup(sock)
        self._limit_icmp_types(icmp, v4)
        source = local_source(family, target, sockets.options)
        localport = sockets.options.localport
        self.identity = LocalIdentity(
            source=source,
            icmp_ident=(os.getpid() ^ random.getrandbits(16)) & 0xFFFF,
            udp_port=self._reserve_port(af, socket.SOCK_DGRAM, source, localport or 0),
            tcp_port=self._reserve_port(af, socket.SOCK_STREAM, source),
            isn_base=random.getrandbits(32),
        )
        self.methods = frozenset(ProbeMethod)
        self._senders = {ProbeMethod.ICMP: icmp, ProbeMethod.UDP: udp, ProbeMethod.TCP: tcp}
        self._address = (target, 0)
        self._watch(self._reader(icmp, Channel.ICMP4 if v4 else Channel.ICMP6))
        self._watch(self._reader(tcp, Channel.TCP4 if v4 else Channel.TCP6))

    def sent_stamps(self, method: ProbeMethod, limit: int) -> Sequence[tuple[Observation, int]]:
        """When probes of ``method`` really left (at most ``limit``): kernel stamp and packet.

        A stamp taken in Python before sendmsg runs tens of microseconds early,
        and in the live screen a thread switch can fall between the two; the
        kernel stamps the packet as it goes to the device. The packet comes back
        whole, so the engine finds its probe the way it matches a quoted probe.
        """
        sock = self._senders[method]
        return list(read_transmit_stamps(sock, self.family, limit, self.malformed))

    def _reserve_port(self, af: int, kind: int, source: str, port: int = 0) -> int:
        """Hold a real socket on our source port so no other program gets it meanwhile."""
        holder = socket.socket(af, kind)
        try:
            holder.bind((source, port))
        except OSError as exc:
            holder.close()
            raise OptionError(f"cannot use local port {port}: {exc.strerror}") from None
        self._owned.append(holder)
        return holder.getsockname()[1]

    @staticmethod
    def _limit_icmp_types(sock: socket.socket, v4: bool) -> None:
        """Let the kernel drop ICMP types we never use before they reach Python."""
        if v4:
            wanted = (0, 3, 11)
            mask = 0xFFFFFFFF
            for icmp_type in wanted:
                mask &= ~(1 << icmp_type)
            sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", mask))
        else:
            words = [0xFFFFFFFF] * 8  # bit set = block
            for icmp_type in (1, 2, 3, 129):
                words[icmp_type >> 5] &= ~(1 << (icmp_type & 31))
            sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *words))

    def _reader(
        self, sock: socket.socket, channel: Channel
    ) -> Callable[[list[tuple[Observation, int]]], None]:
        malformed = self.malformed

        def read(out: list[tuple[Observation, int]]) -> None:
            out.extend(read_replies(sock, channel, malformed))

        return read

    def set_tos(self, tos: int) -> None:
        for sock in self._senders.values():
            set_tos(sock, self.family, tos)

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        sock = self._senders[method]
        stamp = time.time_ns()
        sock.sendmsg(
            [payload], [(self._ttl_level, self._ttl_option, TTL_CMSG[ttl])], 0, self._address
        )
        return stamp

    def send_echo(self, address: str, payload: bytes) -> int:
        sock = self._senders[ProbeMethod.ICMP]
        stamp = time.time_ns()
        ttl = [(self._ttl_level, self._ttl_option, TTL_CMSG[ECHO_TTL])]
        sock.sendmsg([payload], ttl, 0, (address, 0))
        return stamp


class UnprivilegedTransport(_PollingTransport):
    """Every probe method without privileges.

    ICMP echo goes through Linux ping sockets where net.ipv4.ping_group_range
    allows them: the kernel assigns the echo identifier and delivers only our
    echo replies; ICMP errors about our probes arrive on the socket's error
    queue (IP_RECVERR). UDP and TCP go through one ordinary socket per probe
    (see probe_sockets.py), so they work for any user.
    """

    def __init__(
        self, family: Family, target: str, options: SocketOptions = NO_OPTIONS, linger: float = 3.0
    ) -> None:
        super().__init__()
        self.family = family
        self.target = target
        if options.localport is not None:
            raise OptionError(
                "-L/--localport needs raw sockets (run tracetui as root): without them "
                "every UDP probe has a port of its own"
            )
        v4 = family is Family.V4
        self._ttl_level = socket.IPPROTO_IP if v4 else socket.IPPROTO_IPV6
        self._ttl_option = socket.IP_TTL if v4 else IPV6_HOPLIMIT
        self._proto = socket.IPPROTO_ICMP if v4 else socket.IPPROTO_ICMPV6
        self._ping = self._open_ping_socket(options)
        self._address = (target, 0)

        self._options = options

        def configure(sock: socket.socket) -> None:
            _apply_options(sock, family, self._options)  # the TOS of now (set_tos)
            _never_fragment(sock, family)

        with socket.socket(socket.AF_INET if v4 else socket.AF_INET6, socket.SOCK_DGRAM) as trial:
            configure(trial)  # a bad -I, -a, -Q or -M fails here, before the first probe
        self._probes = ProbeSockets(family, target, configure, linger)
        self._poll.register(self._probes.waking.fileno(), select.EPOLLIN)
        icmp_ident = self._ping.getsockname()[1] if self._ping else random.getrandbits(16)
        self.identity = LocalIdentity(
            source=local_source(family, target, options),
            icmp_ident=icmp_ident,
            udp_port=0,
            tcp_port=0,
            isn_base=random.getrandbits(32),
        )
        methods = {ProbeMethod.UDP, ProbeMethod.TCP}
        if self._ping is not None:
            methods.add(ProbeMethod.ICMP)
            self._watch(self._read)
        self.methods = frozenset(methods)
        self._watch(self._read_probe_sockets)

    def _open_ping_socket(self, options: SocketOptions) -> socket.socket | None:
        v4 = self.family is Family.V4
        af = socket.AF_INET if v4 else socket.AF_INET6
        try:
            sock = socket.socket(af, socket.SOCK_DGRAM, self._proto)
        except PermissionError:
            return None
        self._owned.append(sock)
        _apply_options(sock, self.family, options._replace(address=None))
        sock.bind((options.address or ("0.0.0.0" if v4 else "::"), 0))
        receive_setup(sock)
        _never_fragment(sock, self.family)
        sock.setsockopt(self._ttl_level, IP_RECVERR if v4 else IPV6_RECVERR, 1)
        return sock

    def set_tos(self, tos: int) -> None:
        self._options = self._options._replace(tos=tos)
        if self._ping is not None:
            set_tos(self._ping, self.family, tos)

    def send(self, method: ProbeMethod, payload: bytes, ttl: int) -> int:
        if method is not ProbeMethod.ICMP:
            return self._probes.send(method, payload, ttl, time.monotonic())
        if self._ping is None:
            raise OSError(errno.EPERM, "ICMP needs ping sockets or root")
        return self._ping_send(payload, ttl, self._address)

    def send_echo(self, address: str, payload: bytes) -> int:
        if self._ping is None:
            raise OSError(errno.EPERM, "ICMP needs ping sockets or root")
        return self._ping_send(payload, ECHO_TTL, (address, 0))

    def _ping_send(self, payload: bytes, ttl: int, address: tuple[str, int]) -> int:
        """Send on the ping socket, again if a send only reported an old error.

        With IP_RECVERR a ping socket queues each ICMP error *and* leaves it pending
        (sk_err), and the next send returns that error instead of sending: the probe
        would count as failed though nothing was wrong with it. The pending error is
        consumed by that attempt, so the next one sends, or fails for real; more
        errors may arrive meanwhile while a round's replies stream in.
        """
        assert self._ping is not None
        ancillary = [(self._ttl_level, self._ttl_option, TTL_CMSG[ttl])]
        for attempt in range(PENDING_ERROR_RETRIES, -1, -1):
            stamp = time.time_ns()
            try:
                self._ping.sendmsg([payload], ancillary, 0, address)
            except (BlockingIOError, InterruptedError):
                raise
            except OSError:
                if not attempt:
                    raise
                continue
            return stamp
        raise AssertionError("unreachable")

    def wait(self, timeout: float) -> None:
        """As the raw transport's, but a TCP probe's answer wakes it and is stamped then."""
        try:
            events = self._poll.poll(timeout)
        except InterruptedError:
            return
        waking = self._probes.waking.fileno()
        for fd, _mask in events:
            if fd == waking:
                self._probes.note_woken(time.time_ns())
            else:
                self._waker.drain()

    def close(self) -> None:
        self._probes.close()
        super().close()

    def _read_probe_sockets(self, out: list[tuple[Observation, int]]) -> None:
        self._probes.read(out, time.monotonic(), self.malformed)

    def _read(self, out: list[tuple[Observation, int]]) -> None:
        assert self._ping is not None
        recvmsg = self._ping.recvmsg
        for flags in (socket.MSG_ERRQUEUE, 0):
            for _ in range(MAX_BATCH):
                try:
                    data, ancillary, _msg_flags, address = recvmsg(2048, 512, flags)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    if exc.errno != errno.EAGAIN:
                        self.malformed["socket error"] += 1
                    break
                obs = self._observation(data, ancillary, address[0], flags)
                if obs is None:
                    self.malformed["not a reply"] += 1
                else:
                    out.append((obs, kernel_stamp(ancillary)))

    def _observation(
        self, data: bytes, ancillary: list[tuple[int, int, bytes]], source: str, flags: int
    ) -> Observation | None:
        if len(data) < 8:
            return None
        if not flags:
            return Observation(ReplyKind.ECHO_REPLY, 0, source, self._proto, source, data[:8])
        error = queued_error(self.family, ancillary)
        if error is None:
            return None
        return Observation(
            error.kind, error.code, error.responder, self._proto, source, data[:8], error.mtu
        )


REMEDIES = (
    'run it as root (sudo "$(command -v tracetui)" HOST finds it in a venv, pipx or uv '
    "install too), or allow unprivileged ICMP with "
    "\"sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'\""
)
"""No capability on the Python interpreter: that would give raw sockets to every Python program."""


def open_transport(
    family: Family,
    target: str,
    method: ProbeMethod,
    raw: dict[Family, RawSockets],
    options: SocketOptions = NO_OPTIONS,
    linger: float = 3.0,
) -> RawTransport | UnprivilegedTransport:
    """Raw sockets when we could open them; else ping sockets and a socket per probe.

    Raw sockets of the family not used are closed here. ``linger``: seconds a
    probe socket stays open for a late reply (unprivileged mode).
    """
    for other, sockets in raw.items():
        if other is not family:
            sockets.close()
    if options.address is not None and (":" in options.address) != (family is Family.V6):
        for sockets in raw.values():
            sockets.close()
        raise OptionError(f"-a {options.address} is not an IPv{int(family)} address like {target}")
    if family in raw:
        return RawTransport(family, target, raw[family])
    if raw:
        raise PrivilegeError(f"IPv{int(family)} is not available on this host")
    transport = UnprivilegedTransport(family, target, options, linger)
    if method not in transport.methods:
        transport.close()
        raise PrivilegeError(
            f"ICMP probes need ping sockets or root: {REMEDIES}; "
            "or probe with UDP (-u) or TCP (-T), which need neither"
        )
    return transport
