"""UDP and TCP probes without raw sockets: one ordinary socket per probe.

What modern Linux traceroute (its default UDP method and ``tcpconn``) does:
a UDP probe is a datagram from a connected socket with its TTL set, and the
time-exceeded or port-unreachable it provokes comes back on that socket's
error queue (IP_RECVERR), with the router's address and the kernel's receive
stamp. A TCP probe is a non-blocking connect() with its TTL set: an ICMP error
lands on the error queue the same way, a SYN-ACK completes the connection and
a RST refuses it, both meaning the target answered.

One socket per probe is what makes the match exact: the kernel delivers an
error only to the socket whose probe it quotes. The price is that every probe
has its own source port, so per-flow load balancers may send probes of one
hop different ways (no Paris flow), and a TCP probe is the kernel's SYN (its
size and options are the kernel's; ``-s`` does not apply).

Each reply is handed to the engine as the same Observation a raw socket would
give, quoting the probe header the codec built, so codecs and engine work
unchanged. Round trips:

- ICMP errors: kernel receive stamp (SO_TIMESTAMPNS on the error queue).
- SYN-ACK: the kernel's own measure of the handshake (TCP_INFO ``tcpi_rtt``,
  microseconds; the first sample is the SYN's round trip).
- RST: no stamp exists, so the moment the engine's wait woke for it (TCP
  sockets wake the wait; the documented fallback, as traceroute's tcpconn), or,
  for one that arrived while the engine was busy, the moment it is read: late
  rather than early, so a round trip is never shorter than the path.

Send stamps are taken just before the send, as for ping sockets.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import select
import socket
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import NamedTuple

from tracetui.probe.errqueue import IP_RECVERR, IPV6_RECVERR, queued_error
from tracetui.probe.packets import PROTO_TCP, PROTO_UDP
from tracetui.probe.types import Family, Observation, ProbeMethod, ReplyKind

IPV6_UNICAST_HOPS = 16
SO_TIMESTAMPNS = 35
TCP_SYNCNT = 7
TCP_INFO = 11
_TCP_INFO = struct.Struct("=8B24I")
"""struct tcp_info up to tcpi_total_retrans: 8 bytes of u8 fields, then u32 fields."""
_RTT_FIELD = 8 + 15
"""tcpi_rtt: the smoothed round trip in microseconds (the first sample, after a handshake)."""
_TOTAL_RETRANS_FIELD = 8 + 23
"""tcpi_total_retrans: segments (here: SYNs) the kernel sent again."""
LINGER_ABORT = struct.pack("ii", 1, 0)
"""Closing aborts with a RST instead of finishing a handshake the target accepted."""
MAX_SOCKETS = 65536
SPARE_DESCRIPTORS = 128
READ_BYTES = 2048
RETRANSMITTED = "after a SYN retransmit"
"""Why an answer is not counted: it may answer the kernel's second SYN, not the probe."""


class _Probe(NamedTuple):
    sock: socket.socket
    method: ProbeMethod
    packet: bytes
    """The probe as the codec built it: replies quote its header."""
    sent_ns: int
    expires: float


def _raise_descriptor_limit() -> int:
    """Probes in flight need a descriptor each: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_SOCKETS if hard == resource.RLIM_INFINITY else min(hard, MAX_SOCKETS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    return max(16, (MAX_SOCKETS if soft == resource.RLIM_INFINITY else soft) - SPARE_DESCRIPTORS)


class ProbeSockets:
    """Probe sockets in flight; UDP ones are read on drain, TCP ones also wake the wait."""

    def __init__(
        self,
        family: Family,
        target: str,
        configure: Callable[[socket.socket], None],
        linger: float,
    ) -> None:
        self.family = family
        self.target = target
        self._configure = configure
        self._linger = linger
        self._af = socket.AF_INET if family is Family.V4 else socket.AF_INET6
        v4 = family is Family.V4
        self._level = socket.IPPROTO_IP if v4 else socket.IPPROTO_IPV6
        self._ttl_option = socket.IP_TTL if v4 else IPV6_UNICAST_HOPS
        self._recverr = IP_RECVERR if v4 else IPV6_RECVERR
        self._woke_at: dict[int, int] = {}
        """TCP sockets ready when the wait last woke, with that moment (see note_woken)."""
        self.quiet = select.epoll()
        """UDP sockets: their replies carry kernel stamps, so reading them can wait."""
        self.waking = select.epoll()
        """TCP sockets: a RST has no stamp, so the wait wakes for it (poll this epoll)."""
        self._probes: dict[int, _Probe] = {}
        self._ages: deque[tuple[float, int, _Probe]] = deque()
        self._limit = _raise_descriptor_limit()

    def __len__(self) -> int:
        return len(self._probes)

    def send(self, method: ProbeMethod, packet: bytes, ttl: int, now: float) -> int:
        """Open, configure and fire one probe's socket; its send stamp (ns)."""
        if len(self._probes) >= self._limit:
            raise OSError(errno.EMFILE, "too many probes in flight for the descriptor limit")
        udp = method is ProbeMethod.UDP
        sock = socket.socket(self._af, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        try:
            self._configure(sock)
            sock.setsockopt(self._level, self._recverr, 1)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.setsockopt(self._level, self._ttl_option, ttl)
            sock.setblocking(False)
            port = int.from_bytes(packet[2:4], "big")
            if udp:
                sock.connect((self.target, port))
                stamp = time.time_ns()
                sock.send(packet[8:])
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
                sock.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, 1)
                stamp = time.time_ns()
                code = sock.connect_ex((self.target, port))
                if code not in (errno.EINPROGRESS, 0):
                    raise OSError(code, os.strerror(code))
        except BaseException:
            sock.close()
            raise
        probe = _Probe(sock, method, packet, stamp, now + self._linger)
        fd = sock.fileno()
        self._probes[fd] = probe
        self._ages.append((probe.expires, fd, probe))
        if udp:
            self.quiet.register(fd, select.EPOLLERR)
        else:
            self.waking.register(fd, select.EPOLLOUT | select.EPOLLERR)
        return stamp

    def note_woken(self, woke_ns: int) -> None:
        """The wait woke for TCP sockets: stamp those ready now with this moment.

        A RST has no kernel stamp, so its round trip ends when the wait woke for it.
        Only the sockets ready at that moment get it: one whose answer arrives while
        the engine is busy gets the moment it is read (later, never earlier than the
        answer: a round trip may come out long, never shorter than the path)."""
        for fd, _events in self.waking.poll(0):
            self._woke_at.setdefault(fd, woke_ns)

    def read(self, out: list[tuple[Observation, int]], now: float, ignored: Counter[str]) -> None:
        """Replies of every probe socket with news; sockets past their linger are closed."""
        for poll in (self.quiet, self.waking):
            for fd, _events in poll.poll(0):
                probe = self._probes.get(fd)
                if probe is not None:
                    woke_ns = self._woke_at.get(fd) or time.time_ns()
                    self._read_one(probe, out, woke_ns, ignored)
                    self._close(fd)
        ages = self._ages
        while ages and ages[0][0] <= now:
            _expires, fd, probe = ages.popleft()
            if self._probes.get(fd) is probe:
                self._close(fd)

    def _read_one(
        self,
        probe: _Probe,
        out: list[tuple[Observation, int]],
        woke_ns: int,
        ignored: Counter[str],
    ) -> None:
        sock = probe.sock
        proto = PROTO_UDP if probe.method is ProbeMethod.UDP else PROTO_TCP
        header = probe.packet[:8]
        with contextlib.suppress(OSError):
            while True:
                _data, ancillary, _flags, _address = sock.recvmsg(
                    READ_BYTES, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT
                )
                error = queued_error(self.family, ancillary)
                if error is None:
                    ignored["not a reply"] += 1
                    continue
                if proto == PROTO_TCP and _tcp_info(sock)[_TOTAL_RETRANS_FIELD]:
                    ignored[RETRANSMITTED] += 1
                    return
                obs = Observation(
                    error.kind, error.code, error.responder, proto, self.target, header, error.mtu
                )
                out.append((obs, _receive_stamp(ancillary, woke_ns)))
                return
        if proto == PROTO_UDP:
            return
        state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if state == 0:
            kind = ReplyKind.TCP_SYN_ACK
        elif state == errno.ECONNREFUSED:
            kind = ReplyKind.TCP_RESET
        else:
            return  # e.g. a local error; the probe will count as lost if nothing else came
        info = _tcp_info(sock)
        if info[_TOTAL_RETRANS_FIELD]:
            ignored[RETRANSMITTED] += 1
            return
        rtt_us = info[_RTT_FIELD] if kind is ReplyKind.TCP_SYN_ACK else 0
        stamp = probe.sent_ns + rtt_us * 1000 if rtt_us else woke_ns
        answer = Observation(kind, 0, self.target, PROTO_TCP, self.target, _answer(probe, kind))
        out.append((answer, stamp))

    def _close(self, fd: int) -> None:
        self._woke_at.pop(fd, None)  # descriptor numbers are reused
        probe = self._probes.pop(fd)
        poll = self.quiet if probe.method is ProbeMethod.UDP else self.waking
        with contextlib.suppress(OSError):
            poll.unregister(fd)
        probe.sock.close()

    def close(self) -> None:
        for fd in list(self._probes):
            self._close(fd)
        self.quiet.close()
        self.waking.close()


def _tcp_info(sock: socket.socket) -> tuple[int, ...]:
    """The kernel's view of a TCP probe (zeros where it cannot say)."""
    try:
        data = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, _TCP_INFO.size)
    except OSError:
        data = b""
    return _TCP_INFO.unpack(data.ljust(_TCP_INFO.size, b"\0")[: _TCP_INFO.size])


def _receive_stamp(ancillary: list[tuple[int, int, bytes]], fallback: int) -> int:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanos = struct.unpack_from("qq", data)
            return seconds * 1_000_000_000 + nanos
    return fallback


def _answer(probe: _Probe, kind: ReplyKind) -> bytes:
    """The target's answer as a raw socket would have read it: ports swapped, and the
    acknowledgement of the SYN the codec built (of its payload too, for a RST)."""
    sport, dport, seq = struct.unpack_from("!HHI", probe.packet)
    acked = 1
    if kind is ReplyKind.TCP_RESET:
        acked += len(probe.packet) - (probe.packet[12] >> 4) * 4
    return struct.pack("!HHII4x", dport, sport, 0, (seq + acked) & 0xFFFFFFFF)
