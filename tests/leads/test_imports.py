"""File import: reading CSV and XLSX, bad files, column mapping, the per-row report, importing."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from common.errors import PermissionRefused
from contacts.services import contact_create
from leads import imports
from leads.models import Lead
from leads.services import LeadError


def _csv(text: str, name: str = "leads.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding))


def _xlsx(rows: list[list], name: str = "leads.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _file_error(upload) -> str:
    with pytest.raises(ValidationError) as caught:
        imports.parse_lead_file(upload)
    assert set(caught.value.message_dict) == {"file"}
    return caught.value.message_dict["file"][0]


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ","])
def test_a_csv_with_either_delimiter_and_a_bom_is_read(delimiter):
    text = "\ufeff" + delimiter.join(["Firma", "E-Mail", "Nachricht"]) + "\n"
    text += delimiter.join(["Müller GmbH", "a@mueller.example", '"Hallo, Welt"']) + "\n"

    parsed = imports.parse_lead_file(_csv(text))

    assert parsed.headers == ["Firma", "E-Mail", "Nachricht"]
    assert parsed.rows == [["Müller GmbH", "a@mueller.example", "Hallo, Welt"]]


def test_an_xlsx_is_read_with_numbers_and_dates_as_text():
    parsed = imports.parse_lead_file(
        _xlsx([["Company", "Phone", "Date"], ["Acme", 4930123456, datetime.datetime(2026, 3, 2)]])
    )
    assert parsed.rows == [["Acme", "4930123456", "2026-03-02"]]


def test_short_rows_are_padded_and_trailing_empty_rows_dropped():
    parsed = imports.parse_lead_file(_csv("Company;Email;Phone\nAcme;a@b.example\n\n\n"))
    assert parsed.rows == [["Acme", "a@b.example", ""]]


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("leads.csv", b""), "empty"),
        (SimpleUploadedFile("leads.csv", b"  \n \n"), "empty"),
        (SimpleUploadedFile("leads.csv", "Firma;E-Mail\nMüller;a@b\n".encode("latin-1")), "UTF-8"),
        (SimpleUploadedFile("leads.csv", b"Company;Email\n"), "no rows"),
        (SimpleUploadedFile("leads.csv", b";;\nAcme;a@b.example\n"), "header"),
        (SimpleUploadedFile("leads.xlsx", b"PK\x03\x04 this is not a workbook"), "XLSX"),
        (SimpleUploadedFile("leads.xlsx", b"plain text pretending to be a workbook"), "XLSX"),
        (SimpleUploadedFile("leads.pdf", b"%PDF-1.4"), "CSV or XLSX"),
        (SimpleUploadedFile("leads.csv", b'Company;Email\n"Acme;a@b\x00'), "CSV"),
    ],
)
def test_malformed_and_empty_files_are_refused_clearly(upload, message):
    assert message in _file_error(upload)


def test_an_oversized_file_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    assert "larger than" in _file_error(_csv("Company;Email\n" + "Acme;a@b.example\n" * 20))


def test_a_file_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    assert "more than 3 rows" in _file_error(_csv("Email\n" + "a@b.example\n" * 4))
    assert "more than 3 rows" in _file_error(_xlsx([["Email"]] + [["a@b.example"]] * 4))


# --- mapping ---------------------------------------------------------------------------------


def test_suggested_mapping_understands_synonyms_in_the_product_languages():
    headers = ["Bedrijf", "Voornaam", "Achternaam", "E-Mail", "Telefon", "Land", "Kampagne", "Bemerkung", "Other"]
    assert imports.suggest_mapping(headers) == {
        0: "company_name",
        1: "first_name",
        2: "surname",
        3: "email",
        4: "phone",
        5: "country",
        6: "campaign",
        7: "message",
    }


def test_suggested_mapping_ignores_case_and_spaces_and_maps_a_field_once():
    assert imports.suggest_mapping(["  FIRST name ", "Email", "e-mail"]) == {0: "first_name", 1: "email"}


@pytest.mark.parametrize(
    "mapping",
    [{0: "company_name"}, {0: "email", 1: "email"}, {0: "email", 5: "phone"}, {0: "email", 1: "salary"}],
)
def test_a_mapping_without_contact_field_or_with_mistakes_is_refused(mapping):
    parsed = imports.parse_lead_file(_csv("Email;Company\na@b.example;Acme\n"))
    with pytest.raises(ValidationError) as caught:
        imports.validate_rows(parsed, mapping)
    assert "mapping" in caught.value.message_dict


# --- validating and importing ----------------------------------------------------------------

FILE = (
    "Company;First name;Surname;Email;Phone;Country\n"
    "Acme GmbH;Anna;Schmidt;anna@acme.example;;de\n"
    ";;;;;\n"
    "No Contact AG;Bob;;;;\n"
    "Bad Mail;Carl;;not-a-mail;;DEU\n"
    "Beta BV;Dana;Visser;;+31 20 555;NL\n"
)


@pytest.fixture
def parsed():
    return imports.parse_lead_file(_csv(FILE))


def test_the_report_names_each_row_as_the_file_shows_it_with_errors_per_field(parsed):
    report = imports.validate_rows(parsed, imports.suggest_mapping(parsed.headers))

    assert [row.row_no for row in report.rows] == [2, 4, 5, 6]  # row 3 is empty
    assert [row.row_no for row in report.valid] == [2, 6]
    invalid = {row.row_no: row.errors for row in report.invalid}
    assert set(invalid[4]) == {"email", "phone"}
    assert set(invalid[5]) == {"email", "country"}


def test_a_file_with_invalid_rows_is_refused_until_the_user_confirms(parsed, rep):
    mapping = imports.suggest_mapping(parsed.headers)
    with pytest.raises(LeadError) as caught:
        imports.import_rows(parsed, mapping, user=rep.user)
    assert caught.value.code == "import_has_invalid_rows"
    assert not Lead.objects.exists()

    result = imports.import_rows(parsed, mapping, user=rep.user, campaign="Fair 2026", import_invalid=True)

    assert [row.row_no for row in result.skipped] == [4, 5]
    leads = list(Lead.objects.order_by("no"))
    assert [(lead.company_name, lead.source, lead.campaign) for lead in leads] == [
        ("Acme GmbH", "import", "Fair 2026"),
        ("Beta BV", "import", "Fair 2026"),
    ]
    assert leads[0].no.startswith("LD") and leads[0].no != leads[1].no
    assert leads[0].country == "DE"
    assert leads[0].created_by == rep.user
    assert leads[0].payload["row"] == 2 and leads[0].payload["Email"] == "anna@acme.example"


def test_an_import_flags_duplicates_of_contacts_and_of_earlier_rows(rep):
    contact_create(type="company", name="Acme GmbH", email="anna@acme.example")
    parsed = imports.parse_lead_file(
        _csv("Email;Company\nanna@acme.example;Acme\nnew@b.example;B\nNEW@b.example;B2\nother@c.example;C\n")
    )

    imports.import_rows(parsed, imports.suggest_mapping(parsed.headers), user=rep.user)

    flags = dict(Lead.objects.values_list("email", "is_possible_duplicate"))
    assert flags == {
        "anna@acme.example": True,
        "new@b.example": False,
        "NEW@b.example": True,
        "other@c.example": False,
    }


def test_importing_costs_a_fixed_number_of_queries(rep, django_assert_max_num_queries):
    lines = "".join(f"Company {index};lead{index}@example.com\n" for index in range(200))
    parsed = imports.parse_lead_file(_csv("Company;Email\n" + lines))
    # Not a query per row: the duplicate search and the numbers cost a few queries, the inserts one per
    # batch (SQLite's limit on query parameters makes its batches smaller).
    with django_assert_max_num_queries(20):
        result = imports.import_rows(parsed, {0: "company_name", 1: "email"}, user=rep.user)
    assert len(result.created) == 200
    assert Lead.objects.count() == 200


def test_a_plain_user_may_not_import(parsed, plain_user):
    with pytest.raises(PermissionRefused):
        imports.import_rows(parsed, {3: "email"}, user=plain_user, import_invalid=True)
    assert not Lead.objects.exists()
