"""WCAG 2.x contrast: relative luminance of sRGB colours and the ratio between two of them.

https://www.w3.org/TR/WCAG21/#dfn-relative-luminance and #dfn-contrast-ratio. AA asks for at least 4.5:1 for
normal text (success criterion 1.4.3).
"""

import math

AA_TEXT = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """#rrggbb → 0 (black) … 1 (white)."""
    digits = hex_colour.lstrip("#")
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """1 (same luminance) … 21 (black on white); the order of the colours does not matter."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def ratio_label(ratio: float) -> str:
    """One decimal, rounded down: a pair at 4.47:1 must not read as "4.5:1" in a refusal."""
    return f"{math.floor(ratio * 10) / 10:.1f}"
