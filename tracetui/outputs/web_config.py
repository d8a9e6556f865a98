"""``--web.config.file``: TLS and basic auth for the metrics endpoint, in the format every
Prometheus exporter shares (exporter-toolkit's web configuration file).

An endpoint that listens beyond loopback must not hand a path's routers and
round trips to anyone who asks. Operators already write this file for
node_exporter and blackbox_exporter, so tracetui reads the same one:

    tls_server_config: {cert_file, key_file, client_auth_type, client_ca_file,
                        client_allowed_sans, min_version, max_version,
                        cipher_suites, prefer_server_cipher_suites}
    http_server_config: {headers, http2}
    basic_auth_users: {USER: BCRYPT_HASH}

Relative paths are relative to the file, as exporter-toolkit reads them. The
file is read again when it changes (looked at once per connection, a stat), so
a renewed certificate or a new user needs no restart, as with the exporters; a
change that breaks it keeps the last good one and says so once. Anything this
code does not honour is refused in one line, never silently ignored: a client
certificate that is requested but not verified, say, would be a false sense of
safety.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert")
HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "X-XSS-Protection",
    "Strict-Transport-Security",
)
"""The response headers exporter-toolkit lets the file set."""
_GO_CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
}
"""Go's names for the TLS 1.2 suites (as the file says them) and OpenSSL's."""
MAX_REMEMBERED = 256
"""Credentials whose bcrypt check is remembered (a check costs ~70 ms at cost 10)."""


class WebConfigError(Exception):
    """What is wrong with the file, in one line naming it."""


class WebSettings(NamedTuple):
    tls: ssl.SSLContext | None
    allowed_sans: frozenset[str]
    """A client certificate must carry one of these (empty: any verified one)."""
    users: dict[str, bytes]
    """User name -> bcrypt hash (empty: no basic auth)."""
    headers: tuple[tuple[str, str], ...]


def _mapping(value: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a mapping")
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(known)})")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where} must be a non-empty string")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return value


TLS_FIELDS = (
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "client_allowed_sans",
    "min_version",
    "max_version",
    "cipher_suites",
    "prefer_server_cipher_suites",
)


def _tls(raw: dict[str, Any], base: Path) -> tuple[ssl.SSLContext, frozenset[str]]:
    def path(field: str) -> str:
        return str(base / _text(raw.get(field), f"tls_server_config.{field}"))

    if "cert_file" not in raw or "key_file" not in raw:
        raise ValueError("tls_server_config needs both cert_file and key_file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(path("cert_file"), path("key_file"))
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise ValueError(f"cannot load cert_file and key_file: {reason}") from None
    versions = {}
    for field, default in (("min_version", "TLS12"), ("max_version", "TLS13")):
        name = raw.get(field, default)
        if name not in TLS_VERSIONS:
            raise ValueError(f"{field} {name!r} is not one of {', '.join(TLS_VERSIONS)}")
        versions[field] = TLS_VERSIONS[name]
    context.minimum_version = versions["min_version"]
    context.maximum_version = versions["max_version"]
    auth = raw.get("client_auth_type", "NoClientCert")
    if auth in UNVERIFIED_CLIENT_AUTH:
        raise ValueError(
            f"client_auth_type {auth} accepts a certificate nobody verified: tracetui "
            "supports RequireAndVerifyClientCert, VerifyClientCertIfGiven or NoClientCert"
        )
    if auth not in CLIENT_AUTH:
        raise ValueError(f"client_auth_type {auth!r} is not one of {', '.join(CLIENT_AUTH)}")
    context.verify_mode = CLIENT_AUTH[auth]
    if auth != "NoClientCert":
        try:
            context.load_verify_locations(path("client_ca_file"))
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"cannot load client_ca_file: {exc}") from None
    suites = _strings(raw.get("cipher_suites"), "tls_server_config.cipher_suites")
    if suites:
        unknown = [s for s in suites if s not in _GO_CIPHERS]
        if unknown:
            raise ValueError(f"cipher suite {unknown[0]!r} is not one tracetui knows")
        context.set_ciphers(":".join(_GO_CIPHERS[s] for s in suites))
    if raw.get("prefer_server_cipher_suites", True):
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    sans = _strings(raw.get("client_allowed_sans"), "tls_server_config.client_allowed_sans")
    if sans and auth == "NoClientCert":
        raise ValueError("client_allowed_sans needs a client_auth_type that verifies")
    return context, frozenset(sans)


def parse_web_config(text: str, base: Path) -> WebSettings:
    """The file's settings; ValueError (one line) for anything wrong or not honoured."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{line}{problem}") from None
    top = _mapping(
        data, "the file", ("tls_server_config", "http_server_config", "basic_auth_users")
    )
    tls, sans = None, frozenset[str]()
    if top.get("tls_server_config") is not None:
        raw = _mapping(top["tls_server_config"], "tls_server_config", TLS_FIELDS)
        tls, sans = _tls(raw, base)
    http = _mapping(top.get("http_server_config"), "http_server_config", ("headers", "http2"))
    headers = _mapping(http.get("headers"), "http_server_config.headers", HEADERS)
    for name, value in headers.items():
        _text(value, f"header {name}")
    users: dict[str, bytes] = {}
    raw_users = top.get("basic_auth_users") or {}
    if not isinstance(raw_users, dict):
        raise ValueError("basic_auth_users must be a mapping of user names to bcrypt hashes")
    for user, hashed in raw_users.items():
        if not isinstance(user, str) or not user or ":" in user:
            raise ValueError(f"basic_auth_users: {user!r} is not a user name")
        if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise ValueError(f"basic_auth_users: the password of {user!r} is not a bcrypt hash")
        users[user] = hashed.encode()
    return WebSettings(tls, sans, users, tuple(headers.items()))


class WebConfig:
    """The file as of now: read again when it changes, the last good settings kept."""

    def __init__(self, path: str, warn: Callable[[str], None]) -> None:
        """Reads it now; WebConfigError if it is wrong (the run does not start)."""
        self.path = Path(path)
        self._warn = warn
        self._lock = threading.Lock()
        self._remembered: dict[bytes, bool] = {}
        self._seen: tuple[int, int, int] | None = None
        self._broken: tuple[int, int, int] | None = None
        try:
            self._settings = self._read()
        except ValueError as exc:
            raise WebConfigError(f"--web.config.file {self.path}: {exc}") from None

    def _stamp(self) -> tuple[int, int, int]:
        status = os.stat(self.path)
        return (status.st_mtime_ns, status.st_size, status.st_ino)

    def _read(self) -> WebSettings:
        try:
            stamp = self._stamp()
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(exc.strerror or str(exc)) from None
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        settings = parse_web_config(text, self.path.parent)
        self._seen = stamp
        return settings

    @property
    def settings(self) -> WebSettings:
        """Current settings (one stat per call; read again when the file changed)."""
        with self._lock:
            try:
                stamp = self._stamp()
            except OSError:
                return self._settings
            if stamp != self._seen and stamp != self._broken:
                try:
                    self._settings = self._read()
                    self._remembered.clear()
                    self._broken = None
                except ValueError as exc:
                    self._broken = stamp
                    self._warn(f"--web.config.file {self.path}: {exc}; keeping the last good one")
            return self._settings

    def allows(self, settings: WebSettings, authorization: str | None) -> bool:
        """Whether a request with this Authorization header may read the metrics."""
        if not settings.users:
            return True
        if not authorization or not authorization.startswith("Basic "):
            return False
        import base64
        import binascii

        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        hashed = settings.users.get(user)
        if not sep or hashed is None:
            return False
        key = hashlib.sha256(b"\0".join((user.encode(), password.encode(), hashed))).digest()
        with self._lock:
            known = self._remembered.get(key)
        if known is None:
            import bcrypt

            try:
                known = bcrypt.checkpw(password.encode(), hashed)
            except ValueError:
                known = False
            with self._lock:
                if len(self._remembered) >= MAX_REMEMBERED:
                    self._remembered.clear()
                self._remembered[key] = known
        return known

    @staticmethod
    def client_allowed(settings: WebSettings, peer: dict[str, Any] | None) -> bool:
        """A verified client certificate names one of ``client_allowed_sans`` (if any)."""
        if not settings.allowed_sans:
            return True
        names = {value for _kind, value in (peer or {}).get("subjectAltName", ())}
        return bool(names & settings.allowed_sans)
