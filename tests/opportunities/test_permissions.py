"""Who may do what (SPEC §5): services refuse with 403, querysets hide what a user may not see."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from common.errors import PermissionRefused
from opportunities import services
from opportunities.models import Opportunity, Quote, Task
from tests.factories import OpportunityFactory, PersonFactory
from tests.opportunities.helpers import ACTIVATED_ON, QUOTE_LINES, D, assert_refused


def test_a_rep_cannot_create_an_opportunity_for_another_salesperson(rep, other_rep, cycle):
    error = assert_refused(
        "cannot_assign_other_salesperson",
        lambda: services.opportunity_create(
            user=rep.user, description="Deal", contact=PersonFactory(), salesperson=other_rep, sales_cycle=cycle
        ),
        error=PermissionRefused,
    )
    assert error.status_code == 403


def test_a_rep_creates_opportunities_for_themselves_by_default(rep, cycle):
    opportunity = services.opportunity_create(
        user=rep.user, description="Deal", contact=PersonFactory(), sales_cycle=cycle
    )
    assert opportunity.salesperson == rep
    assert opportunity.created_by == rep.user
    assert opportunity.no.startswith("OP")


def test_a_manager_creates_opportunities_for_any_salesperson(manager, other_rep, cycle):
    opportunity = services.opportunity_create(
        user=manager, description="Deal", contact=PersonFactory(), salesperson=other_rep, sales_cycle=cycle
    )
    assert opportunity.salesperson == other_rep


def test_a_manager_may_move_close_and_reassign_a_reps_opportunity(put_in, manager, other_rep, won_code):
    opportunity = put_in("first")
    entry = services.opportunity_update_stage(
        opportunity=opportunity, user=manager, action="next", date_of_change=datetime.date(2026, 2, 1)
    )
    assert entry.created_by == manager
    services.opportunity_change(opportunity=opportunity, user=manager, salesperson=other_rep)
    services.opportunity_close(opportunity=opportunity, user=manager, outcome="won", close_code=won_code)
    opportunity.refresh_from_db()
    assert (opportunity.salesperson, opportunity.status) == (other_rep, "won")


def test_a_reassigned_opportunity_is_no_longer_the_former_reps_to_change(put_in, rep, other_rep, manager):
    opportunity = put_in("first")
    services.opportunity_change(opportunity=opportunity, user=manager, salesperson=other_rep)
    assert_refused(
        "permission_denied",
        lambda: services.opportunity_change(opportunity=opportunity, user=rep.user, priority="low"),
        opportunity,
        error=PermissionRefused,
    )
    services.opportunity_change(opportunity=opportunity, user=other_rep.user, priority="low")


def test_the_system_user_none_may_change_any_opportunity(put_in):
    opportunity = put_in("first")
    entry = services.opportunity_update_stage(
        opportunity=opportunity, user=None, action="next", date_of_change=datetime.date(2026, 2, 1)
    )
    assert entry.created_by is None


# --- visibility ------------------------------------------------------------------------------


@pytest.fixture
def book(rep, other_rep, cycle):
    """Two opportunities (one in progress with a quote and tasks) of each rep."""
    rows = {}
    for owner in (rep, other_rep):
        started = OpportunityFactory(sales_cycle=cycle, salesperson=owner)
        services.opportunity_activate(
            opportunity=started, user=None, date_of_change=ACTIVATED_ON, estimated_value=D("100")
        )
        services.quote_save(opportunity=started, user=None, lines=QUOTE_LINES)
        rows[owner.code] = {started.pk, OpportunityFactory(sales_cycle=cycle, salesperson=owner).pk}
    return rows


def _user(who, rep, other_rep, manager, plain_user):
    return {
        "rep": rep.user,
        "other rep": other_rep.user,
        "manager": manager,
        "plain user": plain_user,
        "anonymous": AnonymousUser(),
    }[who]


VISIBLE = {"rep": {"REP"}, "other rep": {"OTHER"}, "manager": {"REP", "OTHER"}, "plain user": set(), "anonymous": set()}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_opportunities_visible_to_each_persona(who, book, rep, other_rep, manager, plain_user):
    user = _user(who, rep, other_rep, manager, plain_user)
    expected = set().union(*(book[code] for code in VISIBLE[who]))
    assert set(Opportunity.objects.visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("who", list(VISIBLE))
def test_tasks_visible_to_each_persona(who, book, rep, other_rep, manager, plain_user):
    user = _user(who, rep, other_rep, manager, plain_user)
    visible = list(Task.objects.visible_to(user))
    owners = {"REP": rep, "OTHER": other_rep}
    assert {task.salesperson.code for task in visible} == VISIBLE[who]
    expected = Task.objects.filter(salesperson__in=[owners[code] for code in VISIBLE[who]]).count()
    assert len(visible) == expected == 2 * len(VISIBLE[who])


@pytest.mark.parametrize("who", list(VISIBLE))
def test_quotes_visible_to_each_persona(who, book, rep, other_rep, manager, plain_user):
    user = _user(who, rep, other_rep, manager, plain_user)
    visible = list(Quote.objects.visible_to(user).select_related("opportunity__salesperson"))
    assert {quote.opportunity.salesperson.code for quote in visible} == VISIBLE[who]
    assert len(visible) == len(VISIBLE[who])


def test_an_inactive_rep_sees_nothing(book, rep):
    rep.user.is_active = False
    rep.user.save()
    assert not Opportunity.objects.visible_to(rep.user).exists()
    assert not Task.objects.visible_to(rep.user).exists()
    assert not Quote.objects.visible_to(rep.user).exists()


def test_a_user_object_none_sees_nothing(book):
    assert not Opportunity.objects.visible_to(None).exists()
