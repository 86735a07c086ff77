"""Importing leads from a file in the browser UI: upload, column mapping, check, confirm, report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from leads.models import Lead
from leads.views import imports as import_views

pytestmark = pytest.mark.django_db

GOOD = (
    "Firma;Vorname;Nachname;E-Mail;Notiz\n"
    "Acme GmbH;Anna;Schmidt;anna@acme.example;Stand 4\n"
    "Beta BV;Bert;Jansen;bert@beta.example;\n"
)
MIXED = (
    "Company,First name,Surname,Email,Phone\n"
    "Acme GmbH,Anna,Schmidt,anna@acme.example,\n"
    "Nobody Ltd,No,Contact,,\n"
    "Beta BV,Bert,Jansen,not-an-address,\n"
    "Gamma Oy,Greta,Ahonen,greta@gamma.example,\n"
)


def _upload(client, content: str | bytes, name="leads.csv", campaign="Hannover fair"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("leads:import"), {"file": SimpleUploadedFile(name, data), "campaign": campaign})


def _map(client, mapping: dict[int, str]):
    return client.post(reverse("leads:import_mapping"), {f"column_{i}": name for i, name in mapping.items()})


@pytest.fixture
def signed_in(client, rep):
    client.force_login(rep.user)
    return client


def test_upload_suggests_a_mapping_and_previews_the_first_rows(signed_in):
    response = _upload(signed_in, GOOD)
    assert response.status_code == 302 and response["Location"] == reverse("leads:import_mapping")
    response = signed_in.get(reverse("leads:import_mapping"))
    form = response.context["form"]
    assert [form[f"column_{i}"].value() or "" for i in range(5)] == [
        "company_name",
        "first_name",
        "surname",
        "email",
        "",
    ]
    content = response.content.decode()
    assert "Acme GmbH" in content and "Stand 4" in content
    assert '<label for="id_column_0">Firma</label>' in content
    # Nothing is stored before the last step.
    assert not Lead.objects.exists()


def test_a_clean_file_imports_after_the_check(signed_in, rep):
    _upload(signed_in, GOOD)
    response = _map(signed_in, {0: "company_name", 1: "first_name", 2: "surname", 3: "email", 4: "message"})
    assert response["Location"] == reverse("leads:import_check")
    response = signed_in.get(reverse("leads:import_check"))
    assert (response.context["valid"], response.context["invalid"]) == (2, 0)
    assert "import_invalid" not in response.content.decode()
    response = signed_in.post(reverse("leads:import_check"))
    assert response.status_code == 200
    leads = Lead.objects.order_by("no")
    assert [(lead.company_name, lead.source, lead.campaign) for lead in leads] == [
        ("Acme GmbH", "import", "Hannover fair"),
        ("Beta BV", "import", "Hannover fair"),
    ]
    assert leads[0].message == "Stand 4" and leads[0].created_by == rep.user
    content = response.content.decode()
    assert "2 leads imported" in content
    for lead in leads:
        assert reverse("leads:detail", args=[lead.no]) in content
    # The pending file is gone: importing again starts over.
    again = signed_in.post(reverse("leads:import_check"))
    assert again.status_code == 302 and again["Location"] == reverse("leads:import")
    assert Lead.objects.count() == 2


def test_invalid_rows_are_named_and_need_an_explicit_confirmation(signed_in):
    _upload(signed_in, MIXED)
    _map(signed_in, {0: "company_name", 1: "first_name", 2: "surname", 3: "email", 4: "phone"})
    response = signed_in.get(reverse("leads:import_check"))
    content = response.content.decode()
    assert (response.context["valid"], response.context["invalid"]) == (2, 2)
    assert "Row 3" in content and "Row 4" in content and "Row 2<" not in content
    assert "Enter an e-mail address or a phone number." in content
    assert "Enter a valid email address." in content
    assert "Import the 2 valid rows and skip the 2 invalid ones" in content

    response = signed_in.post(reverse("leads:import_check"))
    assert response.status_code == 409
    assert "2 rows of the file are invalid; confirm to import only the valid rows." in response.content.decode()
    assert not Lead.objects.exists()

    response = signed_in.post(reverse("leads:import_check"), {"import_invalid": "on"})
    assert response.status_code == 200
    assert sorted(Lead.objects.values_list("company_name", flat=True)) == ["Acme GmbH", "Gamma Oy"]
    content = response.content.decode()
    assert "2 rows skipped" in content and "Row 3" in content and "Row 4" in content


def test_a_mapping_without_email_or_phone_is_refused(signed_in):
    _upload(signed_in, GOOD)
    response = _map(signed_in, {0: "company_name", 1: "email", 3: "email"})
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any("Map only one column to" in error for error in errors)
    response = _map(signed_in, {0: "company_name"})
    assert "Map a column to the e-mail address or to the phone number." in response.context["form"].non_field_errors()
    assert signed_in.get(reverse("leads:import_check")).status_code == 302  # no mapping yet


def test_an_xlsx_file_is_read_too(signed_in):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company", "Email", "Phone"])
    sheet.append(["Acme GmbH", "anna@acme.example", 4930123])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _upload(signed_in, buffer.getvalue(), name="fair.xlsx")
    response = signed_in.get(reverse("leads:import_mapping"))
    assert [response.context["form"][f"column_{i}"].value() for i in range(3)] == ["company_name", "email", "phone"]
    _map(signed_in, {0: "company_name", 1: "email", 2: "phone"})
    signed_in.post(reverse("leads:import_check"))
    assert Lead.objects.get().phone == "4930123"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "empty.csv", "file is empty."),
        ("\n\n", "blank.csv", "The file is empty."),
        ("a;b\n", "header.csv", "The file has column names but no rows of data."),
        (b"\xff\xfe\x00bad", "bad.csv", "The file is not UTF-8 text"),
        ("x", "leads.pdf", "Upload a CSV or XLSX file."),
        (b"PK\x03\x04broken", "broken.xlsx", "The file is not a readable XLSX workbook."),
    ],
)
def test_a_malformed_file_is_refused_at_the_upload(signed_in, content, name, message):
    response = _upload(signed_in, content, name=name)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["file"])
    assert signed_in.get(reverse("leads:import_mapping")).status_code == 302


def test_the_pending_file_is_found_through_the_session_only(signed_in, client, other_rep):
    _upload(signed_in, GOOD)
    token = signed_in.session[import_views.SESSION_KEY]["token"]
    assert (import_views._pending_dir() / f"{token}.json").exists()
    # A tampered session token (a path) is not followed.
    session = signed_in.session
    session[import_views.SESSION_KEY] = {"token": "../../etc/passwd", "campaign": "", "mapping": None}
    session.save()
    assert signed_in.get(reverse("leads:import_mapping")).status_code == 302
    # Another user has their own session and sees no pending import.
    from django.test import Client

    other = Client()
    other.force_login(other_rep.user)
    assert other.get(reverse("leads:import_mapping")).status_code == 302
    # A new upload discards the old pending file.
    _upload(signed_in, GOOD)
    new_token = signed_in.session[import_views.SESSION_KEY]["token"]
    assert new_token != token


def test_the_import_pages_are_for_sales_staff(client, plain_user):
    client.force_login(plain_user)
    for name in ("leads:import", "leads:import_mapping", "leads:import_check"):
        assert client.get(reverse(name)).status_code == 403
    assert _upload(client, GOOD).status_code == 403
