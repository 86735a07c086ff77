"""Text normalisation shared by duplicate detection (contacts, later leads)."""

import unicodedata


def normalise_for_search(value: str | None) -> str:
    """Upper case, accents folded, everything but letters and digits removed ("Müller-Lüd. GmbH" → "MULLERLUDGMBH")."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if ch.isalnum()).upper()
