"""The transition matrix of SPEC §3: every action from every status, allowed or refused by its rule."""

from typing import NamedTuple

import pytest
from django.contrib.auth.models import AnonymousUser

from common.errors import PermissionRefused
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote
from tests.opportunities.helpers import ACTION_DATE, QUOTE_TOTAL, STATUSES, D, active_entry, assert_refused


class Ok(NamedTuple):
    """An allowed action; for stage actions, the stage it ends at and the action recorded."""

    stage: int | None = None
    recorded: str | None = None


OK = Ok()

# The actions under test; each takes the test's context, the opportunity and the acting user.
ACTIONS = {
    "activate": lambda c, o, u: services.opportunity_activate(
        opportunity=o, user=u, date_of_change=ACTION_DATE, estimated_value=D("1000")
    ),
    "next": lambda c, o, u: services.opportunity_update_stage(
        opportunity=o, user=u, action="next", date_of_change=ACTION_DATE
    ),
    "previous": lambda c, o, u: services.opportunity_update_stage(
        opportunity=o, user=u, action="previous", date_of_change=ACTION_DATE
    ),
    "skip to 5": lambda c, o, u: services.opportunity_update_stage(
        opportunity=o, user=u, action="skip", stage=5, date_of_change=ACTION_DATE
    ),
    "jump to 1": lambda c, o, u: services.opportunity_update_stage(
        opportunity=o, user=u, action="jump", stage=1, date_of_change=ACTION_DATE
    ),
    "update": lambda c, o, u: services.opportunity_update_stage(
        opportunity=o,
        user=u,
        action="update",
        date_of_change=ACTION_DATE,
        estimated_value=D("2000"),
        estimated_close_date=ACTION_DATE,
    ),
    "close won": lambda c, o, u: services.opportunity_close(
        opportunity=o, user=u, outcome="won", close_code=c.won_code, date_closed=ACTION_DATE, sales_amount=D("1200")
    ),
    "close lost": lambda c, o, u: services.opportunity_close(
        opportunity=o, user=u, outcome="lost", close_code=c.lost_code, date_closed=ACTION_DATE
    ),
    "change description": lambda c, o, u: services.opportunity_change(opportunity=o, user=u, description="Renamed"),
    "change priority": lambda c, o, u: services.opportunity_change(opportunity=o, user=u, priority="high"),
    "change salesperson": lambda c, o, u: services.opportunity_change(opportunity=o, user=u, salesperson=c.other_rep),
    "change contact within company": lambda c, o, u: services.opportunity_change(
        opportunity=o, user=u, contact=c.colleague
    ),
    "change contact to other company": lambda c, o, u: services.opportunity_change(
        opportunity=o, user=u, contact=c.stranger
    ),
    "change sales cycle": lambda c, o, u: services.opportunity_change(
        opportunity=o, user=u, sales_cycle=c.second_cycle
    ),
    "delete": lambda c, o, u: services.opportunity_delete(opportunity=o, user=u),
    "save quote": lambda c, o, u: services.quote_save(
        opportunity=o, user=u, lines=[{"description": "Extra", "quantity": "2", "unit_price": "50"}]
    ),
    "delete quote": lambda c, o, u: services.quote_delete(opportunity=o, user=u),
}

# Who acts: the owning rep, except where the rule is about managers.
ACTOR = {"change salesperson": "manager", "delete by manager": "manager"}

CLOSED = {"won": "opportunity_closed", "lost": "opportunity_closed"}

# action -> status -> Ok(...) or the code of the refusal (SPEC §3.2-3.5).
MATRIX = {
    "activate": {
        "not_started": Ok(1, "first"),
        "first": "already_started",
        "middle": "already_started",
        "last": "already_started",
        **CLOSED,
    },
    "next": {
        "not_started": "not_started",
        "first": Ok(2, "next"),
        "middle": Ok(5, "next"),
        "last": "no_next_stage",
        **CLOSED,
    },
    "previous": {
        "not_started": "not_started",
        "first": "no_previous_stage",
        "middle": Ok(2, "previous"),
        "last": Ok(5, "previous"),
        **CLOSED,
    },
    "skip to 5": {
        "not_started": "not_started",
        "first": Ok(5, "skipped"),
        "middle": Ok(5, "next"),
        "last": "skip_target_not_later",
        **CLOSED,
    },
    "jump to 1": {
        "not_started": "not_started",
        "first": "jump_target_not_earlier",
        "middle": Ok(1, "jumped"),
        "last": Ok(1, "jumped"),
        **CLOSED,
    },
    "update": {
        "not_started": "not_started",
        "first": Ok(1, "updated"),
        "middle": Ok(3, "updated"),
        "last": Ok(7, "updated"),
        **CLOSED,
    },
    "close won": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "close lost": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "change description": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "change priority": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "change salesperson": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "change contact within company": {"not_started": OK, "first": OK, "middle": OK, "last": OK, **CLOSED},
    "change contact to other company": {
        "not_started": OK,
        "first": "contact_other_company",
        "middle": "contact_other_company",
        "last": "contact_other_company",
        **CLOSED,
    },
    "change sales cycle": {
        "not_started": OK,
        "first": "sales_cycle_change_started",
        "middle": "sales_cycle_change_started",
        "last": "sales_cycle_change_started",
        **CLOSED,
    },
    "delete": {
        "not_started": OK,
        "first": "delete_in_progress",
        "middle": "delete_in_progress",
        "last": "delete_in_progress",
        "won": "delete_closed_requires_manager",
        "lost": "delete_closed_requires_manager",
    },
    "delete by manager": {
        "not_started": OK,
        "first": "delete_in_progress",
        "middle": "delete_in_progress",
        "last": "delete_in_progress",
        "won": OK,
        "lost": OK,
    },
    "save quote": {
        "not_started": "quote_requires_in_progress",
        "first": OK,
        "middle": OK,
        "last": OK,
        "won": "quote_requires_in_progress",
        "lost": "quote_requires_in_progress",
    },
    "delete quote": {
        "not_started": "quote_requires_in_progress",
        "first": "no_quote",  # stage 1 has no quote yet
        "middle": OK,
        "last": OK,
        "won": "quote_requires_in_progress",
        "lost": "quote_requires_in_progress",
    },
}
ACTIONS["delete by manager"] = ACTIONS["delete"]

ALLOWED = [(action, status) for action, row in MATRIX.items() for status, want in row.items() if isinstance(want, Ok)]
REFUSED = [
    (action, status, want) for action, row in MATRIX.items() for status, want in row.items() if isinstance(want, str)
]
# The intruders' matrix needs one callable per distinct service call.
CALLS = [action for action in ACTIONS if action != "delete by manager"]


class Context(NamedTuple):
    won_code: object
    lost_code: object
    other_rep: object
    colleague: object
    stranger: object
    second_cycle: object


@pytest.fixture
def ctx(won_code, lost_code, other_rep, colleague, stranger, second_cycle):
    return Context(won_code, lost_code, other_rep, colleague, stranger, second_cycle)


def _actor(action, rep, manager):
    return manager if ACTOR.get(action) == "manager" else rep.user


def test_the_matrix_covers_every_action_from_every_status():
    assert set(MATRIX) == set(ACTIONS)
    for row in MATRIX.values():
        assert set(row) == set(STATUSES)


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_allowed_action_succeeds_from_status(action, status, put_in, ctx, rep, manager):
    opportunity = put_in(status)
    entries_before = OpportunityEntry.objects.filter(opportunity=opportunity).count()
    want = MATRIX[action][status]

    result = ACTIONS[action](ctx, opportunity, _actor(action, rep, manager))

    if action.startswith("delete") and action != "delete quote":
        assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
        return
    fresh = Opportunity.objects.select_related("current_stage").get(pk=opportunity.pk)
    entry_count = OpportunityEntry.objects.filter(opportunity=opportunity).count()
    if want.stage is not None:
        assert result == active_entry(fresh)
        assert result.action_taken == want.recorded
        assert fresh.status == Opportunity.Status.IN_PROGRESS
        assert fresh.current_stage.stage == want.stage
        assert entry_count == entries_before + 1
    elif action.startswith("close"):
        outcome = "won" if action == "close won" else "lost"
        assert fresh.status == outcome
        assert fresh.closed
        assert fresh.current_stage is None
        assert result == active_entry(fresh)
        assert result.action_taken == outcome
        assert entry_count == entries_before + 1
    else:
        # Header changes and quotes write no history entry and keep the status.
        assert entry_count == entries_before
        assert fresh.status == opportunity.status
        checks = {
            "change description": lambda: fresh.description == "Renamed",
            "change priority": lambda: fresh.priority == "high",
            "change salesperson": lambda: fresh.salesperson == ctx.other_rep,
            "change contact within company": lambda: fresh.contact == ctx.colleague,
            "change contact to other company": lambda: (
                fresh.contact == ctx.stranger and fresh.contact_company == ctx.stranger.company
            ),
            "change sales cycle": lambda: fresh.sales_cycle == ctx.second_cycle,
            "save quote": lambda: Quote.objects.get(opportunity=fresh).total == D("100.00"),
            "delete quote": lambda: not Quote.objects.filter(opportunity=fresh).exists(),
        }
        assert checks[action]()


@pytest.mark.parametrize(("action", "status", "code"), REFUSED)
def test_refused_action_names_its_rule_and_changes_nothing(action, status, code, put_in, ctx, rep, manager):
    opportunity = put_in(status)
    assert_refused(code, lambda: ACTIONS[action](ctx, opportunity, _actor(action, rep, manager)), opportunity)


@pytest.mark.parametrize(("status", "stage"), [("first", 1), ("middle", 3), ("last", 7)])
def test_the_statuses_in_progress_stand_at_the_first_a_middle_and_the_last_stage(status, stage, put_in):
    opportunity = put_in(status)
    assert opportunity.current_stage.stage == stage
    has_quote = Quote.objects.filter(opportunity=opportunity, total=QUOTE_TOTAL).exists()
    assert has_quote == (status != "first")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", CALLS)
def test_another_rep_is_refused_every_action_with_403_and_nothing_changes(action, status, put_in, ctx, other_rep):
    opportunity = put_in(status)
    error = assert_refused("permission_denied", lambda: ACTIONS[action](ctx, opportunity, other_rep.user), opportunity)
    assert isinstance(error, PermissionRefused)
    assert error.status_code == 403


@pytest.mark.parametrize("status", ["not_started", "middle", "won"])
@pytest.mark.parametrize("action", CALLS)
@pytest.mark.parametrize("who", ["plain user", "anonymous"])
def test_a_user_without_salesperson_is_refused_every_action(who, action, status, put_in, ctx, plain_user):
    opportunity = put_in(status)
    user = plain_user if who == "plain user" else AnonymousUser()
    error = assert_refused("permission_denied", lambda: ACTIONS[action](ctx, opportunity, user), opportunity)
    assert error.status_code == 403
