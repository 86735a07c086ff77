"""Text written to CSV and spreadsheet files."""

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
