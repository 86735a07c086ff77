"""Lead import from CSV and XLSX files (SPEC §6): parse, map columns, validate, import.

The steps a UI walks through:

1. ``parse_lead_file(uploaded_file)`` reads the file into a ``ParsedFile`` (headers and rows as
   text), or raises ``ValidationError({"file": [...]})`` for an empty, oversized or unreadable file;
2. ``suggest_mapping(parsed.headers)`` proposes a lead field per column (``{column index: field}``);
   the user corrects it;
3. ``validate_rows(parsed, mapping)`` reports every row: its number as the user sees it in the
   file (the header is row 1) and its errors per field, with the same rules as ``lead_create``;
4. ``import_rows(parsed, mapping, user=…, campaign=…, import_invalid=…)`` imports the valid rows
   in one transaction. When some rows are invalid it refuses (``LeadError`` ``import_has_invalid_rows``)
   unless the user confirmed with ``import_invalid=True``; the invalid rows are then skipped and
   reported, never imported.

CSV files are UTF-8 (with or without BOM) separated by ``;`` or ``,``. XLSX files are read from
their first sheet with openpyxl in streaming mode, so that the row cap stops reading early (a
small compressed XLSX can hold millions of rows).
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import PermissionRefused
from common.numbering import next_nos
from common.spreadsheet import cell_text
from common.text import normalise_for_search
from leads.models import Lead
from leads.services import LEAD_FIELDS, LeadError, clean_lead_fields, find_duplicates, may_create_leads

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_CELL_CHARACTERS = 10_000

# The labels of the lead fields a column can be mapped to, for the mapping form.
FIELD_LABELS = {
    "company_name": gettext_lazy("Company name"),
    "first_name": gettext_lazy("First name"),
    "surname": gettext_lazy("Surname"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone no."),
    "country": gettext_lazy("Country/region code"),
    "campaign": gettext_lazy("Campaign"),
    "message": gettext_lazy("Message"),
}

# Column headers (compared normalised: case, spaces, accents and punctuation ignored) in the
# languages of the product, by the lead field they hold.
SYNONYMS = {
    "company_name": [
        "company",
        "company name",
        "organisation",
        "organization",
        "account",
        "firma",
        "firmenname",
        "unternehmen",
        "bedrijf",
        "bedrijfsnaam",
        "organisatie",
        "yritys",
        "yrityksen nimi",
        "selskap",
        "firmanavn",
        "empresa",
        "compañía",
        "nombre de la empresa",
    ],
    "first_name": [
        "first name",
        "firstname",
        "given name",
        "forename",
        "vorname",
        "voornaam",
        "etunimi",
        "fornavn",
        "nombre",
    ],
    "surname": [
        "surname",
        "last name",
        "lastname",
        "family name",
        "nachname",
        "familienname",
        "achternaam",
        "sukunimi",
        "etternavn",
        "apellido",
        "apellidos",
    ],
    "email": [
        "email",
        "e-mail",
        "e mail",
        "mail",
        "email address",
        "e-mail address",
        "e-mail-adresse",
        "e-mailadres",
        "sähköposti",
        "e-post",
        "epost",
        "correo",
        "correo electrónico",
    ],
    "phone": [
        "phone",
        "phone no",
        "phone number",
        "telephone",
        "tel",
        "mobile",
        "telefon",
        "telefonnummer",
        "telefoon",
        "telefoonnummer",
        "puhelin",
        "puhelinnumero",
        "telefonnr",
        "teléfono",
        "móvil",
    ],
    "country": [
        "country",
        "country code",
        "country/region code",
        "land",
        "landcode",
        "ländercode",
        "maa",
        "país",
        "pais",
    ],
    "campaign": ["campaign", "tag", "kampagne", "campagne", "kampanja", "kampanje", "campaña"],
    "message": [
        "message",
        "comment",
        "comments",
        "notes",
        "note",
        "remarks",
        "nachricht",
        "bemerkung",
        "kommentar",
        "bericht",
        "opmerking",
        "opmerkingen",
        "viesti",
        "kommentti",
        "melding",
        "kommentar",
        "mensaje",
        "comentario",
    ],
}
_HEADER_FIELDS = {normalise_for_search(label): name for name, labels in SYNONYMS.items() for label in labels}
_HEADER_FIELDS.update({normalise_for_search(name): name for name in LEAD_FIELDS})


@dataclass
class ParsedFile:
    """A file read into text: ``rows[i]`` is file row ``i + 2`` (the header is row 1)."""

    file_name: str
    headers: list[str]
    rows: list[list[str]]

    def row_no(self, index: int) -> int:
        return index + 2


@dataclass
class RowReport:
    row_no: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ValidationReport:
    rows: list[RowReport]

    @property
    def valid(self) -> list[RowReport]:
        return [row for row in self.rows if row.is_valid]

    @property
    def invalid(self) -> list[RowReport]:
        return [row for row in self.rows if not row.is_valid]


@dataclass
class ImportResult:
    created: list[Lead]
    skipped: list[RowReport]


# --- reading ---------------------------------------------------------------------------------


def _file_error(message) -> ValidationError:
    return ValidationError({"file": [message]})


def _too_many_rows() -> ValidationError:
    return _file_error(_("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_ROWS})


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text; save it as CSV UTF-8 and try again.")) from None
    if "\x00" in text:
        raise _file_error(_("The file is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    csv.field_size_limit(MAX_CELL_CHARACTERS + 1)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([cell.strip() for cell in row])
            if len(rows) > MAX_ROWS + 1:
                raise _too_many_rows()
    except csv.Error as exc:
        raise _file_error(_("The CSV file is malformed near row %(row)d.") % {"row": len(rows) + 1}) from exc
    return rows


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    rows = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in workbook.active.iter_rows(values_only=True):
                rows.append([cell_text(value) for value in row[: MAX_COLUMNS + 1]])
                if len(rows) > MAX_ROWS + 1:
                    raise _too_many_rows()
        finally:
            workbook.close()
    except ValidationError:
        raise
    except Exception as exc:  # openpyxl reports a damaged file with many different exceptions
        raise _file_error(_("The file is not a readable XLSX workbook.")) from exc
    return rows


def parse_lead_file(uploaded_file) -> ParsedFile:
    """Read an uploaded CSV or XLSX file (any object with ``name`` and ``read()``).

    Raises ``ValidationError({"file": [...]})`` for a file that is too big, empty, unreadable, not
    CSV or XLSX, has no header row, more than ``MAX_ROWS`` rows or more than ``MAX_COLUMNS`` columns.
    """
    name = getattr(uploaded_file, "name", "") or ""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _file_error(_("The file is larger than %(max)d MB.") % {"max": MAX_FILE_BYTES // (1024 * 1024)})
    data = uploaded_file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(_("The file is larger than %(max)d MB.") % {"max": MAX_FILE_BYTES // (1024 * 1024)})
    if not data.strip():
        raise _file_error(_("The file is empty."))
    lower = name.lower()
    if data[:4] == b"PK\x03\x04" or lower.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif lower.endswith((".csv", ".txt")) or not lower.rpartition(".")[1]:
        rows = _read_csv(data)
    else:
        raise _file_error(_("Upload a CSV or XLSX file."))
    # Trailing empty rows are what spreadsheets leave behind; they are not part of the data.
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise _file_error(_("The file has no header row with column names."))
    headers = rows[0]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise _file_error(_("The file has more than %(max)d columns.") % {"max": MAX_COLUMNS})
    if len(rows) == 1:
        raise _file_error(_("The file has column names but no rows of data."))
    width = len(headers)
    data_rows = [(row + [""] * width)[:width] for row in rows[1:]]
    return ParsedFile(file_name=name, headers=headers, rows=data_rows)


# --- mapping ---------------------------------------------------------------------------------


def suggest_mapping(headers: list[str]) -> dict[int, str]:
    """``{column index: lead field}`` for the columns whose header names a lead field; each field once."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = _HEADER_FIELDS.get(normalise_for_search(header))
        if name is not None and name not in mapping.values():
            mapping[index] = name
    return mapping


def _check_mapping(parsed: ParsedFile, mapping: Mapping[int, str]) -> dict[int, str]:
    mapping = {int(index): name for index, name in mapping.items() if name}
    errors = []
    for index, name in mapping.items():
        if name not in LEAD_FIELDS:
            errors.append(_("%(field)s is not a lead field.") % {"field": name})
        if not 0 <= index < len(parsed.headers):
            errors.append(_("The file has no column %(column)d.") % {"column": index + 1})
    names = list(mapping.values())
    for name in sorted({name for name in names if names.count(name) > 1}):
        errors.append(_("Map only one column to %(field)s.") % {"field": FIELD_LABELS.get(name, name)})
    if "email" not in names and "phone" not in names:
        errors.append(_("Map a column to the e-mail address or to the phone number."))
    if errors:
        raise ValidationError({"mapping": errors})
    return mapping


# --- validating and importing ----------------------------------------------------------------


def _row_values(row: list[str], mapping: dict[int, str]) -> dict[str, str]:
    return {name: row[index] for index, name in mapping.items()}


def validate_rows(parsed: ParsedFile, mapping: Mapping[int, str]) -> ValidationReport:
    """Every non-empty row with its errors per field (no queries). ``ValidationError`` on ``mapping``
    for a mapping that names unknown fields or columns, a field twice, or neither e-mail nor phone."""
    mapping = _check_mapping(parsed, mapping)
    reports = []
    for index, row in enumerate(parsed.rows):
        if not any(row):
            continue
        values = _row_values(row, mapping)
        report = RowReport(row_no=parsed.row_no(index), values=values)
        try:
            clean_lead_fields(values)
        except ValidationError as exc:
            report.errors = exc.message_dict
        reports.append(report)
    return ValidationReport(rows=reports)


@transaction.atomic
def import_rows(
    parsed: ParsedFile,
    mapping: Mapping[int, str],
    *,
    user,
    campaign: str = "",
    import_invalid: bool = False,
) -> ImportResult:
    """Import the valid rows as leads of source ``import``, all or none, in one transaction.

    ``campaign`` tags the rows that have no campaign of their own. With invalid rows the import is
    refused (``LeadError`` ``import_has_invalid_rows``) unless ``import_invalid`` says the user
    confirmed: then only the valid rows are imported and the invalid ones are returned as skipped.
    Leads that look like contacts, recent leads or earlier rows of the same file are flagged as
    possible duplicates. Each lead keeps its row (by column header) as its payload. Raises
    ``PermissionRefused`` for a user who may not add leads.
    """
    if user is not None and not may_create_leads(user):
        raise PermissionRefused("permission_denied", _("You may not add leads."))
    campaign = (campaign or "").strip()
    if len(campaign) > 100:
        raise ValidationError(
            {
                "campaign": [
                    _("Ensure this value has at most %(max)d characters (it has %(length)d).")
                    % {"max": 100, "length": len(campaign)}
                ]
            }
        )
    mapping = _check_mapping(parsed, mapping)
    report = validate_rows(parsed, mapping)
    skipped = report.invalid
    if skipped and not import_invalid:
        raise LeadError(
            "import_has_invalid_rows",
            _("%(count)d rows of the file are invalid; confirm to import only the valid rows.")
            % {"count": len(skipped)},
        )
    leads = []
    for row in report.valid:
        lead = clean_lead_fields(row.values)
        if not lead.campaign:
            lead.campaign = campaign
        lead.source = Lead.Source.IMPORT
        index = row.row_no - 2
        lead.payload = {
            "file": parsed.file_name,
            "row": row.row_no,
            **dict(zip(parsed.headers, parsed.rows[index], strict=True)),
        }
        lead.created_by = user if user is not None and user.is_authenticated else None
        leads.append(lead)
    seen_emails, seen_keys = set(), set()
    for lead, duplicates in zip(leads, find_duplicates(leads), strict=True):
        email = lead.email.lower()
        lead.is_possible_duplicate = (
            bool(duplicates) or (email and email in seen_emails) or (lead.name_key and lead.name_key in seen_keys)
        )
        lead.is_possible_duplicate = bool(lead.is_possible_duplicate)
        seen_emails.add(email)
        seen_keys.add(lead.name_key)
    _number(leads)
    created = Lead.objects.bulk_create(leads, batch_size=500)
    return ImportResult(created=created, skipped=skipped)


def _number(leads: list[Lead]) -> None:
    """Numbers for a block of leads in two queries; a number already taken (imported data) is skipped."""
    pending = leads
    while pending:
        numbers = next_nos("LD", len(pending))
        taken = set(Lead.objects.filter(no__in=numbers).values_list("no", flat=True))
        free = [number for number in numbers if number not in taken]
        for lead, number in zip(pending, free, strict=False):
            lead.no = number
        pending = pending[len(free) :]
