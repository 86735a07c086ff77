"""Leads in the admin: pages render, rows are scoped, the actions go through the services."""

import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import LeadFactory

CHANGELIST = "admin:leads_lead_changelist"


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def staff_rep(rep):
    from django.contrib.auth.models import Permission

    user = rep.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="leads"))
    return user


def test_a_manager_opens_the_list_the_add_and_the_change_page(client, staff_manager):
    lead = LeadFactory(payload={"utm": "fair"})
    client.force_login(staff_manager)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:leads_lead_add")).status_code == 200
    page = client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()  # read-only once received


def test_the_admin_adds_a_manual_lead_through_the_service(client, staff_manager):
    client.force_login(staff_manager)
    response = client.post(reverse("admin:leads_lead_add"), {"company_name": "Acme", "email": "a@acme.example"})
    assert response.status_code == 302, response.content.decode()[:2000]
    lead = Lead.objects.get()
    assert (lead.source, lead.created_by, lead.no[:2]) == ("manual", staff_manager, "LD")


def test_the_admin_refuses_a_lead_without_email_and_phone(client, staff_manager):
    client.force_login(staff_manager)
    response = client.post(reverse("admin:leads_lead_add"), {"company_name": "Acme"})
    assert response.status_code == 200
    assert "e-mail address or a phone number" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_rep_sees_only_unassigned_and_own_leads(client, staff_rep, rep, other_rep):
    free, theirs = LeadFactory(), LeadFactory(salesperson=other_rep)
    client.force_login(staff_rep)
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert free.no in content and theirs.no not in content


def test_bulk_assign_reports_refusals_per_lead(client, staff_rep, rep, other_rep):
    free, theirs = LeadFactory(), LeadFactory(salesperson=other_rep)
    client.force_login(staff_rep)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "assign_salesperson", "_selected_action": [free.pk, theirs.pk], "salesperson": rep.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert Lead.objects.get(pk=free.pk).salesperson == rep
    assert Lead.objects.get(pk=theirs.pk).salesperson == other_rep  # invisible to the rep: not even selected


def test_bulk_disqualify_needs_a_reason_and_reports_each_refusal(client, staff_manager, rep, manager):
    from leads import services

    fresh, closed = LeadFactory(), LeadFactory()
    services.lead_disqualify(lead=closed, user=manager, reason="Spam")
    client.force_login(staff_manager)
    data = {"action": "disqualify", "_selected_action": [fresh.pk, closed.pk]}

    response = client.post(reverse(CHANGELIST), {**data, "reason": ""}, follow=True)
    assert "Give the reason" in response.content.decode()
    assert Lead.objects.get(pk=fresh.pk).status == "new"

    response = client.post(reverse(CHANGELIST), {**data, "reason": "Not a customer"}, follow=True)
    content = response.content.decode()
    assert f"Disqualified 1 leads: {fresh.no}" in content
    assert f"Refused {closed.no}" in content
    assert Lead.objects.get(pk=fresh.pk).disqualification_reason == "Not a customer"
    assert Lead.objects.get(pk=closed.pk).disqualification_reason == "Spam"
