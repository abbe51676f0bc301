"""The contrast check of a theme (themes/services.py CONTRAST_PAIRS) is only a promise if the pages wear nothing
but the pairs it checks. Read the style sheets of the pages every theme reaches (base, citizen rating page,
device, portal, case status page, the editor) and find any text colour that meets an unchecked background:
a theme colour on a fixed background (the old white rating buttons with the theme's text colour), a fixed
colour on the theme's background (a dark red error on a dark theme), or two theme colours never checked
together. The browser test (tests/browser/test_themes.py) measures the same on the rendered pages."""

import re
from pathlib import Path

import pytest

from themes.services import CONTRAST_PAIRS

ROOT = Path(__file__).resolve().parents[2]
SHEETS = [
    "themes/static/themes/base.css",
    "themes/static/themes/editor.css",
    "tenants/channels/static/channels/rate.css",
    "tenants/channels/static/channels/device.css",
    "tenants/portal/static/portal/portal.css",
    "tenants/cases/static/cases/public_status.css",
]
# the custom properties base.html sets from the theme, and the field each stands for
PROPERTIES = {
    "--ink": "text_color",
    "--muted": "text_color",  # the text colour itself on custom colours (ThemeView.muted_color)
    "--bg": "background_color",
    "--brand": "primary_color",
    "--on-brand": "on_primary_color",
}
CHECKED = {frozenset((fg, bg)) for fg, bg, _label in CONTRAST_PAIRS}


def _kind(value: str | None) -> str | None:
    """None (not set), a custom property, "fixed" (a literal colour) or "other" (inherit, none…)."""
    if value is None:
        return None
    value = value.strip()
    if match := re.fullmatch(r"var\((--[\w-]+)\)", value):
        return match.group(1)
    if re.match(r"(#[0-9a-fA-F]{3,8}|rgba?\(|hsla?\(|white\b|black\b)", value):
        return "fixed"
    return "other"


def _rules(css: str) -> list[tuple[list[str], dict]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = []
    for match in re.finditer(r"([^{}]+)\{([^{}]*)\}", css):  # innermost blocks: the rules inside @media too
        declarations = {}
        for declaration in match.group(2).split(";"):
            name, colon, value = declaration.partition(":")
            if colon:
                declarations[name.strip().lower()] = value.strip()
        selectors = [" ".join(s.split()) for s in match.group(1).split(",")]
        rules.append((selectors, declarations))
    return rules


def _within(selectors: list[str], bases: set[str]) -> bool:
    """Every selector is inside (or a state of) an element whose rule sets the background in question."""
    return all(any(s != b and s.startswith(b) and s[len(b)] in " :[.>" for b in bases) for s in selectors)


def _pair_checked(fg: str, bg: str) -> bool:
    return fg in PROPERTIES and bg in PROPERTIES and frozenset((PROPERTIES[fg], PROPERTIES[bg])) in CHECKED


def unchecked_pairs(css: str) -> list[str]:
    rules = _rules(css)
    backgrounds: dict[str, set[str]] = {"fixed": set(), "--brand": set(), "fixed-colour": set()}
    for selectors, declarations in rules:
        background = _kind(declarations.get("background-color") or declarations.get("background"))
        if background in backgrounds:
            backgrounds[background].update(selectors)
        if _kind(declarations.get("color")) == "fixed":
            backgrounds["fixed-colour"].update(selectors)
    problems = []
    for selectors, declarations in rules:
        if selectors[0].startswith((":root", "@")):
            continue
        fg = _kind(declarations.get("color"))
        bg = _kind(declarations.get("background-color") or declarations.get("background"))
        where = ", ".join(selectors)
        if bg == "fixed" and fg != "fixed" and not _within(selectors, backgrounds["fixed-colour"]):
            problems.append(f"{where}: a theme colour on a fixed background")
        elif fg == "fixed" and bg != "fixed" and not _within(selectors, backgrounds["fixed"]):
            problems.append(f"{where}: a fixed colour on the theme's background")
        elif fg and bg and fg.startswith("--") and bg.startswith("--") and not _pair_checked(fg, bg):
            problems.append(f"{where}: {fg} on {bg} is not checked")
        elif bg == "--brand" and fg is None:
            problems.append(f"{where}: the text colour on the primary colour")
        elif fg == "--on-brand" and bg is None and not _within(selectors, backgrounds["--brand"]):
            problems.append(f"{where}: the colour for the primary colour, off it")
    return problems


@pytest.mark.parametrize("sheet", SHEETS)
def test_text_meets_only_the_pairs_the_theme_check_covers(sheet):
    assert unchecked_pairs((ROOT / sheet).read_text()) == []


@pytest.mark.parametrize(
    ("css", "problem"),
    [
        (".level { background: #fff; color: var(--ink); }", ".level: a theme colour on a fixed background"),
        (".intro { background: #f9fafb; }", ".intro: a theme colour on a fixed background"),
        (".ok h1 { color: #166534; }", ".ok h1: a fixed colour on the theme's background"),
        (
            ".tab[aria-current] { background: var(--brand); color: #fff; }",
            "a fixed colour on the theme's background",
        ),
        (".x { background: var(--brand); color: var(--ink); }", ".x: --ink on --brand is not checked"),
        (".x { background: var(--brand); }", ".x: the text colour on the primary colour"),
        (".x a { color: var(--on-brand); }", ".x a: the colour for the primary colour, off it"),
    ],
)
def test_the_reader_finds_each_kind_of_unchecked_pair(css, problem):
    assert any(problem in found for found in unchecked_pairs(css)), unchecked_pairs(css)


def test_the_reader_accepts_checked_and_self_contained_pairs():
    css = """
    .head { background: var(--brand); color: var(--on-brand); } .head a { color: var(--on-brand); }
    .level { background: var(--bg); color: var(--ink); } a { color: var(--brand); }
    .alert { background: #fef2f2; color: #7f1d1d; } .alert a { color: #7f1d1d; }
    .key { color: #fff; background: #374151; } .key[data-level="1"] { background: #166534; }
    @media (min-width: 40rem) { .nav a[aria-current] { background: var(--on-brand); color: var(--brand); } }
    """
    assert unchecked_pairs(css) == []
