"""The admin: every page renders for a manager, changes go through the services, rows are scoped."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from opportunities import services
from opportunities.models import Opportunity
from tests.factories import CompanyFactory, OpportunityFactory


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def staff_rep(rep):
    """A rep with admin access and model permissions, to prove that the admin scopes rows."""
    from django.contrib.auth.models import Permission

    user = rep.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="opportunities", codename__startswith="view_").exclude(
            codename="view_all_opportunities"
        )
    )
    return user


def _registered_models():
    return sorted(
        (model._meta.app_label, model._meta.model_name)
        for model in admin.site._registry
        if model._meta.app_label in {"common", "salescycles", "contacts", "opportunities"}
    )


@pytest.mark.parametrize("app_label, model_name", _registered_models())
def test_every_changelist_and_add_page_renders_for_a_superuser(admin_client, opportunity, app_label, model_name):
    assert admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    add = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where records only come from the lifecycle


@pytest.mark.parametrize("app_label, model_name", [pair for pair in _registered_models() if pair[0] != "common"])
def test_a_manager_reaches_every_crm_changelist(client, staff_manager, opportunity, app_label, model_name):
    client.force_login(staff_manager)
    assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200


def test_opportunity_change_page_shows_the_entries_read_only(client, staff_manager, opportunity, rep):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=Decimal("500"))
    client.force_login(staff_manager)
    response = client.get(reverse("admin:opportunities_opportunity_change", args=[opportunity.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Initial" in content  # the stage of the first entry
    assert 'name="estimated_value"' not in content  # figures are not editable


def test_admin_creates_an_opportunity_through_the_service(client, staff_manager, cycle, rep):
    company = CompanyFactory()
    client.force_login(staff_manager)
    response = client.post(
        reverse("admin:opportunities_opportunity_add"),
        {
            "description": "Fleet renewal",
            "contact": company.pk,
            "salesperson": rep.pk,
            "sales_cycle": cycle.pk,
            "priority": "high",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Opportunity.objects.get(description="Fleet renewal")
    assert created.no.startswith("OP")
    assert created.contact_company == company
    assert created.created_by == staff_manager
    assert created.status == Opportunity.Status.NOT_STARTED


def test_admin_refuses_a_sales_cycle_change_of_a_started_opportunity_and_changes_nothing(
    client, staff_manager, opportunity, rep
):
    other_cycle = type(opportunity.sales_cycle).objects.create(code="OTHERCYCLE", description="Other")
    services.opportunity_activate(opportunity=opportunity, user=rep.user, date_of_change=datetime.date(2026, 2, 1))
    client.force_login(staff_manager)
    url = reverse("admin:opportunities_opportunity_change", args=[opportunity.pk])
    response = client.post(
        url,
        {
            "description": "Renamed",
            "contact": opportunity.contact.pk,
            "salesperson": rep.pk,
            "sales_cycle": other_cycle.pk,
            "priority": "normal",
            "entries-TOTAL_FORMS": "1",
            "entries-INITIAL_FORMS": "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "can only be changed before the opportunity is started" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.sales_cycle_id != other_cycle.pk
    assert opportunity.description != "Renamed"  # the whole change was rolled back


def test_admin_delete_of_an_opportunity_in_progress_is_refused(client, staff_manager, opportunity, rep):
    services.opportunity_activate(opportunity=opportunity, user=rep.user)
    client.force_login(staff_manager)
    response = client.post(
        reverse("admin:opportunities_opportunity_delete", args=[opportunity.pk]), {"post": "yes"}, follow=True
    )
    assert "close it first" in response.content.decode()
    assert Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_admin_lists_only_the_opportunities_a_rep_may_see(client, staff_rep, opportunity, other_rep):
    foreign = OpportunityFactory(sales_cycle=opportunity.sales_cycle, salesperson=other_rep, description="Foreign")
    client.force_login(staff_rep)
    response = client.get(reverse("admin:opportunities_opportunity_changelist"))
    content = response.content.decode()
    assert opportunity.no in content
    assert foreign.no not in content
    detail = client.get(reverse("admin:opportunities_opportunity_change", args=[foreign.pk]))
    assert detail.status_code == 302  # the admin's "does not exist" answer: back to the index


def test_admin_refuses_to_change_the_type_of_a_close_code_in_use(client, staff_manager, opportunity, rep, won_code):
    services.opportunity_close(
        opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code, sales_amount=Decimal("100")
    )
    client.force_login(staff_manager)
    url = reverse("admin:salescycles_closeopportunitycode_change", args=[won_code.pk])
    response = client.post(url, {"code": won_code.code, "description": "Renamed", "type": "lost"}, follow=True)
    assert "its type cannot change" in response.content.decode()
    won_code.refresh_from_db()
    assert (won_code.type, won_code.description) == ("won", "Best price")


def test_admin_changes_the_description_of_a_close_code_in_use(client, staff_manager, won_code):
    client.force_login(staff_manager)
    url = reverse("admin:salescycles_closeopportunitycode_change", args=[won_code.pk])
    response = client.post(url, {"code": won_code.code, "description": "Renamed", "type": "won"})
    assert response.status_code == 302
    won_code.refresh_from_db()
    assert won_code.description == "Renamed"


@pytest.fixture
def full_data(opportunity, rep, won_code):
    """A row for every admin page: an activated opportunity with tasks, a quote and a person."""
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=Decimal("500"))
    services.quote_save(
        opportunity=opportunity, user=rep.user, lines=[{"description": "Line", "quantity": "1", "unit_price": "9"}]
    )
    return opportunity


@pytest.mark.parametrize("app_label, model_name", [pair for pair in _registered_models() if pair[0] != "common"])
def test_a_manager_opens_the_change_form_of_every_crm_model(client, staff_manager, full_data, app_label, model_name):
    model = next(m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app_label, model_name))
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {model_name} in the test data"
    client.force_login(staff_manager)
    response = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_the_contact_change_form_lists_its_likely_duplicates_with_their_score(admin_client):
    from contacts.services import contact_create

    original = contact_create(type="company", name="Nordwind Logistik GmbH", city="Bremen", phone="+49 421 555 0100")
    twin = contact_create(type="company", name="Nordwind Logistik GmbH.", city="Bremen", phone="+49 (421) 5550100")
    other = contact_create(type="company", name="Sunrise Bakery", city="Madrid")
    content = admin_client.get(reverse("admin:contacts_contact_change", args=[original.pk])).content.decode()
    assert twin.no in content and "%" in content
    assert other.no not in content
