"""The opportunity detail page, its action dialogs (activate, update, close, delete) and the quote editor."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, Task
from tests.api.opportunity_helpers import count_queries
from tests.factories import CompanyFactory, OpportunityFactory, PersonFactory
from tests.opportunities.helpers import QUOTE_LINES, bring_to

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
ACTIVATED_ON = datetime.date(2026, 1, 10)


def _snapshot(opportunity: Opportunity) -> tuple:
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    return (fresh.status, fresh.current_stage_id, fresh.estimated_value, fresh.entries.count())


@pytest.fixture
def started(opportunity, rep):
    """The rep's opportunity at stage 1, activated with 1000."""
    services.opportunity_activate(
        opportunity=opportunity, user=rep.user, date_of_change=ACTIVATED_ON, estimated_value=D("1000")
    )
    return Opportunity.objects.get(pk=opportunity.pk)


def _url(name: str, opportunity: Opportunity) -> str:
    return reverse(f"opportunities:{name}", args=[opportunity.no])


# --- permissions -----------------------------------------------------------------------------------

PAGES = ["detail", "activate", "update", "close", "delete", "quote"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_the_owning_rep_and_a_manager_open_every_page_of_an_opportunity(client, rep, manager, started, name):
    for user in (rep.user, manager):
        client.force_login(user)
        assert client.get(_url(name, started)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_another_rep_gets_404_as_if_the_opportunity_did_not_exist(client, other_rep, started, name):
    client.force_login(other_rep.user)
    assert client.get(_url(name, started)).status_code == 404
    assert client.post(_url(name, started), {"action": "next"}).status_code == 404
    assert _snapshot(started)[3] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, started, name):
    response = client.get(_url(name, started))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_an_unknown_number_answers_404(client, rep, cycle):
    client.force_login(rep.user)
    assert client.get("/opportunities/OP999999/").status_code == 404


# --- the page --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_page_shows_figures_stages_history_tasks_and_quote(client, rep, started):
    services.opportunity_update_stage(opportunity=started, user=rep.user, action="next", date_of_change=ACTIVATED_ON)
    services.quote_save(opportunity=started, user=rep.user, lines=QUOTE_LINES)
    client.force_login(rep.user)
    html = client.get(_url("detail", started)).content.decode()
    assert started.description in html
    assert "1,000.00\N{NO-BREAK SPACE}EUR" in html  # estimated value through the money filter
    assert 'class="stage-step stage-passed"' in html  # stage 1 is behind
    assert 'aria-current="step"' in html
    assert "Qualify" in html and "Proposal" in html
    assert "Next" in html and "First" in html  # the timeline's actions
    assert "Call" in html and "Meet" in html  # the tasks stage 1's activity created
    assert "1,500.00\N{NO-BREAK SPACE}EUR" in html  # quote total
    assert "Licences" in html
    assert reverse("opportunities:update", args=[started.no]) in html
    assert reverse("opportunities:activate", args=[started.no]) not in html


@pytest.mark.django_db
def test_a_not_started_opportunity_offers_activate_and_delete_but_not_update(client, rep, opportunity):
    client.force_login(rep.user)
    html = client.get(_url("detail", opportunity)).content.decode()
    assert reverse("opportunities:activate", args=[opportunity.no]) in html
    assert reverse("opportunities:delete", args=[opportunity.no]) in html
    assert reverse("opportunities:update", args=[opportunity.no]) not in html
    assert "not been started" in html


# Measured, then pinned per state: session, the user with profile and salesperson, permissions, the
# opportunity with its contacts, salesperson, cycle and stage, the cycle's stages, the history, the
# tasks, the quote; with a quote also its lines. A higher number is a regression.
DETAIL_QUERIES = {
    "not started": 8,
    "in progress": 8,
    "in progress with a quote": 9,
    "won": 8,
    "company contact": 8,
}


def _in_state(state: str, rep, cycle, won_code, *, history: int) -> Opportunity:
    """An opportunity of the rep in ``state``, with ``history`` more entries (when started) and tasks."""
    contact = CompanyFactory() if state == "company contact" else PersonFactory()
    opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=contact)
    if state != "not started":
        services.opportunity_activate(
            opportunity=opportunity, user=rep.user, date_of_change=ACTIVATED_ON, estimated_value=D("1000")
        )
    for index in range(history):
        if state != "not started":
            services.opportunity_update_stage(
                opportunity=opportunity, user=rep.user, action="update", note=f"x{index}", date_of_change=ACTIVATED_ON
            )
        services.task_create(
            user=rep.user, description=f"Follow-up {index}", date=ACTIVATED_ON, opportunity=opportunity
        )
    if state == "in progress with a quote":
        services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES)
    if state == "won":
        services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
    return Opportunity.objects.get(pk=opportunity.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("state", DETAIL_QUERIES)
def test_the_detail_page_costs_the_pinned_queries_in_each_state_however_long_its_history(
    client, rep, cycle, won_code, state
):
    short = _in_state(state, rep, cycle, won_code, history=0)
    long = _in_state(state, rep, cycle, won_code, history=6)
    client.force_login(rep.user)

    counts = [count_queries(client, _url("detail", subject)) for subject in (short, long)]

    assert long.entries.count() > short.entries.count() or state == "not started"
    assert counts == [DETAIL_QUERIES[state]] * 2


# --- activate --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_activate_dialog_proposes_the_first_stage_defaults(client, rep, opportunity):
    client.force_login(rep.user)
    html = client.get(_url("activate", opportunity), **HTMX).content.decode()
    assert html.startswith("<dialog")
    assert 'aria-labelledby="action-dialog-title"' in html
    assert 'value="20.00"' in html  # stage 1's chances default
    assert 'data-method="multiply"' in html


@pytest.mark.django_db
def test_activating_through_the_dialog_starts_the_opportunity(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.post(
        _url("activate", opportunity), {"estimated_value": "2500", "date_of_change": "2026-01-10"}, **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == _url("detail", opportunity)
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    assert fresh.status == "in_progress"
    assert fresh.current_stage.stage == 1
    assert fresh.estimated_value == D("2500.00")


@pytest.mark.django_db
def test_activating_without_javascript_redirects_with_a_success_message(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.post(_url("activate", opportunity), {"estimated_value": "100"}, follow=True)
    assert response.redirect_chain[-1][0] == _url("detail", opportunity)
    assert f"Opportunity {opportunity.no} is activated." in response.content.decode()


@pytest.mark.django_db
def test_activating_twice_shows_the_service_refusal_in_the_dialog(client, rep, started):
    client.force_login(rep.user)
    before = _snapshot(started)
    response = client.post(_url("activate", started), {"estimated_value": "5"}, **HTMX)
    assert response.status_code == 200
    assert f"Opportunity {started.no} has already been started." in response.content.decode()
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_activate_field_errors_stand_next_to_their_fields(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.post(_url("activate", opportunity), {"chances_of_success_pct": "150"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "has-error" in html and "less than or equal to 100" in html
    assert _snapshot(opportunity)[0] == "not_started"


# --- update ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_next_through_the_dialog_moves_the_opportunity_and_records_an_entry(client, rep, started):
    client.force_login(rep.user)
    response = client.post(
        _url("update", started), {"action": "next", "date_of_change": "2026-01-12", "note": "Met them"}, **HTMX
    )
    assert response.status_code == 204
    fresh = Opportunity.objects.get(pk=started.pk)
    assert fresh.current_stage.stage == 2
    entry = fresh.entries.get(active=True)
    assert (entry.action_taken, entry.note, entry.created_by) == ("next", "Met them", rep.user)


@pytest.mark.django_db
def test_a_manager_moves_a_reps_opportunity(client, manager, started):
    client.force_login(manager)
    response = client.post(
        _url("update", started), {"action": "update", "estimated_value": "3000", "date_of_change": "2026-01-12"}, **HTMX
    )
    assert response.status_code == 204
    assert Opportunity.objects.get(pk=started.pk).estimated_value == D("3000.00")


@pytest.mark.django_db
def test_the_update_dialog_proposes_the_target_stage_values(client, rep, started):
    client.force_login(rep.user)
    html = client.get(_url("update", started) + "?action=skip&stage=2", **HTMX).content.decode()
    assert '<option value="skip" selected>' in html
    assert '<option value="2" selected>' in html
    assert 'value="40.00"' in html  # stage 2's chances default
    assert 'data-stages="1:10.00:20.00,2:30.00:40.00' in html


@pytest.mark.django_db
def test_a_refused_skip_shows_the_reason_and_changes_nothing(client, rep, started):
    # From stage 1 to 7: stage 5 between them does not allow skipping.
    client.force_login(rep.user)
    before = _snapshot(started)
    response = client.post(_url("update", started), {"action": "skip", "stage": "7"}, **HTMX)
    assert response.status_code == 200
    assert "Stage 5 (Negotiate) cannot be skipped." in response.content.decode()
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_a_move_to_a_stage_that_requires_a_quote_is_refused_without_one(client, rep, started):
    client.force_login(rep.user)
    before = _snapshot(started)
    response = client.post(_url("update", started), {"action": "skip", "stage": "3"}, **HTMX)
    assert "Stage 3 (Proposal) requires a sales quote; create one first." in response.content.decode()
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_a_date_before_the_last_change_is_refused(client, rep, started):
    client.force_login(rep.user)
    before = _snapshot(started)
    response = client.post(_url("update", started), {"action": "next", "date_of_change": "2026-01-01"}, **HTMX)
    assert "lies before the date of the last change" in response.content.decode()
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_updating_a_not_started_opportunity_is_refused(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.post(_url("update", opportunity), {"action": "next"}, **HTMX)
    assert "has not been started; activate it first." in response.content.decode()
    assert _snapshot(opportunity) == ("not_started", None, D("0"), 0)


@pytest.mark.django_db
def test_an_unknown_action_is_a_field_error(client, rep, started):
    client.force_login(rep.user)
    before = _snapshot(started)
    html = client.post(_url("update", started), {"action": "sideways"}, **HTMX).content.decode()
    assert "Select a valid choice" in html
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_update_redirects_to_a_safe_next_url_only(client, rep, started):
    client.force_login(rep.user)
    response = client.post(
        _url("update", started),
        {"action": "next", "date_of_change": "2026-01-12", "next": "https://evil.example/"},
        **HTMX,
    )
    assert response["HX-Redirect"] == _url("detail", started)
    response = client.post(
        _url("update", started), {"action": "update", "date_of_change": "2026-01-12", "next": "/pipeline/"}, **HTMX
    )
    assert response["HX-Redirect"] == "/pipeline/"


@pytest.mark.django_db
def test_cancel_open_tasks_on_update(client, rep, started):
    client.force_login(rep.user)
    client.post(_url("update", started), {"action": "next", "cancel_open_tasks": "on"}, **HTMX)
    assert not Task.objects.filter(opportunity=started, closed=False, opportunity_entry__stage__stage=1).exists()


# --- close -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_close_dialog_offers_only_codes_of_the_outcome(client, rep, started, won_code, lost_code):
    client.force_login(rep.user)
    html = client.get(_url("close", started) + "?outcome=lost", **HTMX).content.decode()
    assert "LOST-COMP" in html and "WON-PRICE" not in html
    assert 'name="sales_amount"' not in html


@pytest.mark.django_db
def test_closing_as_won_through_the_dialog(client, rep, started, won_code):
    client.force_login(rep.user)
    response = client.post(
        _url("close", started),
        {
            "outcome": "won",
            "close_code": won_code.pk,
            "date_closed": "2026-02-01",
            "sales_amount": "1800",
            "cancel_open_tasks": "on",
        },
        **HTMX,
    )
    assert response.status_code == 204
    fresh = Opportunity.objects.get(pk=started.pk)
    assert (fresh.status, fresh.close_code, fresh.calculated_current_value) == ("won", won_code, D("1800.00"))
    assert not Task.objects.filter(opportunity=started, closed=False).exists()


@pytest.mark.django_db
def test_the_close_dialog_ticks_cancel_open_tasks_by_default(client, rep, started, won_code):
    client.force_login(rep.user)
    html = client.get(_url("close", started) + "?outcome=won", **HTMX).content.decode()
    assert 'name="cancel_open_tasks" id="id_cancel_open_tasks" checked' in html


@pytest.mark.django_db
def test_a_close_code_of_the_other_outcome_is_a_field_error(client, rep, started, won_code, lost_code):
    client.force_login(rep.user)
    before = _snapshot(started)
    html = client.post(_url("close", started), {"outcome": "won", "close_code": lost_code.pk}, **HTMX).content.decode()
    assert "Select a valid choice" in html
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_closing_a_closed_opportunity_shows_the_refusal(client, rep, opportunity, won_code, lost_code):
    closed = bring_to(opportunity, "lost", user=rep.user, won_code=won_code, lost_code=lost_code)
    client.force_login(rep.user)
    before = _snapshot(closed)
    html = client.post(_url("close", closed), {"outcome": "won", "close_code": won_code.pk}, **HTMX).content.decode()
    assert f"Opportunity {closed.no} is closed (Lost) and cannot be changed." in html
    assert _snapshot(closed) == before


# --- delete ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_not_started_opportunity(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.post(_url("delete", opportunity), **HTMX)
    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


@pytest.mark.django_db
def test_deleting_an_opportunity_in_progress_is_refused_in_the_dialog(client, rep, started):
    client.force_login(rep.user)
    before = _snapshot(started)
    response = client.post(_url("delete", started), **HTMX)
    assert response.status_code == 200
    assert "An opportunity in progress cannot be deleted; close it first." in response.content.decode()
    assert _snapshot(started) == before


@pytest.mark.django_db
def test_a_rep_may_not_delete_a_closed_opportunity_but_a_manager_may(
    client, rep, manager, opportunity, won_code, lost_code
):
    closed = bring_to(opportunity, "won", user=rep.user, won_code=won_code, lost_code=lost_code)
    client.force_login(rep.user)
    html = client.post(_url("delete", closed), **HTMX).content.decode()
    assert "Only sales managers can delete closed opportunities." in html
    assert Opportunity.objects.filter(pk=closed.pk).exists()
    client.force_login(manager)
    assert client.post(_url("delete", closed), **HTMX).status_code == 204
    assert not Opportunity.objects.filter(pk=closed.pk).exists()


# --- quote -----------------------------------------------------------------------------------------


def _quote_post(lines, *, initial=0, **extra):
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "quote_date": "2026-01-15",
        **extra,
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


@pytest.mark.django_db
def test_saving_a_quote_through_the_editor(client, rep, started):
    client.force_login(rep.user)
    data = _quote_post(
        [
            {"description": "Licences", "quantity": "10", "unit_price": "120", "discount_pct": "10"},
            {"description": "Set-up", "quantity": "1", "unit_price": "300", "discount_pct": ""},
            {"description": "Dropped", "quantity": "1", "unit_price": "5", "DELETE": "on"},
        ]
    )
    response = client.post(_url("quote", started), data)
    assert response.status_code == 302
    quote = Quote.objects.get(opportunity=started)
    assert quote.total == D("1380.00")
    assert [line.description for line in quote.lines.order_by("line_no")] == ["Licences", "Set-up"]


@pytest.mark.django_db
def test_the_quote_editor_shows_existing_lines(client, rep, started):
    services.quote_save(opportunity=started, user=rep.user, lines=QUOTE_LINES)
    client.force_login(rep.user)
    html = client.get(_url("quote", started)).content.decode()
    assert 'value="Licences"' in html and 'name="lines-TOTAL_FORMS"' in html
    assert "data-quote-editor" in html


@pytest.mark.django_db
def test_quote_line_errors_stand_next_to_their_fields(client, rep, started):
    client.force_login(rep.user)
    data = _quote_post([{"description": "", "quantity": "-1", "unit_price": "10"}])
    html = client.post(_url("quote", started), data).content.decode()
    assert "This field is required." in html
    assert "greater than or equal to 0" in html
    assert not Quote.objects.filter(opportunity=started).exists()


@pytest.mark.django_db
def test_a_quote_without_lines_is_refused(client, rep, started):
    client.force_login(rep.user)
    html = client.post(_url("quote", started), _quote_post([])).content.decode()
    assert "Add at least one line." in html
    assert not Quote.objects.filter(opportunity=started).exists()


@pytest.mark.django_db
def test_a_quote_that_expires_before_its_date_is_refused_by_the_service(client, rep, started):
    client.force_login(rep.user)
    data = _quote_post([{"description": "A", "quantity": "1", "unit_price": "1"}], valid_until="2026-01-01")
    html = client.post(_url("quote", started), data).content.decode()
    assert "The quote cannot expire before its date." in html
    assert not Quote.objects.filter(opportunity=started).exists()


@pytest.mark.django_db
def test_deleting_the_quote(client, rep, started):
    services.quote_save(opportunity=started, user=rep.user, lines=QUOTE_LINES)
    client.force_login(rep.user)
    response = client.post(_url("quote", started), {"delete": "1"})
    assert response.status_code == 302
    assert not Quote.objects.filter(opportunity=started).exists()


@pytest.mark.django_db
def test_the_quote_of_a_closed_opportunity_is_read_only(client, rep, opportunity, won_code, lost_code):
    closed = bring_to(opportunity, "won", user=rep.user, won_code=won_code, lost_code=lost_code)
    client.force_login(rep.user)
    response = client.get(_url("quote", closed))
    assert "data-quote-editor" not in response.content.decode()
    assert "only be changed while the opportunity is in progress" in response.content.decode()
    response = client.post(
        _url("quote", closed), _quote_post([{"description": "A", "quantity": "1", "unit_price": "1"}])
    )
    assert response.status_code == 200
    assert not Quote.objects.filter(opportunity=closed).exists()


@pytest.mark.django_db
def test_words_like_new_do_not_reach_the_detail_view(client, rep, cycle):
    OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory(), no="OP000001")
    client.force_login(rep.user)
    assert client.get("/opportunities/OP000001/").status_code == 200
    assert OpportunityEntry.objects.count() == 0
