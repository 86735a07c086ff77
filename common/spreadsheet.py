"""Text read from and written to CSV and spreadsheet files."""

import datetime

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_text(value) -> str:
    """A cell as the text a user typed: spreadsheets hand back numbers, dates and booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        # A phone number, post code or code typed into a number cell comes back as 10.0.
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()
