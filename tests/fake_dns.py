"""A tiny DNS server on loopback for resolver tests: fixed answers, optional delay, counts."""

from __future__ import annotations

import asyncio
import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class FakeDns:
    """Answers PTR and TXT from ``records`` (name -> (type, text)); NXDOMAIN otherwise.

    ``delay`` holds every answer back; ``silent`` never answers at all. Runs its own
    event loop in a thread, so it serves while the code under test awaits.
    """

    def __init__(self, records: dict[str, tuple[str, str]], delay: float = 0.0, silent=False):
        self.records = records
        self.delay = delay
        self.silent = silent
        self.queries: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self.sock.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        if not self.silent:
            self._loop.add_reader(self.sock.fileno(), self._readable)
        self._loop.run_forever()

    def _readable(self) -> None:
        data, peer = self.sock.recvfrom(4096)
        query = dns.message.from_wire(data)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._loop.call_later(self.delay, self._answer, query, peer)

    def _answer(self, query: dns.message.Message, peer) -> None:
        self.in_flight -= 1
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True)
        self.queries.append(name)
        response = dns.message.make_response(query)
        record = self.records.get(name)
        if record is None or dns.rdatatype.from_text(record[0]) != question.rdtype:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            kind, text = record
            response.answer.append(dns.rrset.from_text(question.name, 300, "IN", kind, text))
        self.sock.sendto(response.to_wire(), peer)
