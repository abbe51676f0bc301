"""What counts as a domain a tenant may claim: one normalised ASCII form, never the platform's own names."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from themes.domains.services import domain_normalize


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  PingJia.Example.GOV.cn. ", "pingjia.example.gov.cn"),
        ("政务.中国", "xn--zfr164b.xn--fiqs8s"),
        ("ＰＩＮＧＪＩＡ．example．cn", "pingjia.example.cn"),  # full-width input from a Chinese keyboard
        (
            "评价。示例。中国",
            "评价.示例.中国".encode("idna").decode(),
        ),  # ideographic full stops; stdlib codec as oracle
        ("www.pingjia.example.cn", "pingjia.example.cn"),  # www.<name> is served as <name>
        ("xn--zfr164b.xn--fiqs8s", "xn--zfr164b.xn--fiqs8s"),
    ],
)
def test_names_are_lower_cased_and_idna_encoded(typed, stored, settings):
    settings.BASE_DOMAIN = "haochaping.example.net"
    assert domain_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a domain name"),
        ("https://pingjia.example.cn/", "without http://"),
        ("pingjia.example.cn/portal", "without http://"),
        ("pingjia.example.cn:8080", "without http://"),
        ("203.0.113.7", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("intranet", "not a valid domain name"),
        ("www.cn", "not a valid domain name"),
        ("-bad.example.cn", "not a valid domain name"),
        ("bad_name.example.cn", "not a valid domain name"),
        ("a..example.cn", "not a valid domain name"),
        ("example.123", "not a valid domain name"),
        (("a" * 64) + ".example.cn", "not a valid domain name"),
        (".".join(["abcdefghi"] * 26) + ".cn", "not a valid domain name"),  # 263 characters
        ("localhost", "reserved"),
        ("alpha.localhost", "reserved"),
        ("printer.local", "reserved"),
        ("x.invalid", "reserved"),
        ("1.0.0.127.in-addr.arpa", "reserved"),
        ("haochaping.example.net", "belongs to the platform"),
        ("HaoChaPing.Example.NET.", "belongs to the platform"),
        ("alpha.haochaping.example.net", "belongs to the platform"),
        ("www.haochaping.example.net", "belongs to the platform"),
    ],
)
def test_bad_names_are_refused_in_plain_words(typed, message, settings):
    settings.BASE_DOMAIN = "haochaping.example.net"
    with translation.override("en"), pytest.raises(ValidationError) as refused:  # zh-Hans is the default
        domain_normalize(typed)
    assert message in " ".join(refused.value.message_dict["domain"])


def test_a_name_that_only_ends_like_the_platform_is_not_the_platform(settings):
    settings.BASE_DOMAIN = "example.net"
    assert domain_normalize("myexample.net") == "myexample.net"
