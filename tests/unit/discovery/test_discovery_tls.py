"""The discovery client's TLS options against a real TLS server on loopback.

A private CA, a server certificate for 127.0.0.1 and a client certificate are
made for the module with the `openssl` CLI; a stdlib HTTPS server answers the
one Prometheus call the client makes here (/api/v1/metadata), optionally
requiring a client certificate, and records the client certificates it saw.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from obsai_common.errors import UpstreamError
from obsai_discovery.prometheus import PrometheusAPI
from obsai_discovery.settings import SourceConfig
from tests.support.serving import serving

CLIENT_NAME = "obsai-discovery-test-client"
METADATA = {"shop_orders": [{"type": "counter", "help": "Orders placed.", "unit": ""}]}


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    # The client's certificate and key in one PEM file.
    client_bundle: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _leaf(directory: Path, name: str, subject: str, extensions: str) -> None:
    """A P-256 key and a certificate for it signed by the CA in `directory`."""
    (directory / f"{name}.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n" + extensions
    )
    _openssl(
        *("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject),
        cwd=directory,
    )
    _openssl(
        *("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key"),
        *("-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext"),
        cwd=directory,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found: it makes this test's certificates")
    directory = tmp_path_factory.mktemp("pki")
    _openssl(
        *("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"),
        *("-subj", "/CN=ObsAI test CA", "-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        cwd=directory,
    )
    _leaf(
        directory,
        "server",
        "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    _leaf(directory, "client", f"/CN={CLIENT_NAME}", "extendedKeyUsage=clientAuth\n")
    bundle = directory / "client-bundle.pem"
    bundle.write_text(
        (directory / "client.pem").read_text() + (directory / "client.key").read_text()
    )
    return Pki(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        client_bundle=bundle,
    )


class _TlsPrometheus(ThreadingHTTPServer):
    daemon_threads = True
    # Common names of the client certificates presented, one per request.
    clients: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Refused handshakes are what some tests are about: quiet."""


class _Handler(BaseHTTPRequestHandler):
    server: _TlsPrometheus

    def do_GET(self) -> None:
        assert isinstance(self.request, ssl.SSLSocket)
        # ((("commonName", "..."),), ...), or nothing when no certificate was presented.
        subject: Any = (self.request.getpeercert() or {}).get("subject", ())
        names = [value for rdn in subject for key, value in rdn if key == "commonName"]
        self.server.clients.append(names[0] if names else "")
        found = self.path.startswith("/api/v1/metadata")
        body = json.dumps({"status": "success", "data": METADATA} if found else {}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def tls_prometheus(pki: Pki, *, require_client_cert: bool = False) -> Iterator[_TlsPrometheus]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # TLS 1.3 only, so how a refusal reaches the client is always the same.
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    server = _TlsPrometheus(("127.0.0.1", 0), _Handler)
    server.clients = []
    # The handshake happens on each connection's first read, in its own thread,
    # so a refused one never blocks the accepting loop.
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    with serving(server):
        yield server


def url_of(server: _TlsPrometheus) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


async def metadata(config: SourceConfig) -> dict[str, Any]:
    api = PrometheusAPI(config)
    try:
        return await api.metadata()
    finally:
        await api.close()


async def test_ca_file_trusts_a_private_ca(pki: Pki) -> None:
    with tls_prometheus(pki) as server:
        assert await metadata(SourceConfig(url=url_of(server), ca_file=str(pki.ca))) == METADATA
    assert server.clients == [""]  # no client certificate configured, none sent


async def test_a_certificate_of_an_unknown_ca_is_refused(pki: Pki) -> None:
    with tls_prometheus(pki) as server, pytest.raises(UpstreamError) as refused:
        await metadata(SourceConfig(url=url_of(server)))
    assert refused.value.message == (
        "Prometheus is unreachable (ConnectError, TLS CERTIFICATE_VERIFY_FAILED)"
    )
    assert server.clients == []


async def test_tls_verify_false_accepts_any_certificate(pki: Pki) -> None:
    with tls_prometheus(pki) as server:
        assert await metadata(SourceConfig(url=url_of(server), tls_verify=False)) == METADATA


@pytest.mark.parametrize("bundled", [False, True], ids=["cert+key", "one-pem"])
async def test_a_client_certificate_is_presented(pki: Pki, bundled: bool) -> None:
    cert, key = (
        (str(pki.client_bundle), "") if bundled else (str(pki.client_cert), str(pki.client_key))
    )
    with tls_prometheus(pki, require_client_cert=True) as server:
        config = SourceConfig(
            url=url_of(server), ca_file=str(pki.ca), client_cert_file=cert, client_key_file=key
        )
        assert await metadata(config) == METADATA
    assert server.clients == [CLIENT_NAME]


async def test_a_server_requiring_a_client_certificate_refuses_a_client_without(
    pki: Pki,
) -> None:
    with (
        tls_prometheus(pki, require_client_cert=True) as server,
        pytest.raises(UpstreamError) as refused,
    ):
        await metadata(SourceConfig(url=url_of(server), ca_file=str(pki.ca)))
    # In TLS 1.3 the client's side of the handshake is done before the server
    # refuses it: the first read gets the server's alert (a bare ssl.SSLError)
    # or, if the connection is gone before it is read, a ReadError. Either way
    # an UpstreamError, not an internal error.
    assert refused.value.message.startswith("Prometheus is unreachable (")
    assert server.clients == []


async def test_tls_verify_false_still_presents_the_client_certificate(pki: Pki) -> None:
    with tls_prometheus(pki, require_client_cert=True) as server:
        config = SourceConfig(
            url=url_of(server),
            tls_verify=False,
            client_cert_file=str(pki.client_cert),
            client_key_file=str(pki.client_key),
        )
        assert await metadata(config) == METADATA
    assert server.clients == [CLIENT_NAME]
