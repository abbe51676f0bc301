"""A real DNS server (dnslib, UDP on 127.0.0.1) answering TXT records, and a real HTTP server standing in for a
tenant's own web server: the checks run over the network exactly as in production, only the addresses differ
(DOMAINS_DNS_NAMESERVERS, DOMAINS_HTTP_CONNECT)."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from tenants.accounts.actors import Actor
from tests.conftest import PASSWORD, host_client
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claim_add
from themes.domains.verify import HTTP_PATH, txt_name, txt_value


class _TxtResolver(BaseResolver):
    def __init__(self) -> None:
        self.records: dict[str, list] = {}
        self.queries: list[str] = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append(name)
        values = self.records.get(name)
        if values is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


@dataclass
class Zone:
    resolver: _TxtResolver
    address: str

    def publish(self, claim: DomainClaim, value: str | None = None) -> None:
        """The TXT record the page asks for (or another value)."""
        self.resolver.records[txt_name(claim.domain)] = [value or txt_value(claim.token)]

    def set(self, name: str, values: list) -> None:
        self.resolver.records[name] = values

    def withdraw(self, claim: DomainClaim) -> None:
        self.resolver.records.pop(txt_name(claim.domain), None)


@pytest.fixture
def zone(settings):
    resolver = _TxtResolver()
    server = DNSServer(
        resolver,
        address="127.0.0.1",
        port=0,
        logger=DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False),
    )
    server.start_thread()
    host, port = server.server.server_address
    settings.DOMAINS_DNS_NAMESERVERS = [f"{host}:{port}"]
    settings.DOMAINS_DNS_TIMEOUT = 3.0
    try:
        yield Zone(resolver=resolver, address=f"{host}:{port}")
    finally:
        server.stop()
        server.server.server_close()


@dataclass
class Site:
    """What the tenant's own web server answers, per (Host, path)."""

    settings: object
    address: str
    routes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def serve(
        self,
        domain: str,
        body: bytes | str,
        *,
        status: int = 200,
        headers: dict | None = None,
        path: str = HTTP_PATH,
    ):
        self.route(domain)
        payload = body.encode() if isinstance(body, str) else body
        self.routes[(domain, path)] = (status, headers or {"Content-Type": "text/plain"}, payload)

    def route(self, domain: str) -> None:
        """Connections for `domain` go to this server (nothing resolves on this machine)."""
        self.settings.DOMAINS_HTTP_CONNECT = {**self.settings.DOMAINS_HTTP_CONNECT, domain: self.address}


@pytest.fixture
def site(settings):
    routes: dict = {}
    requests: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0]
            requests.append((host, self.path))
            status, headers, body = routes.get((host, self.path), (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DOMAINS_HTTP_CONNECT = {}
    settings.DOMAINS_HTTP_TIMEOUT = 3.0
    host, port = server.server_address
    try:
        yield Site(settings=settings, address=f"{host}:{port}", routes=routes, requests=requests)
    finally:
        server.shutdown()
        server.server_close()


def signed_in(info, host: str | None = None):
    client = host_client(host or info.host)
    response = client.post("/accounts/login/", {"login": info.admin_email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def claim(info, domain: str, method: str = "dns_txt") -> DomainClaim:
    return domain_claim_add(actor=Actor.system("tests"), tenant=info.tenant, domain=domain, method=method)
