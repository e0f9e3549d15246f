"""
Text measuring and wrapping for DejaVu Sans, the font the diagrams are drawn in.

The layout must know how wide a label is before any renderer draws it, and a pure function cannot ask a
font engine. These are DejaVu Sans advance widths (in em) read once from DejaVuSans.ttf with fontTools,
grouped by width; characters outside the table are taken as wide, so an estimate errs towards more room.
"""

from __future__ import annotations

from functools import cache

FONT_FAMILY = "DejaVu Sans"

_WIDTHS: dict[float, str] = {
    0.275: "'",
    0.278: "ijlíï",
    0.295: "IJÍ",
    0.318: " ,.‘’·",
    0.337: "/:;\\|",
    0.352: "f",
    0.361: "-",
    0.39: "()[]",
    0.392: "t",
    0.401: "!¡",
    0.411: "r",
    0.46: '"',
    0.471: "ºª",
    0.5: "*_`°–",
    0.518: "“”",
    0.521: "s",
    0.525: "z",
    0.531: "?¿",
    0.55: "cç",
    0.557: "L",
    0.575: "F",
    0.579: "k",
    0.592: "vxy",
    0.603: "P",
    0.611: "TY",
    0.612: "oóòö«»",
    0.613: "aáàä",
    0.615: "eéèë",
    0.632: "EÉ",
    0.634: "hnuúùñü",
    0.635: "Sbdgpq",
    0.636: "$0123456789{}",
    0.656: "K",
    0.684: "AVÁ",
    0.685: "XZ",
    0.686: "B",
    0.695: "R",
    0.698: "C",
    0.732: "UÚÜ",
    0.748: "NÑ",
    0.752: "H",
    0.77: "D",
    0.775: "G",
    0.78: "&",
    0.787: "OQÓ",
    0.818: "w",
    0.838: "#+<=>^~",
    0.863: "M",
    0.95: "%",
    0.974: "m",
    0.989: "W",
    1.0: "@—…",
}
_EM: dict[str, float] = {char: width for width, chars in _WIDTHS.items() for char in chars}
_UNKNOWN_EM = 0.8
_BOLD_FACTOR = 1.1  # DejaVu Sans Bold is about a tenth wider


@cache
def text_width(text: str, size: float, *, bold: bool = False) -> float:
    em = sum(_EM.get(char, _UNKNOWN_EM) for char in text)
    return em * size * (_BOLD_FACTOR if bold else 1.0)


def wrap(text: str, max_width: float, size: float, *, bold: bool = False) -> list[str]:
    """Greedy word wrap; a word wider than a line (a long system name) is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while text_width(current, size, bold=bold) > max_width:
            head, current = _cut(current, max_width, size, bold)
            lines.append(head)
    if current:
        lines.append(current)
    return lines or [""]


def _cut(word: str, max_width: float, size: float, bold: bool) -> tuple[str, str]:
    """The longest head that fits, ending after a "/" or "-" when there is one: compounds such as
    "apagado-encendido" or "requerimiento/incidente" break between their words, not inside one."""
    end = len(word) - 1
    while end > 1 and text_width(word[:end], size, bold=bold) > max_width:
        end -= 1
    joint = max(word.rfind("/", 0, end), word.rfind("-", 0, end))
    if joint > 0:
        end = joint + 1
    return word[:end], word[end:]


def block_width(lines: list[str], size: float, *, bold: bool = False) -> float:
    return max((text_width(line, size, bold=bold) for line in lines), default=0.0)
