"""``--geoip-mmdb-file``: each responder's country and city from a local MaxMind database.

Read with MaxMind's own ``maxminddb`` reader, never over the network. Three
common shapes of record are understood: MaxMind's and DB-IP's
(``country.iso_code``, ``city.names.en``) and IPinfo's (``country`` or
``country_code``, ``city`` as plain strings). What a file says is untrusted
text: only short printable strings are kept.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tracetui.textsafe import printable

MAX_CACHED = 65_536
"""Addresses whose place is remembered (a path has a few dozen; a churning one more)."""


class GeoIpError(Exception):
    pass


class Place(NamedTuple):
    country: str | None
    city: str | None


class GeoIp:
    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._cache: dict[str, Place | None] = {}

    @classmethod
    def open(cls, path: str) -> GeoIp:
        """Raises GeoIpError (one line) for a file that is not a readable database."""
        import maxminddb

        try:
            return cls(maxminddb.open_database(path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise GeoIpError(f"cannot read {path} as a MaxMind database: {reason}") from None

    def place(self, address: str) -> Place | None:
        cache = self._cache
        if address in cache:
            return cache[address]
        try:
            record = self._reader.get(address)
        except ValueError:  # not an address, or IPv6 in an IPv4-only database
            record = None
        place = _place(record) if isinstance(record, dict) else None
        if len(cache) >= MAX_CACHED:
            cache.clear()
        cache[address] = place
        return place

    def close(self) -> None:
        self._reader.close()


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return printable(value.strip(), limit)


def _place(record: dict[str, Any]) -> Place | None:
    country = record.get("country")
    if isinstance(country, dict):
        code = _text(country.get("iso_code"), 3)
    else:
        code = _text(country, 3) or _text(record.get("country_code"), 3)
    city = record.get("city")
    if isinstance(city, dict):
        names = city.get("names")
        name = _text(names.get("en"), 48) if isinstance(names, dict) else None
    else:
        name = _text(city, 48)
    if code is None and name is None:
        return None
    return Place(code.upper() if code else None, name)
