"""Interface language: Simplified Chinese by default, English on request, and a complete, compiled catalogue."""

import ast
import gettext
import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import host_client

ROOT = Path(__file__).resolve().parents[1]
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
EN_PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

LOGIN = "/accounts/login/"


# --- pages ----------------------------------------------------------------------------------------


def _html_lang(html: str) -> str:
    match = re.search(r"<html\s+lang=\"([^\"]+)\"", html)
    assert match, "the page has no <html lang=...>"
    return match.group(1)


def test_default_language_setting_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert ROOT / "locale" in [Path(p) for p in settings.LOCALE_PATHS]


def test_tenant_page_is_in_chinese_by_default(alpha):
    response = host_client(alpha.host).get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert _html_lang(html) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in html
    assert "跳到主要内容" in html  # our own catalogue, not only allauth's
    assert "政务服务“好差评”" in html
    assert "Sign in" not in html and "Skip to main content" not in html


def test_chinese_browser_gets_chinese(alpha):
    html = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get(LOGIN).content.decode()
    assert _html_lang(html) == "zh-hans"
    assert "跳到主要内容" in html


def test_accept_language_english_gives_english(alpha):
    response = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert _html_lang(html) == "en"
    assert "Sign in" in html
    assert "Skip to main content" in html
    assert "跳到主要内容" not in html


def test_language_cookie_gives_english(alpha):
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(LOGIN).content.decode()
    assert _html_lang(html) == "en"
    assert "Sign in" in html and "Skip to main content" in html


def test_language_switcher_sets_the_cookie(alpha):
    client = host_client(alpha.host)
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Skip to main content" in client.get(LOGIN).content.decode()


def test_language_picker_names_each_language_in_itself(alpha):
    for accept in ("zh-CN", "en"):
        html = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE=accept).get(LOGIN).content.decode()
        assert re.search(r'<option value="zh-hans"[^>]*>简体中文</option>', html), accept
        assert re.search(r'<option value="en"[^>]*>English</option>', html), accept


def test_tenant_name_is_shown_untranslated_in_both_languages(alpha):
    for accept in ("zh-CN", "en"):
        html = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE=accept).get(LOGIN).content.decode()
        assert "甲省政务服务管理局" in html


# --- catalogues -----------------------------------------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (dict index -> text), flags. The header is skipped."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):  # obsolete entries (left by makemessages) do not count
            if entry is not None and field is not None:
                finish()
            entry, field = None, None
            continue
        if line.startswith("#"):
            if entry is not None and field is not None:  # comments open a new entry
                finish()
                entry, field = None, None
            if entry is None:
                entry = {"flags": set(), "msgstr": {}}
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
            continue
        if keyword in ("msgctxt", "msgid") and field is not None and field[0] == "msgstr":
            finish()  # an entry without comments follows directly
            entry = {"flags": set(), "msgstr": {}}
        value = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            entry[keyword] = value
            field = (keyword, None)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            entry["msgstr"][index] = value
            field = ("msgstr", index)
        else:
            raise AssertionError(f"{path}: cannot parse {raw!r}")
    finish()
    header = [e for e in entries if e["msgid"] == "" and "msgctxt" not in e]
    assert len(header) == 1, f"{path}: expected one header entry"
    return [e for e in entries if e is not header[0]]


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z_]+\)[sd]|\{\{ *\w+ *\}\}|%[sd]", text))


@pytest.fixture(scope="module")
def zh_entries() -> list[dict]:
    return parse_po(ZH_PO)


def test_catalogues_exist():
    for path in (ZH_PO, ZH_MO, EN_PO, EN_MO):
        assert path.is_file(), f"{path.relative_to(ROOT)} is missing (run makemessages / compilemessages)"


def test_chinese_catalogue_is_complete(zh_entries):
    assert len(zh_entries) > 50
    untranslated = [e["msgid"] for e in zh_entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    assert untranslated == [], f"untranslated in {ZH_PO.relative_to(ROOT)}: {untranslated}"


def test_chinese_catalogue_has_no_fuzzy_entries(zh_entries):
    fuzzy = [e["msgid"] for e in zh_entries if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"fuzzy entries in {ZH_PO.relative_to(ROOT)}: {fuzzy}"
    header = ZH_PO.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    assert "fuzzy" not in header, "the catalogue header is marked fuzzy"


def test_chinese_translations_keep_placeholders(zh_entries):
    wrong = [
        (e["msgid"], e["msgstr"][0])
        for e in zh_entries
        if _placeholders(e["msgid"]) != _placeholders(e["msgstr"][0])
    ]
    assert wrong == []


ENDONYMS = {"English"}  # language names stay in their own language, as a language picker shows them


def test_chinese_translations_are_chinese(zh_entries):
    not_chinese = [
        e["msgid"]
        for e in zh_entries
        if e["msgid"] not in ENDONYMS and not re.search(r"[\u4e00-\u9fff]", e["msgstr"][0])
    ]
    assert not_chinese == []


def test_english_catalogue_covers_the_same_messages(zh_entries):
    english = {(e.get("msgctxt"), e["msgid"]) for e in parse_po(EN_PO)}
    chinese = {(e.get("msgctxt"), e["msgid"]) for e in zh_entries}
    assert english == chinese, "run makemessages for every language at once: -l zh_Hans -l en"


SOURCE_SKIP = {
    ".venv",
    ".git",
    ".data",
    "bench",
    "tests",
    "staticfiles",
    "node_modules",
    "locale",
    "build",
    "dist",
}
TRANSLATION_FUNCTIONS = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])(.*?)\1(?:\s+noop)?(?:\s+context\s+(["'])(.*?)\3)?""", re.S
)


def _source_files(suffix: str):
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in SOURCE_SKIP and not d.startswith(".") and not d.endswith(".egg-info")
        ]
        for filename in filenames:
            if filename.endswith(suffix):
                yield Path(dirpath) / filename


def _python_msgids(path: Path) -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of gettext calls with literal arguments, as makemessages (xgettext) extracts them."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = {}  # local name -> django.utils.translation function
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in TRANSLATION_FUNCTIONS:
                    names[alias.asname or alias.name] = alias.name
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
            continue
        function, args = names[node.func.id], node.args
        literal = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in args
        ]
        if function.startswith(("pgettext", "npgettext")):
            if len(literal) >= 2 and literal[0] is not None and literal[1] is not None:
                found.add((literal[0], literal[1]))
        elif literal and literal[0] is not None:
            found.add((None, literal[0]))
    return found


def test_catalogue_has_every_string_in_the_source(zh_entries):
    """Catches a forgotten `makemessages`: every literal gettext call and {% translate %} is in the catalogue.

    ({% blocktranslate %} is not checked here; `msgfmt --statistics` after makemessages covers it.)
    """
    in_source: dict[tuple[str | None, str], str] = {}
    for path in _source_files(".py"):
        for key in _python_msgids(path):
            in_source.setdefault(key, str(path.relative_to(ROOT)))
    for path in _source_files(".html"):
        for match in TEMPLATE_TRANSLATE.finditer(path.read_text(encoding="utf-8")):
            # Django looks a template literal up with its % doubled (as makemessages writes it)
            msgid = re.sub(r"(?<!%)%(?!%)", "%%", match.group(2))
            in_source.setdefault((match.group(4), msgid), str(path.relative_to(ROOT)))
    assert len(in_source) > 50
    catalogue = {(e.get("msgctxt"), e["msgid"]) for e in zh_entries}
    missing = sorted(
        f"{where}: {msgid!r}" for (ctx, msgid), where in in_source.items() if (ctx, msgid) not in catalogue
    )
    assert missing == [], (
        "strings missing from locale/zh_Hans (run `manage.py makemessages -l zh_Hans -l en "
        "--ignore='.venv/*' --ignore='bench/*' --ignore='tests/*' --ignore='staticfiles/*'`, translate, "
        "then `manage.py compilemessages --ignore='.venv/*'`):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize(("po", "mo"), [(ZH_PO, ZH_MO), (EN_PO, EN_MO)], ids=["zh_Hans", "en"])
def test_compiled_catalogue_matches_the_po(po, mo):
    """Catches a forgotten `compilemessages`: every translation in the .po must be in the .mo, unchanged."""
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # the parsed .mo: {msgid or (msgid, n) or "ctx\x04msgid": msgstr}
    stale = []
    for e in parse_po(po):
        if "fuzzy" in e["flags"] or not any(e["msgstr"].values()):
            continue  # msgfmt leaves these out on purpose
        key = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            found = {i: catalog.get((key, i)) for i in e["msgstr"]}
        else:
            found = {0: catalog.get(key)}
        if found != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == [], f"{mo.relative_to(ROOT)} is out of date; run `manage.py compilemessages`: {stale}"
    if po == ZH_PO:
        assert compiled.gettext("Sign in") == "登录"
