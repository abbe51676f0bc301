"""One deadline for the whole HTTP check (connect, TLS, headers, body, every redirect): a tenant's web server that
answers a byte at a time cannot hold the check, nor the periodic pass over everyone's claims, longer than
DOMAINS_HTTP_TIMEOUT. Wall-clock bounds here are generous (3× the timeout); the outcome is what is asserted."""

import socket
import threading
import time

import pytest

from tests.domains.conftest import claim
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claims_recheck
from themes.domains.verify import HTTP_PATH, check_http_token

TIMEOUT = 1.0
NAME = "slow.alpha-gov.cn"


@pytest.fixture
def trickle(settings):
    """A raw TCP server that reads the request, sends `head` at once, then `slow` one byte every 0.5 s (each
    byte well inside the socket timeout), stopping after 40 bytes (20 s) or when the client hangs up."""
    state = {"head": b"", "slow": b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60}
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def answer(connection):
        with connection:
            try:
                connection.recv(4096)
                connection.sendall(state["head"])
                for byte in state["slow"][:40]:
                    if stop.wait(0.5):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:  # the check gave up and closed the connection
                return

    def serve():
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed at the end of the test
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    settings.DOMAINS_HTTP_TIMEOUT = TIMEOUT
    settings.DOMAINS_HTTP_CONNECT = {NAME: f"127.0.0.1:{listener.getsockname()[1]}"}
    try:
        yield state
    finally:
        stop.set()
        listener.close()


def _timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def test_a_server_trickling_its_headers_fails_the_check_within_the_timeout(trickle):
    # when the server sends its status line and headers a byte every half second
    result, took = _timed(lambda: check_http_token(domain=NAME, token="x"))
    # then the check gives up: no answer in time
    assert (result.ok, result.code, result.params["reason"]) == (False, "http_unreachable", "timeout")
    assert took < 3 * TIMEOUT


def test_a_server_trickling_its_body_fails_the_check_within_the_timeout(trickle):
    trickle["head"] = b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n"
    trickle["slow"] = b"t" * 900
    result, took = _timed(lambda: check_http_token(domain=NAME, token="x"))
    assert (result.ok, result.code, result.params["reason"]) == (False, "http_unreachable", "timeout")
    assert took < 3 * TIMEOUT


def test_a_trickled_tls_handshake_after_a_redirect_fails_the_check_within_the_timeout(
    site, trickle, settings
):
    # given a token file redirecting to https on the same name, whose TLS server trickles its handshake
    trickling = settings.DOMAINS_HTTP_CONNECT[NAME]
    site.serve(NAME, "", status=301, headers={"Location": f"https://{NAME}{HTTP_PATH}"})
    settings.DOMAINS_HTTP_CONNECT = {NAME: site.address, f"{NAME}:443": trickling}
    settings.DOMAINS_HTTP_TIMEOUT = TIMEOUT
    trickle["slow"] = b"\x16\x03\x03\x40\x00" + b"\x02" * 60  # a handshake record that never completes
    # when
    result, took = _timed(lambda: check_http_token(domain=NAME, token="x"))
    # then
    assert (result.ok, result.code, result.params["reason"]) == (False, "http_unreachable", "timeout")
    assert took < 3 * TIMEOUT


def test_the_deadline_covers_all_redirects_together(settings):
    # given a server that answers each request promptly enough for one step (0.6 s < 1 s) but redirects endlessly
    # on the same name: four steps together exceed the timeout
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed at the end of the test
                return
            with connection:
                connection.recv(4096)
                if stop.wait(0.6):
                    return
                connection.sendall(
                    b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )

    threading.Thread(target=serve, daemon=True).start()
    settings.DOMAINS_HTTP_TIMEOUT = TIMEOUT
    settings.DOMAINS_HTTP_CONNECT = {NAME: f"127.0.0.1:{listener.getsockname()[1]}"}
    try:
        # when
        result = check_http_token(domain=NAME, token="x")
    finally:
        stop.set()
        listener.close()
    # then it ran out of time (each step alone would have answered: not "too many redirects")
    assert (result.ok, result.code, result.params["reason"]) == (False, "http_unreachable", "timeout")


def test_one_trickling_domain_does_not_hold_up_the_periodic_pass(alpha, zone, trickle):
    # given a slow server behind one pending claim and a published DNS proof behind another
    slow = claim(alpha, NAME, method="http_token")
    quick = claim(alpha, "quick.alpha-gov.cn")
    zone.publish(quick)
    # when the periodic pass runs
    checked, took = _timed(domain_claims_recheck)
    # then both were checked: the quick one verified, the slow one failed for want of an answer in time
    assert checked == 2
    assert DomainClaim.objects.get(pk=quick.pk).verified_at is not None
    slow = DomainClaim.objects.get(pk=slow.pk)
    assert (slow.verified_at, slow.last_error, slow.last_error_params["reason"]) == (
        None,
        "http_unreachable",
        "timeout",
    )
    assert took < 3 * TIMEOUT + 3
