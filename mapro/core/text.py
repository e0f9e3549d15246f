"""Text folding for search: what a person types matches whatever accents or case the stored text has."""

import unicodedata


def fold(text: str) -> str:
    """`text` without accents, lower-cased ("Conformidad de Núñez" → "conformidad de nunez")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
