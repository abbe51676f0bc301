"""A same-name redirect to https is followed, and the certificate is checked against the domain, not against
the address connected to."""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenants.accounts.actors import Actor
from tests.domains.conftest import claim
from themes.domains.services import domain_claim_verify
from themes.domains.verify import HTTP_PATH

NAME = "pingjia.alpha-gov.cn"


def _self_signed(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_site(tmp_path):
    """An https server answering the token file with whatever `body` holds."""
    state = {"body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == HTTP_PATH else 404)
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args):
            pass

    cert_path, key_path = _self_signed(tmp_path, NAME)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"127.0.0.1:{server.server_address[1]}", cert_path
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_https_on_the_same_name_is_followed_with_a_verified_certificate(
    alpha, site, tls_site, monkeypatch
):
    state, address, cert_path = tls_site
    c = claim(alpha, NAME, method="http_token")
    site.serve(NAME, "", status=301, headers={"Location": f"https://{NAME}{HTTP_PATH}"})
    site.settings.DOMAINS_HTTP_CONNECT = {**site.settings.DOMAINS_HTTP_CONNECT, f"{NAME}:443": address}
    state["body"] = c.token.encode()
    # an untrusted certificate fails the check
    untrusted = domain_claim_verify(actor=Actor.system("tests"), claim=c)
    assert (untrusted.last_error, untrusted.verified_at) == ("http_tls", None)
    # trusted, it passes: the name checked is the domain's although the connection goes to 127.0.0.1
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    trusted = domain_claim_verify(actor=Actor.system("tests"), claim=c)
    assert trusted.verified_at is not None and trusted.last_error == ""
