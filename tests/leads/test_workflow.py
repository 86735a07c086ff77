"""Assign (with its e-mail), disqualify, reopen, bulk actions and visibility."""

import pytest
from django.core.exceptions import ValidationError

from common.errors import PermissionRefused
from leads import services
from leads.models import Lead
from tests.factories import LeadFactory, SalespersonFactory


@pytest.fixture
def lead(db):
    return LeadFactory(company_name="Acme GmbH", email="anna@acme.example", message="Call me")


# --- visibility ------------------------------------------------------------------------------


def test_managers_see_all_reps_unassigned_and_their_own_others_none(rep, other_rep, manager, plain_user):
    free = LeadFactory()
    mine = LeadFactory(salesperson=rep)
    theirs = LeadFactory(salesperson=other_rep)

    assert set(Lead.objects.visible_to(manager)) == {free, mine, theirs}
    assert set(Lead.objects.visible_to(rep.user)) == {free, mine}
    assert set(Lead.objects.visible_to(other_rep.user)) == {free, theirs}
    assert not Lead.objects.visible_to(plain_user).exists()
    assert not Lead.objects.visible_to(None).exists()


# --- assign ----------------------------------------------------------------------------------


def test_a_manager_assigns_anybody_and_the_salesperson_gets_an_email_after_commit(
    lead, manager, rep, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.CRM_BASE_URL = "https://crm.example.com"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.lead_assign(lead=lead, user=manager, salesperson=rep)
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    lead.refresh_from_db()
    assert lead.salesperson == rep
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [rep.email]
    assert lead.no in mail.subject
    assert "Acme GmbH" in mail.body and "Call me" in mail.body
    assert f"https://crm.example.com/leads/{lead.no}/" in mail.body


def test_the_email_speaks_the_language_of_the_salespersons_profile(
    lead, manager, rep, mailoutbox, django_capture_on_commit_callbacks
):
    from common.models import UserProfile

    UserProfile.objects.create(user=rep.user, language="de")
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_assign(lead=lead, user=manager, salesperson=rep)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject  # translated by the catalogue once it has the message


def test_no_email_without_an_address_or_when_nothing_changes(
    lead, manager, rep, mailoutbox, django_capture_on_commit_callbacks
):
    silent = SalespersonFactory(code="SILENT", email="")
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_assign(lead=lead, user=manager, salesperson=silent)
        services.lead_assign(lead=lead, user=manager, salesperson=silent)
    assert mailoutbox == []


def test_a_rolled_back_assignment_sends_nothing(lead, manager, rep, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.lead_assign(lead=lead, user=manager, salesperson=rep)
        raise RuntimeError("rolled back")
    assert mailoutbox == []
    lead.refresh_from_db()
    assert lead.salesperson is None


def test_a_rep_takes_an_unassigned_lead(lead, rep):
    services.lead_assign(lead=lead, user=rep.user, salesperson=rep)
    lead.refresh_from_db()
    assert lead.salesperson == rep


@pytest.mark.parametrize(
    "who, assignee, preassigned, code",
    [
        ("rep", "other_rep", None, "cannot_assign_other_salesperson"),
        ("rep", None, None, "cannot_assign_other_salesperson"),
        ("rep", "rep", "other_rep", "permission_denied"),
        ("plain_user", "rep", None, "cannot_assign_other_salesperson"),
    ],
)
def test_assign_refusals_change_nothing(
    request, lead, rep, other_rep, plain_user, unchanged, who, assignee, preassigned, code
):
    people = {"rep": rep, "other_rep": other_rep, None: None}
    if preassigned:
        Lead.objects.filter(pk=lead.pk).update(salesperson=people[preassigned])
        lead.refresh_from_db()
    user = rep.user if who == "rep" else plain_user
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        services.lead_assign(lead=lead, user=user, salesperson=people[assignee])
    assert caught.value.code == code


def test_a_blocked_salesperson_cannot_be_assigned(lead, manager, unchanged):
    blocked = SalespersonFactory(code="BLK", blocked=True)
    with unchanged(), pytest.raises(services.LeadError) as caught:
        services.lead_assign(lead=lead, user=manager, salesperson=blocked)
    assert caught.value.code == "salesperson_blocked"


def test_a_manager_unassigns(lead, manager, rep):
    services.lead_assign(lead=lead, user=manager, salesperson=rep)
    services.lead_assign(lead=lead, user=manager, salesperson=None)
    lead.refresh_from_db()
    assert lead.salesperson is None


def test_bulk_assign_reports_each_refusal_and_changes_nothing_for_it(rep, other_rep, manager):
    free = LeadFactory()
    theirs = LeadFactory(salesperson=other_rep)
    closed = LeadFactory()
    services.lead_disqualify(lead=closed, user=manager, reason="Spam")

    result = services.leads_assign(leads=[free, theirs, closed], user=rep.user, salesperson=rep)

    assert result.done == [free]
    assert {(lead.pk, error.code) for lead, error in result.refused} == {
        (theirs.pk, "permission_denied"),
        (closed.pk, "lead_disqualified"),
    }
    assert Lead.objects.get(pk=free.pk).salesperson == rep
    assert Lead.objects.get(pk=theirs.pk).salesperson == other_rep
    assert Lead.objects.get(pk=closed.pk).salesperson is None


# --- disqualify, reopen ----------------------------------------------------------------------


def test_disqualify_needs_a_reason(lead, rep, unchanged):
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.lead_disqualify(lead=lead, user=rep.user, reason="  ")
    assert "reason" in caught.value.message_dict


def test_disqualify_and_reopen(lead, rep):
    services.lead_disqualify(lead=lead, user=rep.user, reason="Student project")
    lead.refresh_from_db()
    assert (lead.status, lead.disqualification_reason) == ("disqualified", "Student project")

    services.lead_reopen(lead=lead, user=rep.user)
    lead.refresh_from_db()
    assert (lead.status, lead.disqualification_reason) == ("new", "")


def test_another_reps_lead_cannot_be_disqualified_or_reopened_by_a_rep(lead, rep, other_rep, unchanged):
    services.lead_assign(lead=lead, user=None, salesperson=other_rep)
    with unchanged(), pytest.raises(PermissionRefused):
        services.lead_disqualify(lead=lead, user=rep.user, reason="Spam")
    services.lead_disqualify(lead=lead, user=other_rep.user, reason="Spam")
    with unchanged(), pytest.raises(PermissionRefused):
        services.lead_reopen(lead=lead, user=rep.user)


def test_a_new_lead_cannot_be_reopened_nor_a_disqualified_one_disqualified_again(lead, manager, unchanged):
    with unchanged(), pytest.raises(services.LeadError) as caught:
        services.lead_reopen(lead=lead, user=manager)
    assert caught.value.code == "lead_not_disqualified"
    services.lead_disqualify(lead=lead, user=manager, reason="Spam")
    with unchanged(), pytest.raises(services.LeadError) as caught:
        services.lead_disqualify(lead=lead, user=manager, reason="Again")
    assert caught.value.code == "lead_disqualified"


def test_a_qualified_lead_cannot_be_reopened_or_disqualified(lead, manager, rep, cycle, unchanged):
    services.lead_qualify(
        lead=lead, user=manager, create_company={"name": "Acme"}, salesperson=rep, sales_cycle=cycle, description="A"
    )
    for call in (
        lambda: services.lead_reopen(lead=lead, user=manager),
        lambda: services.lead_disqualify(lead=lead, user=manager, reason="Spam"),
        lambda: services.lead_assign(lead=lead, user=manager, salesperson=rep),
    ):
        with unchanged(), pytest.raises(services.LeadError) as caught:
            call()
        assert caught.value.code == "lead_qualified"


def test_bulk_disqualify_reports_refusals(rep, other_rep):
    free = LeadFactory()
    theirs = LeadFactory(salesperson=other_rep)

    result = services.leads_disqualify(leads=[free, theirs], user=rep.user, reason="Fair visitors without interest")

    assert result.done == [free]
    assert [(lead, error.code) for lead, error in result.refused] == [(theirs, "permission_denied")]
    assert Lead.objects.get(pk=theirs.pk).status == "new"


def test_bulk_disqualify_without_reason_refuses_all(rep, unchanged):
    leads = [LeadFactory(), LeadFactory()]
    with unchanged(), pytest.raises(ValidationError):
        services.leads_disqualify(leads=leads, user=rep.user, reason="")
