"""Input rules for tenants: slugs that are valid schema names and DNS labels, GB/T 2260 region codes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,29}$")
RESERVED_SLUGS = frozenset(
    {
        "public",
        "template",
        "tenant_template",
        "www",
        "api",
        "admin",
        "static",
        "media",
        "mail",
        "smtp",
        "console",
        "national",
        "app",
        "assets",
        "cdn",
        "help",
        "status",
        "docs",
        "billing",
        "signup",
        "login",
        "information_schema",
        "localhost",
        "root",
        "system",
        "support",
        "test",
    }
)
# GB/T 2260 province-level prefixes (incl. Taiwan 71, Hong Kong 81, Macao 82); 100000 is the whole country.
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
NATIONAL_REGION_CODE = "100000"


def validate_slug(value: str) -> None:
    if not SLUG_PATTERN.match(value or ""):
        raise ValidationError(
            _("Use 2–30 lowercase letters and digits, starting with a letter (it becomes the subdomain)."),
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS or value.startswith("pg"):
        raise ValidationError(
            _("“%(slug)s” is reserved; choose another subdomain."),
            code="reserved_slug",
            params={"slug": value},
        )


def validate_region_code(value: str) -> None:
    """A 6-digit GB/T 2260 code whose province part exists (100000 stands for the whole country)."""
    if value == NATIONAL_REGION_CODE:
        return
    if not re.fullmatch(r"\d{6}", value or "") or value[:2] not in PROVINCE_PREFIXES:
        raise ValidationError(
            _("Enter a 6-digit administrative division code (GB/T 2260), e.g. 440000 or 440300."),
            code="invalid_region_code",
        )


def region_level(code: str) -> str:
    """national / province / city / county, read from the code's structure."""
    if code == NATIONAL_REGION_CODE:
        return "national"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


# Line breaks and other control characters (C0, DEL, C1, the Unicode line and paragraph separators). Names end
# up in e-mail headers (From, Subject), where a line break makes every e-mail fail, and on single-line layouts.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value or ""))


def control_characters_message(label) -> str:
    """The refusal of a text with control characters, naming the field."""
    return _("“%(field)s” must be one line, without line breaks or other control characters.") % {
        "field": label
    }
