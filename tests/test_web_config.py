"""--web.config.file: the metrics endpoint behind TLS and basic auth, as the exporters do it.

Certificates come from openssl (a CA, a server certificate for 127.0.0.1, two
client certificates), the passwords from bcrypt, the client is Python's own
ssl and urllib: nothing here is checked against code of ours.
"""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest
from pki_support import issue, make_ca
from unavailable import unavailable

from tracetui.outputs.metrics import serve_targets
from tracetui.outputs.web_config import WebConfig, WebConfigError, parse_web_config

SECRET = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        unavailable("openssl is not installed")
    directory = make_ca(tmp_path_factory.mktemp("pki"))
    issue(directory, "server", "IP:127.0.0.1,DNS:localhost")
    issue(directory, "scraper", "DNS:scraper.example")
    issue(directory, "stranger", "DNS:stranger.example")
    return directory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(config: Path, warnings: list[str] | None = None) -> int:
    port = _free_port()
    web = WebConfig(str(config), (warnings if warnings is not None else []).append)
    serve_targets(["198.18.0.9"], "127.0.0.1", port, None, web)
    return port


def _get(
    url: str,
    pki: Path,
    user: str | None = None,
    password: str = "",
    client: str | None = None,
) -> tuple[int, dict[str, str], str]:
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if client is not None:
        context.load_cert_chain(str(pki / f"{client}.crt"), str(pki / f"{client}.key"))
    request = urllib.request.Request(url)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_tls_and_basic_auth_let_in_only_the_users_of_the_file(tmp_path, pki):
    config = tmp_path / "web.yml"
    config.write_text(
        "tls_server_config:\n"
        f"  cert_file: {pki / 'server.crt'}\n"
        f"  key_file: {pki / 'server.key'}\n"
        "http_server_config:\n"
        "  headers:\n"
        "    X-Content-Type-Options: nosniff\n"
        f"basic_auth_users:\n  prometheus: '{SECRET}'\n"
    )
    port = _serve(config)
    url = f"https://127.0.0.1:{port}/metrics"
    status, headers, body = _get(url, pki, "prometheus", "s3cret")
    assert status == 200 and "# TYPE tracetui_target_info gauge" in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = _get(url, pki)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    assert _get(url, pki, "prometheus", "wrong")[0] == 401
    assert _get(url, pki, "nobody", "s3cret")[0] == 401
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()


def test_a_client_certificate_is_verified_and_its_name_must_be_allowed(tmp_path, pki):
    """RequireAndVerifyClientCert with client_allowed_sans, as exporter-toolkit reads them:
    no certificate, or one the CA signed for another name, gets no metrics."""
    config = tmp_path / "web.yml"
    config.write_text(
        "tls_server_config:\n"
        "  cert_file: server.crt\n"  # relative to the file, as the exporters read it
        "  key_file: server.key\n"
        "  client_auth_type: RequireAndVerifyClientCert\n"
        "  client_ca_file: ca.crt\n"
        "  client_allowed_sans: [scraper.example]\n"
        "  min_version: TLS13\n"
    )
    moved = pki / "web.yml"
    moved.write_text(config.read_text())
    port = _serve(moved)
    url = f"https://127.0.0.1:{port}/metrics"
    assert _get(url, pki, client="scraper")[0] == 200
    for client in (None, "stranger"):
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            _get(url, pki, client=client)


def test_the_file_is_read_again_when_it_changes_and_a_broken_one_keeps_the_last(tmp_path, pki):
    config = tmp_path / "web.yml"
    config.write_text(f"basic_auth_users:\n  alice: '{SECRET}'\n")
    warnings: list[str] = []
    port = _serve(config, warnings)
    url = f"http://127.0.0.1:{port}/metrics"

    def status(user: str) -> int:
        token = base64.b64encode(f"{user}:s3cret".encode()).decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    assert (status("alice"), status("bob")) == (200, 401)
    time.sleep(0.01)  # a new modification time, whatever the file system's resolution
    config.write_text(f"basic_auth_users:\n  bob: '{SECRET}'\n")
    assert (status("alice"), status("bob")) == (401, 200)
    config.write_text("basic_auth_users: [oops\n")
    assert (status("alice"), status("bob")) == (401, 200)  # the last good one
    assert status("bob") == 200
    assert len(warnings) == 1 and "keeping the last good one" in warnings[0]


@pytest.mark.parametrize(
    "text,message",
    [
        ("tls_server_config: {cert_file: a}\n", "tls_server_config needs both cert_file and"),
        ("tls_config: {}\n", "the file: unknown field 'tls_config'"),
        (
            "tls_server_config: {cert_file: s, key_file: k, client_auth_type: RequestClientCert}",
            "client_auth_type RequestClientCert accepts a certificate nobody verified",
        ),
        ("basic_auth_users: {alice: hunter2}\n", "the password of 'alice' is not a bcrypt hash"),
        ("basic_auth_users:\n  alice: [\n", "line 3: "),
        ("http_server_config: {headers: {Server: x}}\n", "unknown field 'Server'"),
    ],
)
def test_what_is_wrong_or_not_honoured_is_one_line(pki, text, message):
    text = text.replace("cert_file: s", f"cert_file: {pki / 'server.crt'}")
    text = text.replace("key_file: k", f"key_file: {pki / 'server.key'}")
    with pytest.raises(ValueError) as refused:
        parse_web_config(text, pki)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_the_command_line_refuses_a_bad_file_before_probing(tmp_path):
    bad = tmp_path / "web.yml"
    bad.write_text("basic_auth_users: {alice: hunter2}\n")
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--headless", "-c", "1",
         "--metrics", f"127.0.0.1:{_free_port()}", "--web.config.file", str(bad)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"tracetui: --web.config.file {bad}: basic_auth_users: the password of 'alice' "
        "is not a bcrypt hash"
    ]
    alone = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--web.config.file", str(bad)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert alone.returncode == 2 and "give --metrics too" in alone.stderr
    with pytest.raises(WebConfigError, match="No such file"):
        WebConfig(str(tmp_path / "missing.yml"), print)
