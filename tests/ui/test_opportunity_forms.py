"""Create and edit an opportunity in the browser UI; the services decide, the form shows refusals."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Task
from tests.factories import PersonFactory, SalesCycleFactory, SalespersonFactory, StageFactory

pytestmark = pytest.mark.django_db

D = Decimal
CREATE = "/opportunities/new/"


def edit_url(opportunity) -> str:
    return f"/opportunities/{opportunity.no}/edit/"


def form_data(contact_, **overrides) -> dict:
    data = {
        "description": "New deal",
        "contact": contact_.no,
        "salesperson": "REP",
        "sales_cycle": "NEW",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def errors(response) -> dict:
    return response.context["form"].errors


# --- create --------------------------------------------------------------------------------------


def test_the_create_page_sends_an_anonymous_user_to_the_login_page(client):
    response = client.get(CREATE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_create_form_proposes_the_users_salesperson_and_the_default_cycle(client, rep, cycle, settings):
    settings.CRM_DEFAULT_SALES_CYCLE = "NEW"
    client.force_login(rep.user)
    response = client.get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["salesperson"] == rep
    assert form.initial["sales_cycle"] == cycle
    content = response.content.decode()
    # A text input with suggestions, never a select of every contact.
    assert '<input type="text" name="contact"' in content
    assert 'list="contact-options"' in content
    assert f'hx-get="{reverse("opportunities:contact_options")}"' in content


def test_the_create_page_does_not_read_every_contact(client, rep, cycle, django_assert_max_num_queries):
    for _ in range(5):
        PersonFactory()
    client.force_login(rep.user)
    # session, user, language profile, salesperson, permissions (2), default cycle, and the salespeople
    # and the sales cycles twice each (Django's Select reads its choices again for the required check)
    with django_assert_max_num_queries(11):
        assert client.get(CREATE).status_code == 200


def test_the_create_form_is_prefilled_with_the_contact_of_the_query_string(client, rep, cycle):
    contact = PersonFactory(no="CT000042")
    client.force_login(rep.user)
    response = client.get(CREATE, {"contact": "CT000042"})
    assert response.context["form"].initial["contact"] == contact
    assert 'value="CT000042"' in response.content.decode()


def test_blocked_cycles_are_not_offered(client, rep, cycle):
    SalesCycleFactory(code="OLD", blocked=True)
    client.force_login(rep.user)
    codes = [cycle.code for cycle in client.get(CREATE).context["form"].fields["sales_cycle"].queryset]
    assert codes == ["NEW"]


def test_a_rep_creates_an_opportunity_and_goes_to_it(client, rep, cycle):
    contact = PersonFactory()
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(contact, priority="high"))
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] in {
        f"/opportunities/{opportunity.no}/",
        reverse("opportunities:list"),
    }
    assert opportunity.description == "New deal"
    assert opportunity.contact == contact
    assert opportunity.salesperson == rep
    assert opportunity.priority == "high"
    assert opportunity.status == "not_started"
    assert opportunity.created_by == rep.user
    followed = client.get(response["Location"])
    assert f"Opportunity {opportunity.no} has been created." in followed.content.decode()


def test_creating_with_activate_first_stage_starts_the_opportunity(client, rep, cycle):
    client.force_login(rep.user)
    close = timezone.localdate() + datetime.timedelta(days=40)
    response = client.post(
        CREATE,
        form_data(
            PersonFactory(),
            activate_first_stage="on",
            estimated_value="2500.00",
            chances_of_success_pct="35",
            estimated_close_date=close.isoformat(),
        ),
    )
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert opportunity.status == "in_progress"
    assert opportunity.current_stage.stage == 1
    assert opportunity.estimated_value == D("2500.00")
    assert opportunity.chances_of_success_pct == D("35.00")
    assert opportunity.estimated_closing_date == close
    assert opportunity.entries.get().action_taken == "first"
    # The first stage's activity creates its tasks.
    assert Task.objects.filter(opportunity=opportunity).count() == 2


def test_estimates_are_ignored_without_activate_first_stage(client, rep, cycle):
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(PersonFactory(), estimated_value="2500.00"))
    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert opportunity.status == "not_started"
    assert opportunity.estimated_value == 0


def test_a_manager_assigns_another_salesperson(client, manager, rep, other_rep, cycle):
    client.force_login(manager)
    response = client.post(CREATE, form_data(PersonFactory(), salesperson="OTHER"))
    assert response.status_code == 302
    assert Opportunity.objects.get().salesperson == other_rep


def test_a_rep_choosing_another_salesperson_sees_the_refusal_and_nothing_is_saved(client, rep, other_rep, cycle):
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(PersonFactory(), salesperson="OTHER"))
    assert response.status_code == 200
    assert errors(response)["__all__"] == ["You can only assign opportunities to yourself."]
    assert "You can only assign opportunities to yourself." in response.content.decode()
    assert not Opportunity.objects.exists()


def test_a_blocked_cycle_is_refused_and_nothing_is_saved(client, rep, cycle):
    SalesCycleFactory(code="OLD", blocked=True)
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(PersonFactory(), sales_cycle="OLD"))
    assert response.status_code == 200
    assert "sales_cycle" in errors(response)
    assert not Opportunity.objects.exists()


def test_a_cycle_blocked_after_the_form_was_shown_is_refused_by_the_service(client, rep, cycle, monkeypatch):
    """A race: the cycle was offered, then blocked before the submit; the service has the last word."""
    client.force_login(rep.user)
    original = services.opportunity_create

    def block_then_create(**kwargs):
        kwargs["sales_cycle"].blocked = True
        return original(**kwargs)

    monkeypatch.setattr(services, "opportunity_create", block_then_create)
    response = client.post(CREATE, form_data(PersonFactory()))
    assert response.status_code == 200
    assert errors(response)["__all__"] == ["Sales cycle NEW is blocked and cannot be chosen."]
    assert not Opportunity.objects.exists()


def test_a_refused_activation_saves_nothing(client, rep, cycle):
    client.force_login(rep.user)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        CREATE, form_data(PersonFactory(), activate_first_stage="on", estimated_close_date=yesterday.isoformat())
    )
    assert response.status_code == 200
    assert "The estimated close date must be on or after the date of change" in errors(response)["__all__"][0]
    assert not Opportunity.objects.exists()
    assert not OpportunityEntry.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 101}, "description"),
        ({"contact": "CT999999"}, "contact"),
        ({"contact": ""}, "contact"),
        ({"priority": "urgent"}, "priority"),
        ({"salesperson": "NOBODY"}, "salesperson"),
        ({"activate_first_stage": "on", "chances_of_success_pct": "101"}, "chances_of_success_pct"),
        ({"activate_first_stage": "on", "estimated_value": "-1"}, "estimated_value"),
        ({"activate_first_stage": "on", "estimated_close_date": "31.02.2026"}, "estimated_close_date"),
    ],
)
def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_saved(client, rep, cycle, overrides, field):
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(PersonFactory(), **overrides))
    assert response.status_code == 200
    assert field in errors(response)
    assert not Opportunity.objects.exists()


def test_a_description_of_blanks_is_refused_by_the_service_next_to_the_field(client, rep, cycle):
    client.force_login(rep.user)
    response = client.post(CREATE, form_data(PersonFactory(), description="   "))
    assert response.status_code == 200
    assert "description" in errors(response)
    assert not Opportunity.objects.exists()


# --- contact suggestions -------------------------------------------------------------------------


def test_contact_suggestions_match_the_beginning_of_number_or_name(client, rep):
    PersonFactory(no="CT000100", name="Anna Berg")
    PersonFactory(no="CT000200", name="Bernd Anders")
    client.force_login(rep.user)
    url = reverse("opportunities:contact_options")
    content = client.get(url, {"contact": "ann"}).content.decode()
    assert 'value="CT000100"' in content and "CT000200" not in content
    content = client.get(url, {"contact": "CT0002"}).content.decode()
    assert 'value="CT000200"' in content and "CT000100" not in content
    assert client.get(url, {"contact": ""}).content.decode().strip() == ""


# --- edit ----------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_current_values(client, rep, opportunity):
    client.force_login(rep.user)
    response = client.get(edit_url(opportunity))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'value="{opportunity.contact.no}"' in content
    assert f'value="{opportunity.description}"' in content
    assert "activate_first_stage" not in response.context["form"].fields


def test_a_rep_edits_their_opportunity(client, rep, opportunity):
    other_contact = PersonFactory()
    client.force_login(rep.user)
    response = client.post(
        edit_url(opportunity), form_data(other_contact, description="Renamed", priority="low", sales_cycle="NEW")
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.description, opportunity.priority, opportunity.contact) == ("Renamed", "low", other_contact)
    assert "has been saved" in client.get(response["Location"]).content.decode()


def test_another_reps_opportunity_is_not_found(client, other_rep, opportunity):
    client.force_login(other_rep.user)
    assert client.get(edit_url(opportunity)).status_code == 404
    response = client.post(edit_url(opportunity), form_data(opportunity.contact, description="Hijacked"))
    assert response.status_code == 404
    opportunity.refresh_from_db()
    assert opportunity.description != "Hijacked"


def test_an_unknown_opportunity_is_not_found(client, rep):
    client.force_login(rep.user)
    assert client.get("/opportunities/OP999999/edit/").status_code == 404


def test_a_manager_reassigns_an_opportunity_and_its_open_tasks(client, manager, other_rep, rep, opportunity):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=D("100"))
    client.force_login(manager)
    response = client.post(edit_url(opportunity), form_data(opportunity.contact, salesperson="OTHER"))
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.salesperson == other_rep
    assert set(Task.objects.filter(opportunity=opportunity).values_list("salesperson", flat=True)) == {other_rep.pk}


def test_changing_the_sales_cycle_after_the_start_is_refused_and_nothing_changes(client, rep, opportunity):
    other_cycle = SalesCycleFactory(code="OTHER")
    StageFactory(sales_cycle=other_cycle, stage=1)
    services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=D("100"))
    client.force_login(rep.user)
    response = client.post(
        edit_url(opportunity), form_data(opportunity.contact, description="Changed", sales_cycle="OTHER")
    )
    assert response.status_code == 200
    assert errors(response)["__all__"] == ["The sales cycle can only be changed before the opportunity is started."]
    opportunity.refresh_from_db()
    assert opportunity.sales_cycle.code == "NEW"
    assert opportunity.description != "Changed"


def test_a_rep_cannot_hand_an_opportunity_to_another_salesperson(client, rep, other_rep, opportunity):
    client.force_login(rep.user)
    response = client.post(edit_url(opportunity), form_data(opportunity.contact, salesperson="OTHER"))
    assert response.status_code == 200
    assert errors(response)["__all__"] == ["You can only assign opportunities to yourself."]
    opportunity.refresh_from_db()
    assert opportunity.salesperson == rep


def test_a_blocked_salesperson_keeps_their_opportunity_editable(client, manager, opportunity, rep):
    rep.blocked = True
    rep.save()
    SalespersonFactory(code="FREE", blocked=False)
    client.force_login(manager)
    response = client.get(edit_url(opportunity))
    assert "REP" in [person.code for person in response.context["form"].fields["salesperson"].queryset]
    response = client.post(edit_url(opportunity), form_data(opportunity.contact, description="Still editable"))
    assert response.status_code == 302


def test_a_closed_opportunity_cannot_be_edited(client, rep, opportunity, lost_code):
    services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="lost", close_code=lost_code)
    client.force_login(rep.user)
    response = client.get(edit_url(opportunity))
    assert response.status_code == 200
    assert "can no longer be changed" in response.content.decode()
    response = client.post(edit_url(opportunity), form_data(opportunity.contact, description="Too late"))
    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert opportunity.description != "Too late"
