"""
Working remarks inside the definition's texts, kept out of the ficha that is approved.

Definitions note next to a text what the seed said or left open ("(el seed no da descripción)",
"Cierra el ticket(*)"): useful to the process analyst, noise in a document submitted for approval.
"""

from __future__ import annotations

import re

SEED = re.compile(r"\bseed\b", re.IGNORECASE)
# A parenthesis, allowing one level of nested ones ("Jefe(a)"), and a clause ending in "." or ";".
PARENTHESIS = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)")
CLAUSE = re.compile(r"[^.;]*[.;]?")


def scrub_text(text: str) -> tuple[str, list[str]]:
    """The text without its working remarks: parentheses and clauses about the seed, "(*)" marks.

    Definitions keep those remarks next to what they explain; the ficha that is approved must not
    show them, so they are cut here and listed in the "Notas de modelado" annex.
    """
    if not SEED.search(text) and "(*)" not in text:
        return text, []
    removed: list[str] = []

    def cut(match: re.Match[str]) -> str:
        if SEED.search(match.group(0)):
            removed.append(match.group(0).strip())
            return ""
        return match.group(0)

    kept = PARENTHESIS.sub(cut, text.replace("(*)", ""))
    kept = re.sub(r"Ejemplo del seed:", "Ejemplo:", kept)
    kept = CLAUSE.sub(cut, kept)
    kept = re.sub(r"\s+([.;,])", r"\1", kept).strip().rstrip(";,").strip()
    if kept and text.rstrip().endswith(".") and not kept.endswith("."):
        kept += "."
    return kept, removed
