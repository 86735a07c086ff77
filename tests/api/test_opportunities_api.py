"""``opportunities/`` and ``opportunities/{no}/`` (SPEC §7): list, create, retrieve, PATCH, DELETE,
the permission matrix of SPEC §5, filters, ordering and pagination."""

import datetime

import pytest
from django.utils import timezone

from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, Task
from tests.api.opportunity_helpers import (
    D,
    assert_field_errors,
    assert_refused,
    bring_to,
    opportunities_url,
    opportunity_url,
    snapshot,
    viewer_client,
)
from tests.factories import (
    CompanyFactory,
    OpportunityFactory,
    PersonFactory,
    SalesCycleFactory,
    SalespersonFactory,
    StageFactory,
)

OPPORTUNITY_FIELDS = {
    "no",
    "description",
    "contact",
    "contact_company",
    "salesperson",
    "sales_cycle",
    "priority",
    "status",
    "closed",
    "creation_date",
    "date_closed",
    "close_code",
    "current_stage",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_closing_date",
}


@pytest.fixture
def put_in(opportunity, rep, won_code, lost_code):
    """``put_in(status)``: the rep's opportunity brought into a status of helpers.STATUSES."""

    def _put_in(status: str) -> Opportunity:
        return bring_to(opportunity, status, user=rep.user, won_code=won_code, lost_code=lost_code)

    return _put_in


@pytest.fixture
def others_opportunity(cycle, other_rep):
    return OpportunityFactory(sales_cycle=cycle, salesperson=other_rep, contact=PersonFactory())


@pytest.fixture
def contact(db):
    return PersonFactory()


def _nos(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["no"] for row in response.json()["results"]]


# --- list --------------------------------------------------------------------------------------


def test_the_list_shows_an_opportunity_with_natural_keys_decimal_strings_and_iso_dates(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.get(opportunities_url())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) >= OPPORTUNITY_FIELDS
    assert row["no"] == opportunity.no
    assert row["contact"] == opportunity.contact.no
    assert row["contact"].startswith("CT")
    assert row["contact_company"] == opportunity.contact.company.no
    assert row["salesperson"] == "REP"
    assert row["sales_cycle"] == "NEW"
    assert row["current_stage"] == 1
    assert row["current_stage_description"] == "Initial"
    assert row["status"] == "in_progress"
    assert row["closed"] is False
    assert row["priority"] == "normal"
    assert row["creation_date"] == "2026-01-05"
    assert row["date_closed"] is None
    assert row["close_code"] is None
    assert row["estimated_value"] == "1000.00"
    assert row["chances_of_success_pct"] == "20.00"
    assert row["completed_pct"] == "10.00"
    assert row["probability_pct"] == "2.00"
    assert row["calculated_current_value"] == "20.00"
    assert row["estimated_closing_date"] == "2026-02-10"


def test_a_closed_opportunity_shows_its_close_code_and_closing_date_and_no_stage(rep_api, put_in):
    opportunity = put_in("won")

    row = rep_api.get(opportunity_url(opportunity.no)).json()

    assert (row["status"], row["closed"], row["close_code"]) == ("won", True, "WON-PRICE")
    assert row["date_closed"] == "2026-01-20"
    assert row["current_stage"] is None
    assert row["calculated_current_value"] == "1000.00"
    assert row["probability_pct"] == "100.00"


def test_a_rep_lists_only_their_own_opportunities(rep_api, opportunity, others_opportunity):
    assert _nos(rep_api.get(opportunities_url())) == [opportunity.no]


def test_another_rep_does_not_see_the_reps_opportunities_in_the_list(other_rep_api, opportunity, others_opportunity):
    assert _nos(other_rep_api.get(opportunities_url())) == [others_opportunity.no]


def test_a_manager_lists_every_opportunity(manager_api, opportunity, others_opportunity):
    assert sorted(_nos(manager_api.get(opportunities_url()))) == sorted([opportunity.no, others_opportunity.no])


def test_a_user_without_a_salesperson_gets_an_empty_list(plain_api, opportunity, others_opportunity):
    response = plain_api.get(opportunities_url())

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_anonymous_request_for_the_list_is_answered_401(anon_api, opportunity):
    response = anon_api.get(opportunities_url())

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- create ------------------------------------------------------------------------------------


def test_a_rep_creates_a_not_started_opportunity_for_themselves(rep_api, rep, cycle, contact):
    response = rep_api.post(
        opportunities_url(), {"description": "Website relaunch", "contact": contact.no, "sales_cycle": "NEW"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["no"].startswith("OP")
    assert body["description"] == "Website relaunch"
    assert body["contact"] == contact.no
    assert body["contact_company"] == contact.company.no
    assert body["salesperson"] == "REP"
    assert body["sales_cycle"] == "NEW"
    assert body["priority"] == "normal"
    assert body["status"] == "not_started"
    assert body["current_stage"] is None
    assert body["estimated_value"] == "0.00"
    assert body["creation_date"] == timezone.localdate().isoformat()
    created = Opportunity.objects.get(no=body["no"])
    assert (created.salesperson, created.created_by) == (rep, rep.user)
    assert not OpportunityEntry.objects.filter(opportunity=created).exists()


def test_creating_with_activate_first_stage_starts_the_opportunity_with_the_given_estimates(rep_api, cycle, contact):
    response = rep_api.post(
        opportunities_url(),
        {
            "description": "Fleet deal",
            "contact": contact.no,
            "sales_cycle": "NEW",
            "priority": "high",
            "activate_first_stage": True,
            "date_of_change": "2026-03-02",
            "estimated_value": "5000",
            "chances_of_success_pct": "25",
            "estimated_close_date": "2026-06-30",
            "note": "Met at the fair",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["current_stage"], body["priority"]) == ("in_progress", 1, "high")
    assert body["estimated_value"] == "5000.00"
    assert body["chances_of_success_pct"] == "25.00"
    assert body["completed_pct"] == "10.00"
    assert body["probability_pct"] == "2.50"
    assert body["calculated_current_value"] == "125.00"
    assert body["estimated_closing_date"] == "2026-06-30"
    entry = OpportunityEntry.objects.get(opportunity__no=body["no"])
    assert (entry.action_taken, entry.date_of_change, entry.note) == (
        "first",
        datetime.date(2026, 3, 2),
        "Met at the fair",
    )
    assert Task.objects.filter(opportunity__no=body["no"]).count() == 2


def test_creating_without_a_sales_cycle_takes_the_default_cycle_of_the_settings(rep_api, cycle, contact, settings):
    settings.CRM_DEFAULT_SALES_CYCLE = "NEW"

    response = rep_api.post(opportunities_url(), {"description": "Deal", "contact": contact.no})

    assert response.status_code == 201, response.content
    assert response.json()["sales_cycle"] == "NEW"


def test_creating_without_a_sales_cycle_and_without_a_default_is_refused(rep_api, cycle, contact, settings):
    settings.CRM_DEFAULT_SALES_CYCLE = ""

    assert_refused(
        lambda: rep_api.post(opportunities_url(), {"description": "Deal", "contact": contact.no}),
        status=409,
        code="sales_cycle_required",
    )


def test_creating_in_a_blocked_sales_cycle_is_refused(rep_api, contact):
    SalesCycleFactory(code="OLD", blocked=True)

    assert_refused(
        lambda: rep_api.post(opportunities_url(), {"description": "Deal", "contact": contact.no, "sales_cycle": "OLD"}),
        status=409,
        code="sales_cycle_blocked",
    )


def test_a_rep_creating_an_opportunity_for_another_salesperson_gets_403_and_nothing_is_created(
    rep_api, other_rep, cycle, contact
):
    assert_refused(
        lambda: rep_api.post(
            opportunities_url(),
            {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW", "salesperson": "OTHER"},
        ),
        status=403,
        code="cannot_assign_other_salesperson",
    )


def test_a_manager_creates_an_opportunity_for_any_salesperson(manager_api, other_rep, cycle, contact):
    response = manager_api.post(
        opportunities_url(),
        {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW", "salesperson": "OTHER"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["salesperson"] == "OTHER"


def test_a_manager_without_a_salesperson_must_name_one(manager_api, cycle, contact):
    assert_refused(
        lambda: manager_api.post(
            opportunities_url(), {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW"}
        ),
        status=409,
        code="salesperson_required",
    )


def test_creating_for_a_blocked_salesperson_is_refused(manager_api, cycle, contact):
    SalespersonFactory(code="GONE", blocked=True)

    assert_refused(
        lambda: manager_api.post(
            opportunities_url(),
            {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW", "salesperson": "GONE"},
        ),
        status=409,
        code="salesperson_blocked",
    )


def test_a_user_without_a_salesperson_cannot_create_opportunities(plain_api, cycle, contact):
    assert_refused(
        lambda: plain_api.post(
            opportunities_url(), {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW"}
        ),
        status=403,
        code="permission_denied",
    )


def test_an_anonymous_create_is_answered_401_and_creates_nothing(anon_api, cycle, contact):
    assert_refused(
        lambda: anon_api.post(
            opportunities_url(), {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW"}
        ),
        status=401,
        code="not_authenticated",
    )


def test_activating_on_create_in_a_cycle_without_stages_creates_nothing(rep_api, contact):
    SalesCycleFactory(code="EMPTY")

    assert_refused(
        lambda: rep_api.post(
            opportunities_url(),
            {"description": "Deal", "contact": contact.no, "sales_cycle": "EMPTY", "activate_first_stage": True},
        ),
        status=409,
        code="sales_cycle_has_no_stages",
    )


def test_activating_on_create_with_a_close_date_before_the_date_of_change_creates_nothing(rep_api, cycle, contact):
    assert_refused(
        lambda: rep_api.post(
            opportunities_url(),
            {
                "description": "Deal",
                "contact": contact.no,
                "sales_cycle": "NEW",
                "activate_first_stage": True,
                "date_of_change": "2026-03-02",
                "estimated_close_date": "2026-03-01",
            },
        ),
        status=409,
        code="estimated_close_date_before_change",
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"description": None, "contact": None}, ["description", "contact"], id="missing-required"),
        pytest.param({"description": "   "}, ["description"], id="blank-description"),
        pytest.param({"description": "x" * 101}, ["description"], id="description-too-long"),
        pytest.param({"contact": "CT999999"}, ["contact"], id="unknown-contact"),
        pytest.param({"sales_cycle": "NOPE"}, ["sales_cycle"], id="unknown-sales-cycle"),
        pytest.param({"salesperson": "NOPE"}, ["salesperson"], id="unknown-salesperson"),
        pytest.param({"priority": "urgent"}, ["priority"], id="bad-priority"),
        pytest.param({"activate_first_stage": "perhaps"}, ["activate_first_stage"], id="bad-boolean"),
        pytest.param(
            {"activate_first_stage": True, "chances_of_success_pct": "101"}, ["chances_of_success_pct"], id="pct-101"
        ),
        pytest.param(
            {"activate_first_stage": True, "chances_of_success_pct": "-1"}, ["chances_of_success_pct"], id="pct-neg"
        ),
        pytest.param({"activate_first_stage": True, "estimated_value": "-1"}, ["estimated_value"], id="negative-value"),
        pytest.param(
            {"activate_first_stage": True, "estimated_value": "10.001"}, ["estimated_value"], id="too-many-decimals"
        ),
        pytest.param(
            {"activate_first_stage": True, "estimated_value": "1" * 17}, ["estimated_value"], id="too-many-digits"
        ),
        pytest.param({"activate_first_stage": True, "estimated_value": "NaN"}, ["estimated_value"], id="nan-value"),
        pytest.param({"activate_first_stage": True, "estimated_value": "lots"}, ["estimated_value"], id="text-value"),
        pytest.param({"activate_first_stage": True, "date_of_change": "notadate"}, ["date_of_change"], id="bad-date"),
        pytest.param(
            {"estimated_value": "1000", "chances_of_success_pct": "30"},
            ["estimated_value", "chances_of_success_pct"],
            id="estimates-without-activation",
        ),
        pytest.param({"note": "Met at the fair"}, ["note"], id="note-without-activation"),
    ],
)
def test_invalid_create_input_is_answered_with_field_errors_and_creates_nothing(
    changes, fields, rep_api, rep, cycle, contact
):
    body = {"description": "Deal", "contact": contact.no, "sales_cycle": "NEW", **changes}
    body = {key: value for key, value in body.items() if value is not None}

    assert_field_errors(lambda: rep_api.post(opportunities_url(), body), *fields)


def test_a_body_that_is_not_an_object_is_answered_400(rep_api, cycle):
    assert_field_errors(lambda: rep_api.post(opportunities_url(), ["Deal"]), "non_field_errors")


# --- retrieve ----------------------------------------------------------------------------------


def test_the_owning_rep_retrieves_their_opportunity(rep_api, put_in):
    opportunity = put_in("middle")

    response = rep_api.get(opportunity_url(opportunity.no))

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= OPPORTUNITY_FIELDS
    assert (body["no"], body["current_stage"], body["estimated_value"]) == (opportunity.no, 3, "1500.00")


def test_a_manager_retrieves_any_opportunity(manager_api, opportunity):
    assert manager_api.get(opportunity_url(opportunity.no)).json()["no"] == opportunity.no


@pytest.mark.parametrize("client_name", ["other_rep_api", "plain_api"])
def test_an_opportunity_the_user_may_not_see_is_answered_404(client_name, request, opportunity):
    response = request.getfixturevalue(client_name).get(opportunity_url(opportunity.no))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unknown_opportunity_is_answered_404(rep_api, opportunity):
    assert rep_api.get(opportunity_url("OP999999")).status_code == 404


def test_an_anonymous_request_for_an_opportunity_is_answered_401(anon_api, opportunity):
    assert anon_api.get(opportunity_url(opportunity.no)).status_code == 401


# --- PATCH -------------------------------------------------------------------------------------


def test_the_owning_rep_changes_description_and_priority(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.patch(opportunity_url(opportunity.no), {"description": "Renamed deal", "priority": "high"})

    assert response.status_code == 200, response.content
    assert (response.json()["description"], response.json()["priority"]) == ("Renamed deal", "high")
    opportunity.refresh_from_db()
    assert (opportunity.description, opportunity.priority) == ("Renamed deal", "high")
    assert (opportunity.status, opportunity.current_stage.stage) == ("in_progress", 1)


@pytest.mark.parametrize(
    "field_and_value",
    [
        ("estimated_value", "99999.00"),
        ("status", "won"),
        ("closed", True),
        ("current_stage", 3),
        ("chances_of_success_pct", "90"),
        ("calculated_current_value", "1.00"),
        ("no", "OP777777"),
        ("contact_company", "CT000001"),
        ("close_code", "WON-PRICE"),
        ("colour", "red"),
    ],
    ids=lambda value: value[0],
)
def test_patching_a_read_only_or_unknown_field_is_answered_400_and_changes_nothing(field_and_value, rep_api, put_in):
    field, value = field_and_value
    opportunity = put_in("first")

    assert_field_errors(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {field: value, "description": "Sneaky"}),
        field,
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"description": ""}, "description"),
        ({"description": "x" * 101}, "description"),
        ({"contact": "CT999999"}, "contact"),
        ({"salesperson": "NOPE"}, "salesperson"),
        ({"sales_cycle": "NOPE"}, "sales_cycle"),
    ],
)
def test_invalid_patch_input_is_answered_with_field_errors(body, field, rep_api, opportunity):
    assert_field_errors(lambda: rep_api.patch(opportunity_url(opportunity.no), body), field, opportunity=opportunity)


def test_a_rep_cannot_hand_their_opportunity_to_another_salesperson(rep_api, other_rep, opportunity):
    assert_refused(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {"salesperson": "OTHER"}),
        status=403,
        code="cannot_assign_other_salesperson",
        opportunity=opportunity,
    )


def test_a_manager_reassigns_an_opportunity_and_its_open_tasks_follow(manager_api, other_rep, put_in):
    opportunity = put_in("first")
    assert Task.objects.filter(opportunity=opportunity, salesperson__code="REP").count() == 2

    response = manager_api.patch(opportunity_url(opportunity.no), {"salesperson": "OTHER"})

    assert response.status_code == 200, response.content
    assert response.json()["salesperson"] == "OTHER"
    assert Task.objects.filter(opportunity=opportunity, salesperson=other_rep).count() == 2


def test_a_manager_cannot_reassign_to_a_blocked_salesperson(manager_api, opportunity):
    SalespersonFactory(code="GONE", blocked=True)

    assert_refused(
        lambda: manager_api.patch(opportunity_url(opportunity.no), {"salesperson": "GONE"}),
        status=409,
        code="salesperson_blocked",
        opportunity=opportunity,
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_closed_opportunity_cannot_be_changed(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {"description": "Too late"}),
        status=409,
        code="opportunity_closed",
        opportunity=opportunity,
    )


def test_a_started_opportunity_moves_to_a_contact_of_the_same_company(rep_api, put_in):
    opportunity = put_in("first")
    colleague = PersonFactory(company=opportunity.contact.company)

    response = rep_api.patch(opportunity_url(opportunity.no), {"contact": colleague.no})

    assert response.status_code == 200, response.content
    assert response.json()["contact"] == colleague.no
    assert response.json()["contact_company"] == opportunity.contact.company.no


def test_a_started_opportunity_cannot_move_to_a_contact_of_another_company(rep_api, put_in):
    opportunity = put_in("first")
    stranger = PersonFactory()

    assert_refused(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {"contact": stranger.no}),
        status=409,
        code="contact_other_company",
        opportunity=opportunity,
    )


def test_a_not_started_opportunity_moves_to_a_company_contact_which_becomes_its_company(rep_api, opportunity):
    company = CompanyFactory()

    response = rep_api.patch(opportunity_url(opportunity.no), {"contact": company.no})

    assert response.status_code == 200, response.content
    assert (response.json()["contact"], response.json()["contact_company"]) == (company.no, company.no)


def test_the_sales_cycle_of_a_not_started_opportunity_can_be_changed(rep_api, opportunity):
    other_cycle = SalesCycleFactory(code="EXISTING")
    StageFactory(sales_cycle=other_cycle, stage=10)

    response = rep_api.patch(opportunity_url(opportunity.no), {"sales_cycle": "EXISTING"})

    assert response.status_code == 200, response.content
    assert response.json()["sales_cycle"] == "EXISTING"


def test_the_sales_cycle_of_a_started_opportunity_cannot_be_changed(rep_api, put_in):
    opportunity = put_in("first")
    SalesCycleFactory(code="EXISTING")

    assert_refused(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {"sales_cycle": "EXISTING"}),
        status=409,
        code="sales_cycle_change_started",
        opportunity=opportunity,
    )


def test_a_not_started_opportunity_cannot_move_to_a_blocked_sales_cycle(rep_api, opportunity):
    SalesCycleFactory(code="OLD", blocked=True)

    assert_refused(
        lambda: rep_api.patch(opportunity_url(opportunity.no), {"sales_cycle": "OLD"}),
        status=409,
        code="sales_cycle_blocked",
        opportunity=opportunity,
    )


def test_another_rep_patching_the_reps_opportunity_gets_404(other_rep_api, opportunity):
    before = snapshot(opportunity.pk)

    response = other_rep_api.patch(opportunity_url(opportunity.no), {"description": "Mine now"})

    assert response.status_code == 404
    assert snapshot(opportunity.pk) == before


def test_a_user_without_a_salesperson_patching_gets_403(plain_api, opportunity):
    assert_refused(
        lambda: plain_api.patch(opportunity_url(opportunity.no), {"description": "Mine now"}),
        status=403,
        code="permission_denied",
        opportunity=opportunity,
    )


def test_a_rep_who_may_see_all_but_not_change_all_gets_403_on_anothers_opportunity(opportunity):
    viewer_api = viewer_client()
    assert viewer_api.get(opportunity_url(opportunity.no)).status_code == 200

    assert_refused(
        lambda: viewer_api.patch(opportunity_url(opportunity.no), {"description": "Mine now"}),
        status=403,
        code="permission_denied",
        opportunity=opportunity,
    )


def test_an_anonymous_patch_is_answered_401(anon_api, opportunity):
    assert_refused(
        lambda: anon_api.patch(opportunity_url(opportunity.no), {"description": "Mine now"}),
        status=401,
        code="not_authenticated",
        opportunity=opportunity,
    )


def test_a_manager_changes_a_reps_opportunity(manager_api, opportunity):
    response = manager_api.patch(opportunity_url(opportunity.no), {"priority": "low"})

    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert opportunity.priority == "low"


def test_put_on_an_opportunity_is_not_offered(rep_api, opportunity):
    assert_refused(
        lambda: rep_api.put(opportunity_url(opportunity.no), {"description": "Replaced"}),
        status=405,
        code="method_not_allowed",
        opportunity=opportunity,
    )


# --- DELETE ------------------------------------------------------------------------------------


def test_the_owning_rep_deletes_a_not_started_opportunity(rep_api, opportunity):
    response = rep_api.delete(opportunity_url(opportunity.no))

    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_an_opportunity_in_progress_cannot_be_deleted(rep_api, manager_api, put_in):
    opportunity = put_in("middle")

    for client in (rep_api, manager_api):
        assert_refused(
            lambda client=client: client.delete(opportunity_url(opportunity.no)),
            status=409,
            code="delete_in_progress",
            opportunity=opportunity,
        )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_rep_deleting_a_closed_opportunity_gets_403(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: rep_api.delete(opportunity_url(opportunity.no)),
        status=403,
        code="delete_closed_requires_manager",
        opportunity=opportunity,
    )


def test_a_manager_deletes_a_closed_opportunity_with_its_entries_and_quote(manager_api, rep, won_code, opportunity):
    opportunity = bring_to(opportunity, "middle", user=rep.user)
    services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
    closed_tasks = set(Task.objects.filter(opportunity=opportunity).values_list("pk", flat=True))

    response = manager_api.delete(opportunity_url(opportunity.no))

    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    assert not OpportunityEntry.objects.filter(opportunity_id=opportunity.pk).exists()
    assert not Quote.objects.filter(opportunity_id=opportunity.pk).exists()
    # Closed (here: canceled on close) tasks stay as the record of work done.
    assert set(Task.objects.filter(pk__in=closed_tasks).values_list("pk", flat=True)) == closed_tasks


def test_another_rep_deleting_the_reps_opportunity_gets_404(other_rep_api, opportunity):
    before = snapshot(opportunity.pk)

    assert other_rep_api.delete(opportunity_url(opportunity.no)).status_code == 404
    assert snapshot(opportunity.pk) == before


def test_a_user_without_a_salesperson_deleting_gets_403(plain_api, opportunity):
    assert_refused(
        lambda: plain_api.delete(opportunity_url(opportunity.no)),
        status=403,
        code="permission_denied",
        opportunity=opportunity,
    )


def test_a_rep_who_may_only_see_anothers_opportunity_cannot_delete_it(opportunity):
    viewer_api = viewer_client()

    assert_refused(
        lambda: viewer_api.delete(opportunity_url(opportunity.no)),
        status=403,
        code="permission_denied",
        opportunity=opportunity,
    )


def test_an_anonymous_delete_is_answered_401(anon_api, opportunity):
    assert_refused(
        lambda: anon_api.delete(opportunity_url(opportunity.no)),
        status=401,
        code="not_authenticated",
        opportunity=opportunity,
    )


def test_deleting_an_unknown_opportunity_is_answered_404(manager_api, opportunity):
    assert manager_api.delete(opportunity_url("OP999999")).status_code == 404


# --- filters, search, ordering -----------------------------------------------------------------


@pytest.fixture
def pipeline(cycle, rep, other_rep, won_code):
    """Four opportunities that differ in every filtered field (the manager sees them all)."""
    acme = CompanyFactory(name="Acme Corp")
    globex = CompanyFactory(name="Globex")
    other_cycle = SalesCycleFactory(code="EXISTING")
    StageFactory(sales_cycle=other_cycle, stage=10, completed_pct=D("25"), chances_of_success_pct=D("50"))

    started = OpportunityFactory(
        description="Fleet of vans", sales_cycle=cycle, salesperson=rep, contact=PersonFactory(company=acme)
    )
    services.opportunity_activate(
        opportunity=started, user=None, date_of_change=datetime.date(2026, 1, 10), estimated_value=D("1000")
    )
    waiting = OpportunityFactory(
        description="Printer paper", sales_cycle=cycle, salesperson=rep, priority="low", contact=acme
    )
    others = OpportunityFactory(
        description="Forklift", sales_cycle=other_cycle, salesperson=other_rep, priority="high", contact=globex
    )
    services.opportunity_activate(
        opportunity=others,
        user=None,
        date_of_change=datetime.date(2026, 1, 12),
        estimated_value=D("30000"),
        estimated_close_date=datetime.date(2026, 4, 30),
    )
    won = OpportunityFactory(description="Spare vans", sales_cycle=cycle, salesperson=rep, contact=globex)
    services.opportunity_activate(
        opportunity=won, user=None, date_of_change=datetime.date(2026, 1, 10), estimated_value=D("500")
    )
    services.opportunity_close(
        opportunity=won, user=None, outcome="won", close_code=won_code, date_closed=datetime.date(2026, 1, 20)
    )
    return {"started": started, "waiting": waiting, "others": others, "won": won, "acme": acme, "globex": globex}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=in_progress", {"started", "others"}),
        ("status=not_started", {"waiting"}),
        ("status=won", {"won"}),
        ("salesperson=OTHER", {"others"}),
        ("salesperson=REP", {"started", "waiting", "won"}),
        ("sales_cycle=EXISTING", {"others"}),
        ("current_stage=1", {"started"}),
        ("current_stage=10", {"others"}),
        ("current_stage=2", set()),
        ("contact_company={acme}", {"started", "waiting"}),
        ("contact={globex}", {"others", "won"}),
        ("priority=low", {"waiting"}),
        ("priority=high", {"others"}),
        ("closed=true", {"won"}),
        ("closed=false", {"started", "waiting", "others"}),
        ("estimated_closing_date_after=2026-02-01", {"started", "others"}),
        ("estimated_closing_date_before=2026-02-10", {"started", "won"}),
        ("estimated_closing_date_after=2026-02-11&estimated_closing_date_before=2026-12-31", {"others"}),
        ("search=vans", {"started", "won"}),
        ("search=acme", {"started", "waiting"}),
        ("status=in_progress&salesperson=REP", {"started"}),
    ],
)
def test_the_list_filters(query, expected, manager_api, pipeline):
    query = query.format(acme=pipeline["acme"].no, globex=pipeline["globex"].no)

    response = manager_api.get(f"{opportunities_url()}?{query}")

    assert set(_nos(response)) == {pipeline[name].no for name in expected}


def test_the_list_searches_by_number(manager_api, pipeline):
    assert _nos(manager_api.get(f"{opportunities_url()}?search={pipeline['others'].no}")) == [pipeline["others"].no]


def test_filters_never_widen_what_a_rep_sees(rep_api, pipeline):
    assert _nos(rep_api.get(f"{opportunities_url()}?salesperson=OTHER")) == []
    assert _nos(rep_api.get(f"{opportunities_url()}?sales_cycle=EXISTING")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("priority=urgent", "priority"),
        ("current_stage=abc", "current_stage"),
        ("current_stage=0", "current_stage"),
        ("current_stage=2147483648", "current_stage"),
        ("current_stage=1.5", "current_stage"),
        ("estimated_closing_date_after=notadate", "estimated_closing_date"),
        ("estimated_closing_date_before=2026-13-01", "estimated_closing_date"),
        ("salesperson=" + "X" * 21, "salesperson"),
    ],
)
def test_an_invalid_filter_value_is_answered_400_naming_the_filter(query, field, manager_api, pipeline):
    response = manager_api.get(f"{opportunities_url()}?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("estimated_value", ["waiting", "won", "started", "others"]),
        ("-estimated_value", ["others", "started", "won", "waiting"]),
        ("description", ["started", "others", "waiting", "won"]),
        ("-description", ["won", "waiting", "others", "started"]),
    ],
)
def test_the_list_orders_ascending_and_descending(ordering, expected, manager_api, pipeline):
    response = manager_api.get(f"{opportunities_url()}?ordering={ordering}")

    assert _nos(response) == [pipeline[name].no for name in expected]


def test_the_list_is_newest_number_first_by_default(manager_api, pipeline):
    nos = _nos(manager_api.get(opportunities_url()))

    assert nos == sorted(nos, reverse=True)
    assert _nos(manager_api.get(f"{opportunities_url()}?ordering=no")) == sorted(nos)


# --- pagination --------------------------------------------------------------------------------


def _many(count: int, *, cycle, rep) -> None:
    contact = PersonFactory()
    Opportunity.objects.bulk_create(
        OpportunityFactory.build(
            sales_cycle=cycle, salesperson=rep, contact=contact, contact_company=contact.company, description="Bulk"
        )
        for _ in range(count)
    )


def test_the_list_pages_with_next_and_previous_links(rep_api, rep, cycle):
    _many(5, cycle=cycle, rep=rep)

    first = rep_api.get(f"{opportunities_url()}?page_size=2").json()
    second = rep_api.get(first["next"]).json()
    last = rep_api.get(f"{opportunities_url()}?page_size=2&page=3").json()

    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert "page=2" in first["next"]
    assert "page_size=2" in first["next"]
    assert len(second["results"]) == 2
    assert second["previous"] is not None
    assert (len(last["results"]), last["next"]) == (1, None)
    pages = [row["no"] for page in (first, second, last) for row in page["results"]]
    assert len(set(pages)) == 5


def test_a_page_size_above_500_is_capped_at_500(rep_api, rep, cycle):
    _many(501, cycle=cycle, rep=rep)

    body = rep_api.get(f"{opportunities_url()}?page_size=1000").json()

    assert body["count"] == 501
    assert len(body["results"]) == 500
    assert body["next"] is not None


def test_a_page_beyond_the_last_is_answered_404(rep_api, opportunity):
    assert rep_api.get(f"{opportunities_url()}?page=99").status_code == 404


# --- ordering by priority, and ties (bug fixes) --------------------------------------------------


@pytest.fixture
def prioritised(cycle, rep):
    """Five opportunities, numbered in the order they are inserted: two high, two normal, one low."""
    return [
        OpportunityFactory(no=f"OPT0000{index}", priority=priority, sales_cycle=cycle, salesperson=rep)
        for index, priority in enumerate(["high", "low", "normal", "high", "normal"], start=1)
    ]


def test_ordering_by_priority_means_low_normal_high_not_the_alphabet(rep_api, prioritised):
    ascending = rep_api.get(f"{opportunities_url()}?ordering=priority").json()["results"]
    descending = rep_api.get(f"{opportunities_url()}?ordering=-priority").json()["results"]

    assert [row["priority"] for row in ascending] == ["low", "normal", "normal", "high", "high"]
    assert [row["priority"] for row in descending] == ["high", "high", "normal", "normal", "low"]


def test_rows_that_tie_on_the_ordering_keep_the_default_order_so_pages_are_stable(rep_api, prioritised):
    rows = rep_api.get(f"{opportunities_url()}?ordering=-priority").json()["results"]
    paged = [
        row["no"]
        for page in range(1, 4)
        for row in rep_api.get(f"{opportunities_url()}?ordering=-priority&page_size=2&page={page}").json()["results"]
    ]

    assert [row["no"] for row in rows] == ["OPT00004", "OPT00001", "OPT00005", "OPT00003", "OPT00002"]
    assert paged == [row["no"] for row in rows]
