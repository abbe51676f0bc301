"""The HTTP check fetches only from public addresses: IPv6 forms that carry an IPv4 address (NAT64, 6to4, Teredo,
IPv4-mapped and IPv4-compatible) are public only when the IPv4 address inside is, so a name cannot steer the
platform to its own network through a translator."""

import pytest

from themes.domains.verify import address_is_public, check_http_token


@pytest.fixture(autouse=True)
def _resolve_for_real(settings):
    settings.DOMAINS_HTTP_CONNECT = {}
    settings.DOMAINS_HTTP_TIMEOUT = 1.0


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 (well-known prefix) of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:1",  # local-use NAT64 prefix (RFC 8215)
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:a00:1",  # IPv4-mapped 10.0.0.1
        "::7f00:1",  # IPv4-compatible (deprecated) 127.0.0.1
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::1",
        "fd00::1",
        "fe80::1",
        "127.0.0.1",
        "10.1.2.3",
        "100.64.0.1",  # carrier-grade NAT
        "169.254.169.254",
    ],
)
def test_addresses_that_reach_a_private_network_are_never_fetched(address):
    # when a name resolves to the address (a literal address resolves to itself)
    result = check_http_token(domain=address, token="x")
    # then nothing is fetched
    assert (result.ok, result.code) == (False, "http_private_address")
    assert not address_is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "2606:4700:4700::1111",
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:808:808::1",  # 6to4 of 8.8.8.8
        "::ffff:8.8.8.8",
        "2400:3200::1",
    ],
)
def test_public_addresses_including_translated_public_ipv4_are_fetched(address):
    assert address_is_public(address)
