"""Case data as people read it, and text folding for search (accents and case never stop a match)."""

import datetime as dt
import unicodedata
from typing import Any


def fold(text: str) -> str:
    """`text` without accents, lower-cased ("Conformidad de Núñez" → "conformidad de nunez")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def shown_value(value: Any) -> str:
    """A case datum as a person reads it: Sí/No, dates dd/mm/aaaa, lists joined, table rows one per line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, dict):
        shown = ((key, shown_value(item)) for key, item in value.items())
        return "; ".join(f"{key}: {text}" for key, text in shown if text)
    if isinstance(value, list):
        separator = "\n" if any(isinstance(item, dict) for item in value) else ", "
        return separator.join(shown_value(item) for item in value)
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    return text
