"""The lifecycle commands of SPEC §7: ``activate/``, ``update-stage/``, ``close/``, ``entries/`` and
``quote/``; every refusal is a 409 ``{"detail", "code"}`` that leaves the database as it was."""

import datetime

import pytest
from django.utils import timezone

from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from salescycles.models import SalesCycleStage
from tests.api.opportunity_helpers import (
    D,
    assert_field_errors,
    assert_refused,
    bring_to,
    opportunity_url,
    snapshot,
    viewer_client,
)
from tests.factories import OpportunityFactory, PersonFactory, SalesCycleFactory
from tests.opportunities.helpers import CLOSED_ON, QUOTE_TOTAL

LINES = [
    {"description": "Licences", "quantity": "10", "unit_price": "120.00"},
    {"description": "Training", "quantity": "3", "unit_price": "99.99", "discount_pct": "10"},
]


@pytest.fixture
def put_in(opportunity, rep, won_code, lost_code):
    """``put_in(status)``: the rep's opportunity brought into a status of helpers.STATUSES.

    first: stage 1, activated 2026-01-10 with 1000; middle: stage 3 (2026-01-15) with a quote of
    1500; last: stage 7 (2026-01-25); won/lost: closed from stage 1 on 2026-01-20.
    """

    def _put_in(status: str) -> Opportunity:
        return bring_to(opportunity, status, user=rep.user, won_code=won_code, lost_code=lost_code)

    return _put_in


def _post(client, opportunity, command, body=None):
    return client.post(opportunity_url(opportunity.no, command), body or {})


def _active(opportunity) -> OpportunityEntry:
    return OpportunityEntry.objects.get(opportunity=opportunity, active=True)


# --- activate/ ---------------------------------------------------------------------------------


def test_activating_puts_the_opportunity_at_the_first_stage_with_the_given_estimates(rep_api, opportunity):
    response = _post(
        rep_api,
        opportunity,
        "activate",
        {
            "date_of_change": "2026-03-02",
            "estimated_value": "8000",
            "chances_of_success_pct": "30",
            "estimated_close_date": "2026-05-31",
            "note": "Kick-off",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["no"], body["status"], body["current_stage"]) == (opportunity.no, "in_progress", 1)
    assert body["estimated_value"] == "8000.00"
    assert body["chances_of_success_pct"] == "30.00"
    assert body["completed_pct"] == "10.00"
    assert body["probability_pct"] == "3.00"
    assert body["calculated_current_value"] == "240.00"
    assert body["estimated_closing_date"] == "2026-05-31"
    entry = _active(opportunity)
    assert (entry.action_taken, entry.date_of_change, entry.note) == ("first", datetime.date(2026, 3, 2), "Kick-off")
    assert Task.objects.filter(opportunity=opportunity, opportunity_entry=entry).count() == 2


def test_activating_without_a_body_takes_today_the_stage_default_chances_and_its_date_formula(rep_api, opportunity):
    response = _post(rep_api, opportunity, "activate")

    assert response.status_code == 200, response.content
    body = response.json()
    today = timezone.localdate()
    assert (body["estimated_value"], body["chances_of_success_pct"]) == ("0.00", "20.00")
    assert _active(opportunity).date_of_change == today
    assert datetime.date.fromisoformat(body["estimated_closing_date"]) > today  # stage 1: one month on


@pytest.mark.parametrize("status", ["first", "middle"])
def test_activating_a_started_opportunity_is_refused(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: _post(rep_api, opportunity, "activate"), status=409, code="already_started", opportunity=opportunity
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_activating_a_closed_opportunity_is_refused(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: _post(rep_api, opportunity, "activate"), status=409, code="opportunity_closed", opportunity=opportunity
    )


def test_activating_in_a_cycle_without_stages_is_refused(rep_api, rep):
    opportunity = OpportunityFactory(sales_cycle=SalesCycleFactory(code="EMPTY"), salesperson=rep)

    assert_refused(
        lambda: _post(rep_api, opportunity, "activate"),
        status=409,
        code="sales_cycle_has_no_stages",
        opportunity=opportunity,
    )


def test_activating_with_a_close_date_before_the_date_of_change_is_refused(rep_api, opportunity):
    assert_refused(
        lambda: _post(
            rep_api, opportunity, "activate", {"date_of_change": "2026-03-02", "estimated_close_date": "2026-03-01"}
        ),
        status=409,
        code="estimated_close_date_before_change",
        opportunity=opportunity,
    )


def test_activating_a_stage_with_a_broken_date_formula_is_refused_not_a_500(rep_api, opportunity):
    # Written past the model's validator, as old data or a raw import could be.
    SalesCycleStage.objects.filter(sales_cycle=opportunity.sales_cycle, stage=1).update(date_formula="1X+")

    assert_refused(
        lambda: _post(rep_api, opportunity, "activate", {"date_of_change": "2026-03-02"}),
        status=409,
        code="invalid_date_formula",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chances_of_success_pct": "101"}, "chances_of_success_pct"),
        ({"chances_of_success_pct": "50.123"}, "chances_of_success_pct"),
        ({"estimated_value": "-5"}, "estimated_value"),
        ({"estimated_value": "1.234"}, "estimated_value"),
        ({"estimated_value": "12345678901234567"}, "estimated_value"),
        ({"date_of_change": "notadate"}, "date_of_change"),
        ({"estimated_close_date": "2026-02-30"}, "estimated_close_date"),
        ({"note": "x" * 4001}, "note"),
    ],
)
def test_invalid_activation_input_is_answered_with_field_errors(body, field, rep_api, opportunity):
    assert_field_errors(lambda: _post(rep_api, opportunity, "activate", body), field, opportunity=opportunity)


# --- update-stage/ -----------------------------------------------------------------------------


def test_next_moves_to_the_following_stage_with_its_defaults(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-02-01"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["current_stage"], body["current_stage_description"]) == ("in_progress", 2, "Qualify")
    assert body["estimated_value"] == "1000.00"
    assert body["chances_of_success_pct"] == "40.00"
    assert body["completed_pct"] == "30.00"
    assert body["probability_pct"] == "12.00"
    assert body["calculated_current_value"] == "120.00"
    assert body["estimated_closing_date"] == "2026-02-15"
    entry = _active(opportunity)
    assert (entry.action_taken, entry.stage.stage, entry.previous_stage.stage) == ("next", 2, 1)
    assert OpportunityEntry.objects.filter(opportunity=opportunity).count() == 2


def test_previous_moves_back_one_stage(rep_api, put_in):
    opportunity = put_in("middle")

    response = _post(rep_api, opportunity, "update-stage", {"action": "previous", "date_of_change": "2026-02-01"})

    assert response.status_code == 200, response.content
    assert response.json()["current_stage"] == 2
    assert _active(opportunity).action_taken == "previous"


def test_skip_moves_over_skippable_stages_and_keeps_the_chances_when_the_target_default_is_zero(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(
        rep_api, opportunity, "update-stage", {"action": "skip", "stage": 5, "date_of_change": "2026-02-01"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["current_stage"], body["chances_of_success_pct"], body["completed_pct"]) == (5, "20.00", "80.00")
    assert _active(opportunity).action_taken == "skipped"


def test_jump_moves_back_to_an_earlier_stage(rep_api, put_in):
    opportunity = put_in("last")

    response = _post(
        rep_api, opportunity, "update-stage", {"action": "jump", "stage": "1", "date_of_change": "2026-02-01"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["current_stage"] == 1
    assert _active(opportunity).action_taken == "jumped"


def test_update_records_new_figures_at_the_current_stage(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(
        rep_api,
        opportunity,
        "update-stage",
        {
            "action": "update",
            "date_of_change": "2026-02-01",
            "estimated_value": "2500.50",
            "chances_of_success_pct": "55.5",
            "estimated_close_date": "2026-09-30",
            "note": "Budget confirmed",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["current_stage"], body["estimated_value"], body["chances_of_success_pct"]) == (1, "2500.50", "55.50")
    assert body["probability_pct"] == "5.55"
    assert body["calculated_current_value"] == "138.78"
    assert body["estimated_closing_date"] == "2026-09-30"
    entry = _active(opportunity)
    assert (entry.action_taken, entry.note) == ("updated", "Budget confirmed")
    assert Task.objects.filter(opportunity=opportunity).count() == 2  # an update creates no tasks


def test_moving_to_a_quote_required_stage_with_a_quote_takes_the_quote_total(rep_api, put_in):
    opportunity = put_in("first")
    rep_api.put(opportunity_url(opportunity.no, "quote"), {"lines": LINES, "quote_date": "2026-01-10"})
    _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-01-12"})

    response = _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-01-14"})

    assert response.status_code == 200, response.content
    assert (response.json()["current_stage"], response.json()["estimated_value"]) == (3, "1469.97")


def test_cancel_open_tasks_cancels_the_open_tasks_before_the_move(rep_api, put_in):
    opportunity = put_in("first")
    stage_one_tasks = list(Task.objects.filter(opportunity=opportunity).values_list("pk", flat=True))

    response = _post(
        rep_api,
        opportunity,
        "update-stage",
        {"action": "next", "date_of_change": "2026-02-01", "cancel_open_tasks": True},
    )

    assert response.status_code == 200, response.content
    assert Task.objects.filter(pk__in=stage_one_tasks, canceled=True, closed=True).count() == 2


def test_update_stage_of_a_not_started_opportunity_is_refused(rep_api, opportunity):
    assert_refused(
        lambda: _post(rep_api, opportunity, "update-stage", {"action": "next"}),
        status=409,
        code="not_started",
        opportunity=opportunity,
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_update_stage_of_a_closed_opportunity_is_refused(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: _post(rep_api, opportunity, "update-stage", {"action": "update", "estimated_value": "5"}),
        status=409,
        code="opportunity_closed",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        ("last", {"action": "next"}, "no_next_stage"),
        ("first", {"action": "previous"}, "no_previous_stage"),
        ("middle", {"action": "skip", "stage": 2}, "skip_target_not_later"),
        ("middle", {"action": "skip", "stage": 3}, "skip_target_not_later"),
        ("first", {"action": "skip", "stage": 7}, "skip_not_allowed"),
        ("first", {"action": "jump", "stage": 3}, "jump_target_not_earlier"),
        ("first", {"action": "skip"}, "stage_required"),
        ("middle", {"action": "jump"}, "stage_required"),
        ("first", {"action": "skip", "stage": 4}, "stage_not_found"),
        ("middle", {"action": "jump", "stage": 2147483647}, "stage_not_found"),
        ("first", {"action": "next", "stage": 3}, "stage_mismatch"),
        ("first", {"action": "update", "stage": 2}, "stage_mismatch"),
        ("first", {"action": "skip", "stage": 3}, "quote_required"),
        ("first", {"action": "next", "date_of_change": "2026-01-09"}, "date_before_last_change"),
        ("first", {"action": "update", "chances_of_success_pct": "0"}, "invalid_chances_of_success"),
        ("first", {"action": "update", "estimated_value": "0"}, "estimated_value_required"),
        (
            "first",
            {"action": "update", "date_of_change": "2026-02-01", "estimated_close_date": "2026-01-31"},
            "estimated_close_date_before_change",
        ),
    ],
)
def test_update_stage_refusals_answer_409_and_change_nothing(status, body, code, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: _post(rep_api, opportunity, "update-stage", body), status=409, code=code, opportunity=opportunity
    )


def test_next_into_the_quote_required_stage_without_a_quote_is_refused(rep_api, put_in):
    opportunity = put_in("first")
    _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-01-12"})

    assert_refused(
        lambda: _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-01-14"}),
        status=409,
        code="quote_required",
        opportunity=opportunity,
    )


def test_moving_an_opportunity_activated_without_a_value_needs_a_value(rep_api, opportunity):
    _post(rep_api, opportunity, "activate", {"date_of_change": "2026-01-10"})

    assert_refused(
        lambda: _post(rep_api, opportunity, "update-stage", {"action": "next", "date_of_change": "2026-01-11"}),
        status=409,
        code="estimated_value_required",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "sideways"}, "action"),
        ({"action": "skip", "stage": "abc"}, "stage"),
        ({"action": "skip", "stage": "2147483648"}, "stage"),
        ({"action": "skip", "stage": 99999999999999999999}, "stage"),
        ({"action": "skip", "stage": 0}, "stage"),
        ({"action": "skip", "stage": -3}, "stage"),
        ({"action": "skip", "stage": 2.5}, "stage"),
        ({"action": "update", "chances_of_success_pct": "101"}, "chances_of_success_pct"),
        ({"action": "update", "estimated_value": "-1"}, "estimated_value"),
        ({"action": "update", "estimated_value": "1.001"}, "estimated_value"),
        ({"action": "update", "date_of_change": "yesterday"}, "date_of_change"),
        ({"action": "next", "cancel_open_tasks": "maybe"}, "cancel_open_tasks"),
    ],
)
def test_invalid_update_stage_input_is_answered_with_field_errors(body, field, rep_api, put_in):
    opportunity = put_in("first")

    assert_field_errors(lambda: _post(rep_api, opportunity, "update-stage", body), field, opportunity=opportunity)


def test_the_largest_amount_is_stored_and_answered_exactly(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(
        rep_api,
        opportunity,
        "update-stage",
        {
            "action": "update",
            "date_of_change": "2026-01-11",
            "estimated_value": "9999999999999.99",
            "chances_of_success_pct": "100",
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["estimated_value"] == "9999999999999.99"
    assert rep_api.get(opportunity_url(opportunity.no)).json()["estimated_value"] == "9999999999999.99"


def test_an_amount_above_the_largest_is_a_field_error_and_nothing_changes(rep_api, put_in):
    opportunity = put_in("first")

    assert_field_errors(
        lambda: _post(
            rep_api,
            opportunity,
            "update-stage",
            {"action": "update", "date_of_change": "2026-01-11", "estimated_value": "10000000000000.00"},
        ),
        "estimated_value",
        opportunity=opportunity,
    )


# --- close/ ------------------------------------------------------------------------------------


def test_closing_as_won_with_a_sales_amount(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(
        rep_api,
        opportunity,
        "close",
        {"outcome": "won", "close_code": "WON-PRICE", "date_closed": "2026-02-01", "sales_amount": "1200"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["closed"], body["close_code"]) == ("won", True, "WON-PRICE")
    assert (body["date_closed"], body["current_stage"]) == ("2026-02-01", None)
    assert (body["estimated_value"], body["calculated_current_value"]) == ("1200.00", "1200.00")
    assert (body["chances_of_success_pct"], body["completed_pct"], body["probability_pct"]) == ("100.00",) * 3
    entry = _active(opportunity)
    assert (entry.action_taken, entry.stage, entry.previous_stage.stage) == ("won", None, 1)


def test_closing_as_won_without_an_amount_takes_the_quote_total(rep_api, put_in):
    opportunity = put_in("middle")

    response = _post(rep_api, opportunity, "close", {"outcome": "won", "close_code": "WON-PRICE"})

    assert response.status_code == 200, response.content
    assert response.json()["calculated_current_value"] == f"{QUOTE_TOTAL:.2f}"
    assert response.json()["date_closed"] == timezone.localdate().isoformat()


def test_closing_as_lost_weighs_nothing_and_cancels_the_open_tasks(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(rep_api, opportunity, "close", {"outcome": "lost", "close_code": "LOST-COMP", "note": "Too dear"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["close_code"], body["calculated_current_value"]) == ("lost", "LOST-COMP", "0.00")
    assert (body["chances_of_success_pct"], body["probability_pct"]) == ("0.00", "0.00")
    assert not Task.objects.filter(opportunity=opportunity, closed=False).exists()
    assert _active(opportunity).note == "Too dear"


def test_closing_can_keep_the_open_tasks(rep_api, put_in):
    opportunity = put_in("first")

    response = _post(
        rep_api, opportunity, "close", {"outcome": "lost", "close_code": "LOST-COMP", "cancel_open_tasks": False}
    )

    assert response.status_code == 200, response.content
    assert Task.objects.filter(opportunity=opportunity, closed=False).count() == 2


def test_a_not_started_opportunity_can_be_closed_as_lost(rep_api, opportunity, lost_code):
    response = _post(rep_api, opportunity, "close", {"outcome": "lost", "close_code": "LOST-COMP"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "lost"


@pytest.mark.parametrize("status", ["won", "lost"])
def test_closing_a_closed_opportunity_again_is_refused(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: _post(rep_api, opportunity, "close", {"outcome": "lost", "close_code": "LOST-COMP"}),
        status=409,
        code="opportunity_closed",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"outcome": "won", "close_code": "LOST-COMP"}, "close_code_type_mismatch"),
        ({"outcome": "lost", "close_code": "WON-PRICE"}, "close_code_type_mismatch"),
        ({"outcome": "lost", "close_code": "LOST-COMP", "date_closed": "2026-01-09"}, "date_before_last_change"),
        ({"outcome": "won", "close_code": "WON-PRICE", "sales_amount": "0"}, "sales_amount_required"),
    ],
)
def test_close_refusals_answer_409_and_change_nothing(body, code, rep_api, put_in):
    opportunity = put_in("first")

    assert_refused(lambda: _post(rep_api, opportunity, "close", body), status=409, code=code, opportunity=opportunity)


def test_winning_a_not_started_opportunity_needs_a_sales_amount(rep_api, opportunity, won_code):
    assert_refused(
        lambda: _post(rep_api, opportunity, "close", {"outcome": "won", "close_code": "WON-PRICE"}),
        status=409,
        code="sales_amount_required",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"close_code": "WON-PRICE"}, "outcome"),
        ({"outcome": "draw", "close_code": "WON-PRICE"}, "outcome"),
        ({"outcome": "won"}, "close_code"),
        ({"outcome": "won", "close_code": "NOPE"}, "close_code"),
        ({"outcome": "won", "close_code": "WON-PRICE", "date_closed": "notadate"}, "date_closed"),
        ({"outcome": "won", "close_code": "WON-PRICE", "sales_amount": "-1"}, "sales_amount"),
        ({"outcome": "won", "close_code": "WON-PRICE", "sales_amount": "1.005"}, "sales_amount"),
        ({"outcome": "won", "close_code": "WON-PRICE", "cancel_open_tasks": "sometimes"}, "cancel_open_tasks"),
    ],
)
def test_invalid_close_input_is_answered_with_field_errors(body, field, rep_api, put_in):
    opportunity = put_in("first")

    assert_field_errors(lambda: _post(rep_api, opportunity, "close", body), field, opportunity=opportunity)


# --- entries/ ----------------------------------------------------------------------------------


def test_entries_list_the_history_oldest_first_with_natural_keys(rep_api, put_in, lost_code):
    opportunity = put_in("last")
    _post(rep_api, opportunity, "close", {"outcome": "lost", "close_code": "LOST-COMP", "date_closed": "2026-02-01"})

    response = rep_api.get(opportunity_url(opportunity.no, "entries"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    rows = body["results"]
    assert [(row["action_taken"], row["stage"], row["previous_stage"]) for row in rows] == [
        ("first", 1, None),
        ("skipped", 3, 1),
        ("next", 5, 3),
        ("next", 7, 5),
        ("lost", None, 7),
    ]
    assert [row["entry_no"] for row in rows] == sorted(row["entry_no"] for row in rows)
    assert [row["days_open"] for row in rows] == [5, 5, 5, 7, 0]
    assert [row["active"] for row in rows] == [False, False, False, False, True]
    first, lost = rows[0], rows[-1]
    assert first["date_of_change"] == "2026-01-10"
    assert first["estimated_value"] == "1000.00"
    assert first["chances_of_success_pct"] == "20.00"
    assert first["completed_pct"] == "10.00"
    assert first["probability_pct"] == "2.00"
    assert first["calculated_current_value"] == "20.00"
    assert first["estimated_close_date"] == "2026-02-10"
    assert (first["date_closed"], first["close_code"], first["salesperson"]) == (None, None, "REP")
    assert first["contact"] == opportunity.contact.no
    assert (lost["date_closed"], lost["close_code"], lost["calculated_current_value"]) == (
        "2026-02-01",
        "LOST-COMP",
        "0.00",
    )
    assert rows[1]["estimated_value"] == "1500.00"  # the quote total


def test_a_not_started_opportunity_has_no_entries(rep_api, opportunity):
    assert rep_api.get(opportunity_url(opportunity.no, "entries")).json()["count"] == 0


def test_entries_are_paginated(rep_api, put_in):
    opportunity = put_in("last")

    body = rep_api.get(opportunity_url(opportunity.no, "entries") + "?page_size=3").json()

    assert (body["count"], len(body["results"])) == (4, 3)
    assert body["next"] is not None


def test_entries_ignore_the_opportunity_list_filters(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.get(opportunity_url(opportunity.no, "entries") + "?ordering=-estimated_value&search=zzz")

    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- quote/ ------------------------------------------------------------------------------------


def test_an_opportunity_without_a_quote_answers_404_for_it(rep_api, put_in):
    opportunity = put_in("first")

    assert rep_api.get(opportunity_url(opportunity.no, "quote")).status_code == 404


def test_put_creates_the_quote_with_its_lines_and_total(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.put(
        opportunity_url(opportunity.no, "quote"),
        {"quote_date": "2026-01-11", "valid_until": "2026-02-11", "lines": LINES},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["no"].startswith("SQ")
    assert body["opportunity"] == opportunity.no
    assert (body["quote_date"], body["valid_until"], body["total"]) == ("2026-01-11", "2026-02-11", "1469.97")
    assert [
        (
            line["line_no"],
            line["description"],
            line["quantity"],
            line["unit_price"],
            line["discount_pct"],
            line["amount"],
        )
        for line in body["lines"]
    ] == [
        (10000, "Licences", "10.0000", "120.00", "0.00", "1200.00"),
        (20000, "Training", "3.0000", "99.99", "10.00", "269.97"),
    ]
    assert rep_api.get(opportunity_url(opportunity.no, "quote")).json() == body


def test_put_replaces_the_lines_of_an_existing_quote(rep_api, put_in):
    opportunity = put_in("middle")
    quote_no = Quote.objects.get(opportunity=opportunity).no

    response = rep_api.put(
        opportunity_url(opportunity.no, "quote"),
        {"lines": [{"description": "Everything", "quantity": "1", "unit_price": "999.99"}]},
    )

    assert response.status_code == 200, response.content
    assert (response.json()["no"], response.json()["total"], len(response.json()["lines"])) == (quote_no, "999.99", 1)
    assert QuoteLine.objects.filter(quote__opportunity=opportunity).count() == 1


@pytest.mark.parametrize("status", ["not_started", "won", "lost"])
def test_a_quote_can_only_be_saved_while_in_progress(status, rep_api, put_in):
    opportunity = put_in(status)

    assert_refused(
        lambda: rep_api.put(opportunity_url(opportunity.no, "quote"), {"lines": LINES}),
        status=409,
        code="quote_requires_in_progress",
        opportunity=opportunity,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": "Licences"}, "lines"),
        ({"lines": [{"quantity": "1", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"description": "A", "quantity": "-1", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"description": "A", "quantity": "1", "unit_price": "1.001"}]}, "lines"),
        ({"lines": [{"description": "A", "quantity": "1", "unit_price": "1", "discount_pct": "101"}]}, "lines"),
        ({"lines": [{"description": "x" * 101, "quantity": "1", "unit_price": "1"}]}, "lines"),
        ({"lines": LINES, "quote_date": "notadate"}, "quote_date"),
        ({"lines": LINES, "quote_date": "2026-02-01", "valid_until": "2026-01-31"}, "valid_until"),
    ],
)
def test_invalid_quote_input_is_answered_with_field_errors(body, field, rep_api, put_in):
    opportunity = put_in("first")

    assert_field_errors(
        lambda: rep_api.put(opportunity_url(opportunity.no, "quote"), body), field, opportunity=opportunity
    )


def test_delete_removes_the_quote(rep_api, put_in):
    opportunity = put_in("middle")

    response = rep_api.delete(opportunity_url(opportunity.no, "quote"))

    assert response.status_code == 204
    assert not Quote.objects.filter(opportunity=opportunity).exists()
    assert not QuoteLine.objects.filter(quote__opportunity=opportunity).exists()


def test_deleting_a_quote_that_does_not_exist_is_refused(rep_api, put_in):
    opportunity = put_in("first")

    assert_refused(
        lambda: rep_api.delete(opportunity_url(opportunity.no, "quote")),
        status=409,
        code="no_quote",
        opportunity=opportunity,
    )


def test_the_quote_of_a_closed_opportunity_cannot_be_deleted(rep_api, rep, won_code, put_in):
    opportunity = put_in("middle")
    _post(rep_api, opportunity, "close", {"outcome": "won", "close_code": "WON-PRICE"})

    assert rep_api.get(opportunity_url(opportunity.no, "quote")).status_code == 200
    assert_refused(
        lambda: rep_api.delete(opportunity_url(opportunity.no, "quote")),
        status=409,
        code="quote_requires_in_progress",
        opportunity=opportunity,
    )


# --- who may call the commands (SPEC §5) -------------------------------------------------------

# (method, command, body, the status the opportunity must be in, the success status)
COMMANDS = {
    "activate": ("post", "activate", {"date_of_change": "2026-01-10"}, "not_started", 200),
    "update-stage": (
        "post",
        "update-stage",
        {"action": "update", "estimated_value": "2000", "date_of_change": "2026-01-20"},
        "middle",
        200,
    ),
    "close": ("post", "close", {"outcome": "lost", "close_code": "LOST-COMP"}, "middle", 200),
    "entries": ("get", "entries", None, "middle", 200),
    "quote GET": ("get", "quote", None, "middle", 200),
    "quote PUT": ("put", "quote", {"lines": LINES}, "middle", 200),
    "quote DELETE": ("delete", "quote", None, "middle", 204),
}


def _call(client, method, opportunity, command, body):
    url = opportunity_url(opportunity.no, command)
    return getattr(client, method)(url, body) if body is not None else getattr(client, method)(url)


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("client_name", ["rep_api", "manager_api"])
def test_the_owning_rep_and_a_manager_may_call_every_command(name, client_name, request, put_in):
    method, command, body, status, success = COMMANDS[name]
    opportunity = put_in(status)

    response = _call(request.getfixturevalue(client_name), method, opportunity, command, body)

    assert response.status_code == success, response.content


@pytest.mark.parametrize("name", COMMANDS)
def test_another_rep_gets_404_from_every_command_and_nothing_changes(name, other_rep_api, put_in):
    method, command, body, status, _success = COMMANDS[name]
    opportunity = put_in(status)
    before = snapshot(opportunity.pk)

    response = _call(other_rep_api, method, opportunity, command, body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert snapshot(opportunity.pk) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_a_user_without_a_salesperson_gets_403_on_writes_and_404_on_reads(name, plain_api, put_in):
    method, command, body, status, _success = COMMANDS[name]
    opportunity = put_in(status)
    before = snapshot(opportunity.pk)

    response = _call(plain_api, method, opportunity, command, body)

    assert response.status_code == (404 if method == "get" else 403)
    assert snapshot(opportunity.pk) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_an_anonymous_call_of_any_command_is_answered_401(name, anon_api, put_in):
    method, command, body, status, _success = COMMANDS[name]
    opportunity = put_in(status)

    assert_refused(
        lambda: _call(anon_api, method, opportunity, command, body),
        status=401,
        code="not_authenticated",
        opportunity=opportunity,
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_a_rep_who_may_only_see_anothers_opportunity_reads_it_but_gets_403_on_writes(name, put_in):
    method, command, body, status, success = COMMANDS[name]
    opportunity = put_in(status)
    viewer_api = viewer_client()
    before = snapshot(opportunity.pk)

    response = _call(viewer_api, method, opportunity, command, body)

    if method == "get":
        assert response.status_code == success
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": response.json()["detail"], "code": "permission_denied"}
    assert snapshot(opportunity.pk) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_on_an_unknown_opportunity_is_answered_404(name, manager_api, opportunity):
    method, command, body, _status, _success = COMMANDS[name]

    response = _call(manager_api, method, Opportunity(no="OP999999"), command, body)

    assert response.status_code == 404


# --- errors in the request's language (SPEC §8) ------------------------------------------------


def test_a_refusal_is_explained_in_german_when_the_client_asks_for_german(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.post(
        opportunity_url(opportunity.no, "update-stage"),
        {"action": "skip", "stage": 3, "date_of_change": "2026-02-01"},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "quote_required"
    assert "erfordert ein Verkaufsangebot" in response.json()["detail"]


def test_the_closed_refusal_names_the_status_in_german(rep_api, put_in):
    opportunity = put_in("won")

    response = rep_api.post(
        opportunity_url(opportunity.no, "activate"), {"date_of_change": "2026-02-01"}, HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "opportunity_closed"
    detail = response.json()["detail"]
    assert "Verkaufschance" in detail
    assert "geschlossen" in detail
    assert "Gewonnen" in detail


def test_the_same_refusal_is_in_english_without_an_accept_language(rep_api, put_in):
    opportunity = put_in("won")

    detail = rep_api.post(opportunity_url(opportunity.no, "activate"), {}).json()["detail"]

    assert detail == f"Opportunity {opportunity.no} is closed (Won) and cannot be changed."


def test_field_errors_are_translated_too(rep_api, put_in):
    opportunity = put_in("first")

    response = rep_api.post(opportunity_url(opportunity.no, "update-stage"), {}, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    assert response.json()["action"] == ["Dieses Feld ist erforderlich."]


def test_entries_keep_the_contact_of_their_moment(rep_api, put_in):
    """Entries hold snapshots of the contact (SPEC §2.3): a later change of contact leaves old ones."""
    opportunity = put_in("first")
    colleague = PersonFactory(company=opportunity.contact.company)
    rep_api.patch(opportunity_url(opportunity.no), {"contact": colleague.no})
    _post(rep_api, opportunity, "update-stage", {"action": "update", "date_of_change": str(CLOSED_ON)})

    rows = rep_api.get(opportunity_url(opportunity.no, "entries")).json()["results"]

    assert [row["contact"] for row in rows] == [opportunity.contact.no, colleague.no]
    assert D(rows[-1]["estimated_value"]) == D("1000")
