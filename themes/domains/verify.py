"""The proof that a tenant controls a domain: a DNS TXT record or a token file served over HTTP.

No database access here: services.py records the outcome. Failures are codes with parameters (stored on the
claim) so the page shows them in the reader's language (`error_text`).
"""

import http.client
import io
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings
from django.utils.translation import gettext_lazy as _

TXT_PREFIX = "_haochaping-verify"
TXT_VALUE_PREFIX = "haochaping-verify="
HTTP_PATH = "/.well-known/haochaping-verify.txt"
HTTP_MAX_BYTES = 1024  # the file holds only the token; anything longer is refused unread
HTTP_MAX_REDIRECTS = 3
DEFAULT_PORTS = {"http": 80, "https": 443}

ERROR_MESSAGES = {
    "dns_no_record": _("No TXT record was found at %(name)s."),
    "dns_mismatch": _("The TXT record at %(name)s is “%(found)s”, not “%(expected)s”."),
    "dns_unavailable": _("The DNS servers did not answer for %(name)s. The check will be tried again."),
    "http_no_address": _("The name %(name)s has no address in DNS, so its web server could not be reached."),
    "http_private_address": _(
        "%(name)s points to a private or local network address; only public web servers are checked."
    ),
    "http_unreachable": _("Could not connect to %(url)s (%(reason)s)."),
    "http_tls": _("The HTTPS certificate of %(name)s could not be verified."),
    "http_status": _("%(url)s answered with HTTP status %(status)s instead of 200."),
    "http_redirect_elsewhere": _(
        "%(url)s redirects to %(target)s; the file must be served by %(name)s itself (redirects to the same name "
        "are followed)."
    ),
    "http_too_many_redirects": _("%(url)s redirects too many times."),
    "http_too_large": _("The file at %(url)s is larger than %(limit)s bytes; it must hold only the token."),
    "http_mismatch": _("The file at %(url)s does not contain the token shown on this page."),
    "http_protocol": _("%(url)s did not answer with a valid HTTP response."),
    "domain_in_use": _("%(name)s is already in use by another organisation on this platform."),
}
REASONS = {
    "timeout": _("no answer in time"),
    "refused": _("connection refused"),
    "failed": _("connection failed"),
}


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    code: str = ""
    params: dict = field(default_factory=dict)

    @classmethod
    def failed(cls, code: str, **params) -> "CheckResult":
        return cls(ok=False, code=code, params={k: str(v)[:120] for k, v in params.items()})


def error_text(code: str, params: dict | None = None) -> str:
    """A stored failure in the active language; an unknown code (an older release's) is shown as it is."""
    message = ERROR_MESSAGES.get(code)
    if message is None:
        return code
    reason = (params or {}).get("reason")
    values = {**(params or {}), **({"reason": str(REASONS.get(reason, reason))} if reason else {})}
    try:
        return str(message) % values
    except (KeyError, TypeError, ValueError):
        return str(message)


def txt_name(domain: str) -> str:
    return f"{TXT_PREFIX}.{domain}"


def txt_value(token: str) -> str:
    return f"{TXT_VALUE_PREFIX}{token}"


def http_url(domain: str) -> str:
    return f"http://{domain}{HTTP_PATH}"


def check(*, domain: str, method: str, token: str) -> CheckResult:
    from themes.domains.models import VerificationMethod

    if method == VerificationMethod.DNS_TXT:
        return check_dns_txt(domain=domain, token=token)
    return check_http_token(domain=domain, token=token)


# --- DNS -------------------------------------------------------------------------------------------------------


def _nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    """ "ip", "ip:port" or "[ipv6]:port"."""
    text = text.strip()
    if text.startswith("["):
        host, _sep, port = text[1:].partition("]")
        return dns.nameserver.Do53Nameserver(host, int(port.lstrip(":") or 53))
    if text.count(":") == 1:
        host, port = text.split(":")
        return dns.nameserver.Do53Nameserver(host, int(port))
    return dns.nameserver.Do53Nameserver(text, 53)


def _resolver() -> dns.resolver.Resolver:
    servers = list(settings.DOMAINS_DNS_NAMESERVERS)
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [_nameserver(server) for server in servers]
    resolver.lifetime = settings.DOMAINS_DNS_TIMEOUT
    resolver.timeout = settings.DOMAINS_DNS_TIMEOUT
    resolver.cache = None  # a record the tenant just added must be seen at once
    return resolver


def check_dns_txt(*, domain: str, token: str) -> CheckResult:
    name = txt_name(domain)
    expected = txt_value(token)
    try:
        answer = _resolver().resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return CheckResult.failed("dns_no_record", name=name)
    except dns.exception.DNSException:
        return CheckResult.failed("dns_unavailable", name=name)
    # A long TXT value arrives as several strings of one record: they form one value.
    found = [b"".join(record.strings).decode("utf-8", "replace").strip() for record in answer]
    if expected in found:
        return CheckResult(ok=True)
    return CheckResult.failed("dns_mismatch", name=name, found=" | ".join(found), expected=expected)


# --- HTTP ------------------------------------------------------------------------------------------------------


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    return remaining


class _DeadlineSocket:
    """A connected socket whose every read and write ends by `deadline` (time.monotonic()).

    A socket timeout bounds each recv only: a server trickling a byte at a time, each just inside the timeout,
    could hold http.client's header parsing (64 KB a line, 100 lines) for days. So the timeout is set to the time
    left before each read."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._deadline = deadline

    def recv_into(self, buffer, *args) -> int:
        self._sock.settimeout(_remaining(self._deadline))
        return self._sock.recv_into(buffer, *args)

    def recv(self, *args) -> bytes:
        self._sock.settimeout(_remaining(self._deadline))
        return self._sock.recv(*args)

    def sendall(self, data, *args) -> None:
        self._sock.settimeout(_remaining(self._deadline))
        self._sock.sendall(data, *args)

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        # What socket.makefile("rb") does, but reading through recv_into above. The reference count keeps the
        # socket open while the response reads it, after http.client has closed the connection.
        self._sock._io_refs += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"))

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Connection(http.client.HTTPConnection):
    """Sends `Host: <domain>` but connects to an address chosen (and checked) beforehand, within the deadline."""

    def __init__(self, host: str, port: int, address: tuple[str, int], deadline: float):
        super().__init__(host, port, timeout=_remaining(deadline))
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection(self._address, _remaining(self._deadline))
        self.sock = _DeadlineSocket(sock, self._deadline)


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: tuple[str, int], deadline: float):
        super().__init__(host, port, timeout=_remaining(deadline), context=ssl.create_default_context())
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection(self._address, _remaining(self._deadline))
        # The handshake as one call: CPython's ssl bounds a whole call by the socket timeout, not each read.
        sock.settimeout(_remaining(self._deadline))
        tls = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = _DeadlineSocket(tls, self._deadline)


class _Refused(Exception):
    def __init__(self, result: CheckResult):
        self.result = result


# NAT64 (RFC 6052 well-known prefix) and the deprecated IPv4-compatible addresses carry an IPv4 address in their
# last 32 bits; ipaddress calls both global whatever that address is. The local-use NAT64 prefix is never public.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def address_is_public(text: str) -> bool:
    """A globally reachable address; an IPv6 address carrying an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64,
    IPv4-compatible) only if that IPv4 address is globally reachable too: a translator would take the platform
    there."""
    address = ipaddress.ip_address(text.split("%")[0])
    if not address.is_global:
        return False
    if address.version == 4:
        return True
    if address in _NAT64_LOCAL:
        return False
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(inner.is_global for inner in embedded if inner is not None)


def _address(domain: str, port: int) -> tuple[str, int]:
    """Where to connect: DOMAINS_HTTP_CONNECT's mapping (tests, split-horizon DNS), else the name's public
    address. Private, loopback and link-local addresses are refused, so a claim cannot make the platform
    probe its own network."""
    mapping = settings.DOMAINS_HTTP_CONNECT
    mapped = mapping.get(f"{domain}:{port}") or (mapping.get(domain) if port == 80 else None)
    if mapped:
        host, _sep, mapped_port = mapped.rpartition(":")
        return host.strip("[]"), int(mapped_port)
    try:
        infos = socket.getaddrinfo(domain, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _Refused(CheckResult.failed("http_no_address", name=domain)) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise _Refused(CheckResult.failed("http_no_address", name=domain))
    if not all(address_is_public(address) for address in addresses):
        raise _Refused(CheckResult.failed("http_private_address", name=domain))
    return addresses[0], port


def _read_capped(response: http.client.HTTPResponse) -> bytes | None:
    """At most HTTP_MAX_BYTES (the socket keeps the deadline); None when the body is longer."""
    body = b""
    while len(body) <= HTTP_MAX_BYTES:
        chunk = response.read(256)
        if not chunk:
            return body
        body += chunk
    return None


def _get(domain: str, url: str, deadline: float) -> tuple[int, str, bytes | None]:
    parts = urlsplit(url)
    port = DEFAULT_PORTS[parts.scheme]
    connection_class = _TLSConnection if parts.scheme == "https" else _Connection
    connection = connection_class(domain, port, _address(domain, port), deadline)
    try:
        connection.request(
            "GET",
            parts.path or "/",
            headers={
                "User-Agent": "haochaping-domain-check/1",
                "Accept": "text/plain",
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        if 300 <= response.status < 400:
            return response.status, response.getheader("Location", ""), b""
        return response.status, "", _read_capped(response)
    finally:
        connection.close()


def check_http_token(*, domain: str, token: str) -> CheckResult:
    """Within DOMAINS_HTTP_TIMEOUT seconds in all: connecting, TLS, headers, body and every redirect."""
    deadline = time.monotonic() + settings.DOMAINS_HTTP_TIMEOUT
    url = http_url(domain)
    first_url = url
    try:
        for _hop in range(HTTP_MAX_REDIRECTS + 1):
            status, location, body = _get(domain, url, deadline)
            if location:
                target = urljoin(url, location)
                parts = urlsplit(target)
                same_name = (parts.hostname or "").rstrip(".").lower() == domain
                default_port = DEFAULT_PORTS.get(parts.scheme)
                if default_port is None or not same_name or parts.port not in (None, default_port):
                    return CheckResult.failed("http_redirect_elsewhere", url=url, target=target, name=domain)
                url = target
                continue
            if status != 200:
                return CheckResult.failed("http_status", url=url, status=status)
            if body is None:
                return CheckResult.failed("http_too_large", url=url, limit=HTTP_MAX_BYTES)
            if body.decode("utf-8", "replace").strip().lstrip("\ufeff").strip() == token:
                return CheckResult(ok=True)
            return CheckResult.failed("http_mismatch", url=url)
        return CheckResult.failed("http_too_many_redirects", url=first_url)
    except _Refused as refused:
        return refused.result
    except ssl.SSLError:
        return CheckResult.failed("http_tls", name=domain)
    except TimeoutError:
        return CheckResult.failed("http_unreachable", url=url, reason="timeout")
    except ConnectionRefusedError:
        return CheckResult.failed("http_unreachable", url=url, reason="refused")
    except (http.client.HTTPException, ValueError):
        return CheckResult.failed("http_protocol", url=url)
    except OSError:
        return CheckResult.failed("http_unreachable", url=url, reason="failed")
