"""Admin import and export: files are validated in full, written through the services, all or nothing."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from contacts.models import Contact, ContactSearchString, Salesperson
from opportunities import services
from opportunities.models import Opportunity
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.factories import CompanyFactory, OpportunityFactory, PersonFactory, SalespersonFactory, UserFactory

CSV_FORMAT, XLSX_FORMAT = "0", "1"


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def admin_as_manager(client, staff_manager):
    client.force_login(staff_manager)
    return client


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, model: str, content: bytes, *, fmt=CSV_FORMAT, resource="0", name="import.csv"):
    """The first step: upload, dry run, preview (nothing is written)."""
    app_label = {
        "contact": "contacts",
        "salesperson": "contacts",
        "salescycle": "salescycles",
        "activity": "salescycles",
        "closeopportunitycode": "salescycles",
    }[model]
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(
        reverse(f"admin:{app_label}_{model}_import"),
        {"resource": resource, "format": fmt, "import_file": upload},
    )


def _import(client, model: str, content: bytes, **kwargs):
    """Upload, then confirm the preview, as a user would; returns the final response."""
    preview = _upload(client, model, content, **kwargs)
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    assert confirm is not None, _errors_of(preview)
    app_label = preview.context["opts"].app_label
    return client.post(
        reverse(f"admin:{app_label}_{model}_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )


def _errors_of(response) -> list[tuple[int, str]]:
    """(line number, message) of every invalid row of a preview."""
    result = response.context["result"]
    found = [(row.number, message) for row in result.invalid_rows for message in row.error.messages]
    found += [(number, str(error.error)) for number, errors in result.row_errors() for error in errors]
    return sorted(found)


# --- contacts -----------------------------------------------------------------------------------

CONTACT_HEADER = ["no", "type", "name", "company", "first_name", "surname", "salesperson", "city", "email"]


def test_contacts_import_through_the_services(admin_as_manager, rep):
    content = _csv(
        [
            CONTACT_HEADER,
            ["", "company", "Nordlicht GmbH", "", "", "", "REP", "Hamburg", "info@nordlicht.example"],
            ["", "person", "", "Nordlicht GmbH", "Ida", "Berg", "", "Hamburg", "ida@nordlicht.example"],
        ]
    )
    response = _import(admin_as_manager, "contact", content)

    assert response.status_code == 200
    company = Contact.objects.get(name="Nordlicht GmbH")
    person = Contact.objects.get(email="ida@nordlicht.example")
    assert company.no.startswith("CT") and person.no.startswith("CT")  # numbered by the series
    assert company.salesperson == rep
    assert person.name == "Ida Berg" and person.company == company  # the company found by its name
    # The services keep the duplicate search strings: the import is found like a typed contact.
    assert ContactSearchString.objects.filter(contact=company, field="name").count() == 2


def test_a_contacts_file_with_one_bad_row_imports_nothing_and_names_the_row(admin_as_manager, rep):
    before = Contact.objects.count()
    content = _csv(
        [
            CONTACT_HEADER,
            ["", "company", "Good Row AG", "", "", "", "", "Bern", "good@example.com"],
            ["", "company", "Bad Row AG", "", "", "", "", "Bern", "not-an-email"],
            ["", "company", "Another AG", "", "", "", "NOBODY", "Bern", ""],
        ]
    )

    preview = _upload(admin_as_manager, "contact", content)

    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None  # nothing to confirm while a row is invalid
    errors = _errors_of(preview)
    assert [number for number, _message in errors] == [2, 3]
    assert "Enter a valid email address." in errors[0][1]
    assert "Salesperson NOBODY does not exist." in errors[1][1]
    assert b"Some rows failed to validate" in preview.content
    assert Contact.objects.count() == before  # the dry run was rolled back, even the good row


def test_a_confirmed_file_with_a_bad_row_still_imports_nothing(admin_as_manager):
    """The data may change between preview and confirmation: the import itself checks again."""
    temporary = SalespersonFactory(code="TEMP")
    content = _csv(
        [
            CONTACT_HEADER,
            ["", "company", "Early AG", "", "", "", "", "", ""],
            ["", "company", "Late AG", "", "", "", "TEMP", "", ""],
        ]
    )
    preview = _upload(admin_as_manager, "contact", content)
    confirm = preview.context.get("confirm_form")
    assert confirm is not None
    temporary.delete()  # gone before the manager confirms
    before = Contact.objects.count()

    response = admin_as_manager.post(
        reverse("admin:contacts_contact_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )

    assert Contact.objects.count() == before
    assert not Contact.objects.filter(name="Early AG").exists()  # the good row went back too
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Nothing was imported: the file has errors in rows 2. Upload it again to see them."]


def test_a_contact_is_changed_by_its_number(admin_as_manager):
    contact = CompanyFactory(name="Old Name Ltd", city="Leeds")
    content = _csv([["no", "name", "city"], [contact.no, "New Name Ltd", "York"]])

    _import(admin_as_manager, "contact", content)

    contact.refresh_from_db()
    assert (contact.name, contact.city) == ("New Name Ltd", "York")
    assert ContactSearchString.objects.filter(contact=contact, field="city", value="YORK").exists()


def test_an_unknown_contact_number_is_an_error_not_a_new_contact(admin_as_manager):
    before = Contact.objects.count()
    preview = _upload(admin_as_manager, "contact", _csv([["no", "name"], ["CT999999", "Typo Ltd"]]))

    assert _errors_of(preview) == [(1, "Contact CT999999 does not exist; leave the number empty to create a contact.")]
    assert Contact.objects.count() == before


def test_a_rule_of_the_services_is_an_error_of_the_row(admin_as_manager, opportunity):
    """A person with opportunities cannot become a company (contact_type_locked)."""
    person = opportunity.contact
    preview = _upload(admin_as_manager, "contact", _csv([["no", "type"], [person.no, "company"]]))

    assert _errors_of(preview) == [(1, f"The type of contact {person.no} cannot change: it has opportunities.")]
    person.refresh_from_db()
    assert person.type == "person"


def test_contacts_export_as_csv_and_the_file_imports_again(admin_as_manager, rep):
    company = CompanyFactory(name="=HYPERLINK(evil)", salesperson=rep)
    PersonFactory(company=company, first_name="Ada", surname="Lovelace")

    response = admin_as_manager.post(
        reverse("admin:contacts_contact_export"),
        {"format": CSV_FORMAT, "resource": "0", **_all_fields("contactresource", CONTACT_HEADER)},
    )

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_name = {row["name"]: row for row in rows}
    assert by_name["'=HYPERLINK(evil)"]["salesperson"] == "REP"  # neutralised, not a formula
    assert by_name["Ada Lovelace"]["company"] == company.no


def _all_fields(resource: str, names: list[str]) -> dict:
    return {f"{resource}_{name}": "on" for name in names}


# --- salespeople --------------------------------------------------------------------------------


def test_salespeople_import_from_xlsx_with_their_user(admin_as_manager):
    user = UserFactory(username="sam")
    content = _xlsx(
        [
            ["code", "name", "user", "email", "commission_pct", "blocked"],
            ["SAM", "Sam Seller", "sam", "sam@example.com", 2.5, ""],
            ["TIM", "Tim Trader", "", "", None, "yes"],
        ]
    )

    _import(admin_as_manager, "salesperson", content, fmt=XLSX_FORMAT, name="people.xlsx")

    sam = Salesperson.objects.get(code="SAM")
    assert (sam.user, sam.commission_pct, sam.blocked) == (user, Decimal("2.5"), False)
    tim = Salesperson.objects.get(code="TIM")
    assert (tim.user, tim.commission_pct, tim.blocked) == (None, Decimal("0"), True)  # empty: the default


def test_a_malformed_xlsx_file_is_refused_with_a_message(admin_as_manager):
    before = Salesperson.objects.count()
    response = _upload(admin_as_manager, "salesperson", b"this is not a workbook", fmt=XLSX_FORMAT, name="x.xlsx")

    assert response.status_code == 200
    assert response.context["form"].errors["import_file"]
    assert Salesperson.objects.count() == before


def test_bad_cells_are_named_per_field(admin_as_manager):
    content = _csv([["code", "name", "commission_pct", "blocked"], ["BAD", "Bad Cells", "lots", "maybe"]])

    preview = _upload(admin_as_manager, "salesperson", content)

    invalid = preview.context["result"].invalid_rows[0]
    assert invalid.field_specific_errors == {
        "commission_pct": ["Enter a number, such as 1250.50."],
        "blocked": ["Enter 1 or 0 (or yes or no)."],
    }
    assert not Salesperson.objects.filter(code="BAD").exists()


# --- sales cycles and stages --------------------------------------------------------------------

STAGE_HEADER = ["sales_cycle", "stage", "description", "completed_pct", "chances_of_success_pct", "date_formula"]


def test_a_sales_cycle_and_its_stages_import_in_two_files(admin_as_manager):
    _import(admin_as_manager, "salescycle", _csv([["code", "description"], ["EXPO", "Trade fair leads"]]))
    stages = _csv(
        [
            STAGE_HEADER,
            ["EXPO", "1", "Met at the fair", "10", "20", "1W"],
            ["EXPO", "2", "Offer sent", "50", "40", "CM+10D"],
        ]
    )
    _import(admin_as_manager, "salescycle", stages, resource="1")

    cycle = SalesCycle.objects.get(code="EXPO")
    assert cycle.probability_calculation == "multiply"  # the model's default for a missing column
    assert list(cycle.stages.order_by("stage").values_list("stage", "description", "date_formula")) == [
        (1, "Met at the fair", "1W"),
        (2, "Offer sent", "CM+10D"),
    ]


def test_a_bad_date_formula_names_the_row_and_the_syntax(admin_as_manager, cycle):
    stages_before = list(SalesCycleStage.objects.values_list("pk", "description"))
    content = _csv(
        [
            STAGE_HEADER,
            ["NEW", "1", "Renamed first stage", "5", "10", ""],
            ["NEW", "9", "Stage with a typo", "95", "90", "2X"],
        ]
    )

    preview = _upload(admin_as_manager, "salescycle", content, resource="1")

    [(number, message)] = _errors_of(preview)
    assert number == 2 and "2X" in message
    assert list(SalesCycleStage.objects.values_list("pk", "description")) == stages_before


def test_stages_of_an_unknown_cycle_are_refused(admin_as_manager):
    preview = _upload(
        admin_as_manager, "salescycle", _csv([STAGE_HEADER, ["NOPE", "1", "x", "0", "0", ""]]), resource="1"
    )

    assert _errors_of(preview) == [(1, "Sales cycle NOPE does not exist.")]
    assert not SalesCycleStage.objects.exists()


def test_sales_cycle_stages_export_with_their_cycle_code(admin_as_manager, cycle):
    response = admin_as_manager.post(
        reverse("admin:salescycles_salescycle_export"),
        {"format": CSV_FORMAT, "resource": "1", **_all_fields("salescyclestageresource", STAGE_HEADER)},
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["sales_cycle"], row["stage"]) for row in rows] == [("NEW", str(n)) for n in (1, 2, 3, 5, 7)]


# --- close codes and activities -----------------------------------------------------------------


def test_close_codes_import_and_a_used_codes_type_stays_locked(admin_as_manager, opportunity, rep, won_code):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=Decimal("100"))
    services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
    content = _csv([["code", "description", "type"], ["LOST-NEW", "Lost, new", "lost"], ["WON-PRICE", "Price", "lost"]])

    preview = _upload(admin_as_manager, "closeopportunitycode", content)

    assert _errors_of(preview) == [(2, "Close code WON-PRICE is used by closed opportunities; its type cannot change.")]
    assert not CloseOpportunityCode.objects.filter(code="LOST-NEW").exists()
    won_code.refresh_from_db()
    assert won_code.type == "won"


def test_activities_and_their_steps_import(admin_as_manager):
    _import(admin_as_manager, "activity", _csv([["code", "description"], ["DEMO", "Product demo"]]))
    steps = _csv(
        [
            ["activity", "step_no", "type", "priority", "description", "date_formula"],
            ["DEMO", "10", "meeting", "high", "Demo on site", "1W"],
            ["DEMO", "20", "phone_call", "", "Follow-up call", "2W"],
        ]
    )
    _import(admin_as_manager, "activity", steps, resource="1")

    activity = Activity.objects.get(code="DEMO")
    assert list(activity.steps.values_list("step_no", "type", "priority", "description")) == [
        (10, "meeting", "high", "Demo on site"),
        (20, "phone_call", "normal", "Follow-up call"),
    ]
    # The same file again changes nothing: every row is reported as skipped.
    preview = _upload(admin_as_manager, "activity", steps, resource="1")
    assert preview.context["result"].totals["skip"] == 2
    assert ActivityStep.objects.count() == 2


# --- exports of opportunities and entries -------------------------------------------------------


def test_opportunities_export_as_xlsx_with_text_that_never_runs(admin_as_manager, opportunity, rep):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=Decimal("1200"))
    Opportunity.objects.filter(pk=opportunity.pk).update(description="@SUM(A1:A9)")

    response = admin_as_manager.post(
        reverse("admin:opportunities_opportunity_export"),
        {
            "format": XLSX_FORMAT,
            "resource": "0",
            **_all_fields(
                "opportunityresource", ["no", "description", "salesperson", "current_stage", "estimated_value"]
            ),
        },
    )

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, row = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    record = dict(zip(header, row, strict=True))
    assert record["no"] == opportunity.no
    assert record["description"] == "'@SUM(A1:A9)"
    assert (record["salesperson"], str(record["current_stage"])) == ("REP", "1")
    assert Decimal(str(record["estimated_value"])) == Decimal("1200")


def test_the_export_holds_only_what_the_user_may_see(client, rep, other_rep, cycle):
    """A staff rep with view permissions exports their own opportunities only (visible_to)."""
    user = rep.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename="view_opportunity"))
    mine = OpportunityFactory(sales_cycle=cycle, salesperson=rep)
    OpportunityFactory(sales_cycle=cycle, salesperson=other_rep)
    client.force_login(user)

    response = client.post(
        reverse("admin:opportunities_opportunity_export"),
        {"format": CSV_FORMAT, "resource": "0", **_all_fields("opportunityresource", ["no"])},
    )

    assert response.content.decode("utf-8-sig").split() == ["no", mine.no]


def test_entries_export_with_numbers_and_codes(admin_as_manager, opportunity, rep):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=Decimal("100"))
    services.opportunity_update_stage(opportunity=opportunity, user=rep.user, action="next")

    response = admin_as_manager.post(
        reverse("admin:opportunities_opportunityentry_export"),
        {
            "format": CSV_FORMAT,
            "resource": "0",
            **_all_fields(
                "opportunityentryresource", ["opportunity", "stage", "previous_stage", "action_taken", "active"]
            ),
        },
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["opportunity"], r["stage"], r["previous_stage"], r["action_taken"], r["active"]) for r in rows] == [
        (opportunity.no, "1", "", "first", "0"),
        (opportunity.no, "2", "1", "next", "1"),
    ]


def test_the_export_costs_the_same_queries_for_more_opportunities(
    admin_as_manager, cycle, rep, django_assert_max_num_queries
):
    fields = _all_fields(
        "opportunityresource",
        ["no", "contact", "contact_name", "salesperson", "sales_cycle", "current_stage", "close_code"],
    )
    url = reverse("admin:opportunities_opportunity_export")
    OpportunityFactory.create_batch(2, sales_cycle=cycle, salesperson=rep)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_as_manager.post(url, {"format": CSV_FORMAT, "resource": "0", **fields})
    OpportunityFactory.create_batch(20, sales_cycle=cycle, salesperson=rep)
    with CaptureQueriesContext(connection) as many:
        response = admin_as_manager.post(url, {"format": CSV_FORMAT, "resource": "0", **fields})

    assert len(response.content.decode("utf-8-sig").splitlines()) == 23
    assert len(many) == len(few)


# --- who may import -----------------------------------------------------------------------------


def test_import_needs_the_add_permission(client, db):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_contact"))
    client.force_login(viewer)
    before = Contact.objects.count()

    response = _upload(client, "contact", _csv([["name"], ["Sneaky Ltd"]]))

    assert response.status_code == 403
    assert Contact.objects.count() == before
