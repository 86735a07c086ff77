"""The lead inbox: who sees what, filters, order, "assign to me" and the bulk actions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Lead
from tests.factories import LeadFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


def _nos(response) -> list[str]:
    return [lead.no for lead in response.context["page"].object_list]


@pytest.fixture
def leads(rep, other_rep):
    """An unassigned lead, one of the rep, one of the other rep, a disqualified one."""
    return {
        "free": LeadFactory(company_name="Free Pumps", email="free@pumps.example"),
        "mine": LeadFactory(company_name="Rita's Valves", salesperson=rep, source="web_form"),
        "theirs": LeadFactory(company_name="Otto's Pipes", salesperson=other_rep, source="import"),
        "gone": LeadFactory(company_name="Gone Ltd", status="disqualified", disqualification_reason="Spam"),
    }


def test_a_manager_sees_every_lead_and_a_rep_the_unassigned_and_their_own(client, rep, other_rep, manager, leads):
    client.force_login(manager)
    assert set(_nos(client.get(reverse("leads:list")))) == {lead.no for lead in leads.values()}
    client.force_login(rep.user)
    seen = set(_nos(client.get(reverse("leads:list"))))
    assert seen == {leads["free"].no, leads["mine"].no, leads["gone"].no}
    client.force_login(other_rep.user)
    assert leads["mine"].no not in _nos(client.get(reverse("leads:list")))


def test_users_who_are_not_sales_staff_are_refused_and_anonymous_users_sent_to_log_in(client, plain_user, leads):
    lead = leads["free"]
    urls = [
        reverse("leads:list"),
        reverse("leads:detail", args=[lead.no]),
        reverse("leads:qualify", args=[lead.no]),
        reverse("leads:import"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(plain_user)
    for url in urls:
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("leads:bulk"), {"leads": [lead.no], "action": "disqualify", "reason": "x"}).status_code
        == 403
    )
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_the_leads_entry_of_the_navigation_is_for_sales_staff_only(client, rep, manager, plain_user):
    for user, shown in ((rep.user, True), (manager, True), (plain_user, False)):
        client.force_login(user)
        content = client.get(reverse("home")).content.decode()
        assert (f'href="{reverse("leads:list")}"' in content) is shown


def test_new_leads_come_first_then_the_newest(client, manager):
    old_new = LeadFactory()
    done = LeadFactory(status="disqualified", disqualification_reason="Spam")
    young_new = LeadFactory()
    Lead.objects.filter(pk=old_new.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    client.force_login(manager)
    assert _nos(client.get(reverse("leads:list"))) == [young_new.no, old_new.no, done.no]


def test_the_filters(client, rep, other_rep, manager, leads):
    Lead.objects.filter(pk=leads["theirs"].pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    client.force_login(manager)

    def nos(**params):
        return set(_nos(client.get(reverse("leads:list"), params)))

    assert nos(source="import") == {leads["theirs"].no}
    assert nos(status="disqualified") == {leads["gone"].no}
    assert nos(assigned="unassigned") == {leads["free"].no, leads["gone"].no}
    assert nos(assigned=other_rep.code) == {leads["theirs"].no}
    assert nos(q="pumps") == {leads["free"].no}
    assert nos(q=leads["mine"].email) == {leads["mine"].no}
    week_ago = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert leads["theirs"].no not in nos(created_from=week_ago)
    assert nos(created_to=week_ago) == {leads["theirs"].no}
    # "Me" for a manager without a salesperson is nobody's lead.
    assert nos(assigned="me") == set()
    client.force_login(rep.user)
    assert set(_nos(client.get(reverse("leads:list"), {"assigned": "me"}))) == {leads["mine"].no}
    # A rep cannot filter on another salesperson: the choice is not offered and is ignored.
    response = client.get(reverse("leads:list"), {"assigned": other_rep.code})
    assert response.context["filters"].errors
    assert leads["theirs"].no not in _nos(response)


def test_the_list_shows_the_duplicate_flag_and_the_row_actions(client, rep, leads):
    Lead.objects.filter(pk=leads["free"].pk).update(is_possible_duplicate=True)
    client.force_login(rep.user)
    content = client.get(reverse("leads:list")).content.decode()
    assert content.count("Possible duplicate") == 1
    # "Assign to me" on the new leads that are not already the rep's.
    assert reverse("leads:assign_to_me", args=[leads["free"].no]) in content
    assert reverse("leads:assign_to_me", args=[leads["mine"].no]) not in content
    assert reverse("leads:assign_to_me", args=[leads["gone"].no]) not in content


@pytest.mark.parametrize("persona", ["rep", "manager"])
def test_the_inbox_costs_the_same_number_of_queries_for_3_and_30_leads(
    client, request, persona, rep, django_assert_num_queries, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    SalespersonFactory()
    for _ in range(3):
        LeadFactory(salesperson=rep, is_possible_duplicate=True)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("leads:list"), {"status": "new"}).status_code == 200
    for n in range(27):
        LeadFactory(salesperson=rep if n % 2 else None)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("leads:list"), {"status": "new"})
    assert len(response.context["page"].object_list) == 30


def test_assign_to_me_takes_an_unassigned_lead(client, rep, leads, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(rep.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("leads:assign_to_me", args=[leads["free"].no]), {"query": "status=new&x=\r\n"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("leads:list") + "?status=new")
    assert Lead.objects.get(pk=leads["free"].pk).salesperson == rep
    assert [message.to for message in mailoutbox] == [[rep.email]]


def test_assign_to_me_on_a_lead_of_another_rep_is_not_found(client, rep, leads, unchanged):
    client.force_login(rep.user)
    with unchanged():
        assert client.post(reverse("leads:assign_to_me", args=[leads["theirs"].no])).status_code == 404


def test_a_rep_bulk_assigns_to_themselves_and_refused_leads_are_reported_unchanged(client, rep, manager, leads):
    client.force_login(rep.user)
    response = client.post(
        reverse("leads:bulk"),
        {
            "leads": [leads["free"].no, leads["gone"].no, leads["theirs"].no],
            "action": "assign",
            "salesperson": rep.code,
        },
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert f"1 lead assigned to Rita Rep: {leads['free'].no}." in messages
    assert any(leads["gone"].no in message and "disqualified" in message for message in messages)
    # Invisible to the rep: reported like a lead that does not exist, and untouched.
    assert f"{leads['theirs'].no} was not changed: there is no such lead." in messages
    gone, theirs = Lead.objects.get(pk=leads["gone"].pk), Lead.objects.get(pk=leads["theirs"].pk)
    assert (gone.status, gone.salesperson) == ("disqualified", None)
    assert theirs.salesperson == leads["theirs"].salesperson
    assert Lead.objects.get(pk=leads["free"].pk).salesperson == rep


def test_a_rep_cannot_bulk_assign_to_another_salesperson(client, rep, other_rep, leads, unchanged):
    client.force_login(rep.user)
    with unchanged():
        response = client.post(
            reverse("leads:bulk"),
            {"leads": [leads["free"].no], "action": "assign", "salesperson": other_rep.code},
            follow=True,
        )
    assert response.status_code == 200
    assert any("Select a valid choice" in str(message) for message in response.context["messages"])


def test_a_manager_bulk_assigns_anybody(client, manager, other_rep, leads):
    client.force_login(manager)
    client.post(
        reverse("leads:bulk"),
        {"leads": [leads["free"].no, leads["mine"].no], "action": "assign", "salesperson": other_rep.code},
    )
    assert set(Lead.objects.filter(salesperson=other_rep).values_list("no", flat=True)) == {
        leads["free"].no,
        leads["mine"].no,
        leads["theirs"].no,
    }


def test_bulk_disqualify_needs_a_reason_and_then_reports_the_refusals(client, rep, leads, unchanged):
    client.force_login(rep.user)
    with unchanged():
        response = client.post(
            reverse("leads:bulk"), {"leads": [leads["free"].no], "action": "disqualify", "reason": " "}, follow=True
        )
    assert "Give the reason for disqualifying the lead." in [str(m) for m in response.context["messages"]]

    qualified_before = Lead.objects.get(pk=leads["gone"].pk)
    response = client.post(
        reverse("leads:bulk"),
        {
            "leads": [leads["free"].no, leads["mine"].no, leads["gone"].no],
            "action": "disqualify",
            "reason": "No budget",
        },
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert f"2 leads disqualified: {leads['free'].no}, {leads['mine'].no}." in messages
    assert f"{leads['gone'].no} was not changed: Lead {leads['gone'].no} is disqualified; reopen it first." in messages
    assert set(Lead.objects.filter(disqualification_reason="No budget").values_list("no", flat=True)) == {
        leads["free"].no,
        leads["mine"].no,
    }
    gone = Lead.objects.get(pk=leads["gone"].pk)
    assert (gone.disqualification_reason, gone.updated_at) == ("Spam", qualified_before.updated_at)


def test_a_bulk_action_without_leads_changes_nothing(client, rep, leads, unchanged):
    client.force_login(rep.user)
    with unchanged():
        response = client.post(reverse("leads:bulk"), {"action": "disqualify", "reason": "x"}, follow=True)
    assert "Select leads." in [str(m) for m in response.context["messages"]]


def test_the_bulk_actions_keep_the_filters(client, rep, leads):
    client.force_login(rep.user)
    response = client.post(
        reverse("leads:bulk"),
        {"leads": [leads["free"].no], "action": "disqualify", "reason": "x", "query": "status=new&q=pumps"},
    )
    assert response["Location"] == reverse("leads:list") + "?status=new&q=pumps"


def test_services_and_inbox_agree_on_who_may_work_on_what(rep, leads):
    assert services.may_work_on(rep.user, leads["free"]) and not services.may_work_on(rep.user, leads["theirs"])
