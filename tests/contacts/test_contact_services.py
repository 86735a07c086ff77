"""Contact writes (SPEC §2.2, §3.5): create, update and delete through contacts.services."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from contacts.models import Contact, ContactSearchString
from contacts.services import ContactError, contact_create, contact_delete, contact_update
from opportunities.models import Opportunity, OpportunityEntry, Task
from opportunities.services import opportunity_change, opportunity_close, opportunity_create, task_cancel, task_create

pytestmark = pytest.mark.django_db


def field_errors(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


def snapshot(contact: Contact) -> dict:
    return Contact.objects.filter(pk=contact.pk).values().get()


# --- create -------------------------------------------------------------------------------------


def test_a_company_is_created_with_a_number_from_the_contact_series():
    contact = contact_create(type="company", name="Müller & Söhne GmbH", city="Berlin", country="de")
    stored = Contact.objects.get(pk=contact.pk)
    assert re.fullmatch(r"CT\d{6}", stored.no)
    assert stored.type == Contact.Type.COMPANY
    assert stored.name == "Müller & Söhne GmbH"
    assert stored.company_id is None
    assert stored.company_contact == stored
    assert stored.country == "DE"


def test_a_person_gets_a_name_built_from_first_name_and_surname(company):
    person = contact_create(type="person", name="ignored", first_name=" Anna ", surname="Berg", company=company)
    stored = Contact.objects.get(pk=person.pk)
    assert stored.name == "Anna Berg"
    assert stored.company == company
    assert stored.company_contact == company


def test_a_person_with_only_a_surname_is_named_by_it():
    assert contact_create(type="person", surname="Berg").name == "Berg"


def test_a_person_without_first_name_and_surname_keeps_the_given_name():
    person = contact_create(type="person", name="Dr. Berg")
    assert person.name == "Dr. Berg"
    assert person.company_contact is None


def test_the_search_strings_are_stored_on_create():
    contact = contact_create(name="Müller & Söhne GmbH", city="Berlin", phone="+49 (30) 123-4567")
    strings = set(ContactSearchString.objects.filter(contact=contact).values_list("field", "part", "value"))
    assert strings == {
        ("name", "first", "MULLE"),
        ("name", "last", "EGMBH"),
        ("city", "first", "BERLI"),
        ("city", "last", "ERLIN"),
        ("phone", "first", "49301"),
        ("phone", "last", "34567"),
    }


def test_a_person_of_a_person_is_refused_with_a_company_error(person):
    before = Contact.objects.count()
    errors = field_errors(contact_create, type="person", first_name="Carl", surname="Dahl", company=person)
    assert set(errors) == {"company"}
    assert Contact.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_name", "Anna"), ("surname", "Berg")],
)
def test_a_company_with_a_person_field_is_refused_with_a_field_error(field, value):
    errors = field_errors(contact_create, type="company", name="Acme Ltd", **{field: value})
    assert set(errors) == {field}
    assert not Contact.objects.exists()


def test_a_company_with_a_company_is_refused_with_a_field_error(company):
    errors = field_errors(contact_create, type="company", name="Acme Ltd", company=company)
    assert set(errors) == {"company"}
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_contact_without_a_name_is_refused_with_a_field_error(name):
    assert set(field_errors(contact_create, type="company", name=name)) == {"name"}
    assert not Contact.objects.exists()


def test_a_person_without_any_name_is_refused_with_a_field_error():
    assert set(field_errors(contact_create, type="person", first_name="", surname="")) == {"name"}
    assert not Contact.objects.exists()


def test_a_name_of_101_characters_is_refused_never_truncated():
    errors = field_errors(contact_create, type="company", name="N" * 101)
    assert set(errors) == {"name"}
    assert not Contact.objects.exists()


def test_a_name_of_100_characters_is_kept_whole():
    assert contact_create(type="company", name="N" * 100).name == "N" * 100


def test_a_first_name_longer_than_30_characters_is_refused():
    assert "first_name" in field_errors(contact_create, type="person", first_name="F" * 31, surname="Berg")
    assert not Contact.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "anna@@example.com", "x" * 95 + "@example.com"])
def test_a_bad_email_is_refused_with_a_field_error(email):
    assert set(field_errors(contact_create, name="Acme Ltd", email=email)) == {"email"}
    assert not Contact.objects.exists()


@pytest.mark.parametrize("field", ["phone", "mobile_phone"])
def test_a_phone_number_with_letters_is_refused_with_a_field_error(field):
    assert set(field_errors(contact_create, name="Acme Ltd", **{field: "0800-CALL-ACME"})) == {field}
    assert not Contact.objects.exists()


@pytest.mark.parametrize("country", ["D", "DEU", "D1", "12"])
def test_a_country_that_is_not_a_two_letter_code_is_refused(country):
    assert set(field_errors(contact_create, name="Acme Ltd", country=country)) == {"country"}
    assert not Contact.objects.exists()


def test_an_unknown_language_is_refused():
    assert set(field_errors(contact_create, name="Acme Ltd", language="xx")) == {"language"}


def test_every_field_error_is_reported_at_once():
    errors = field_errors(contact_create, type="company", name="", email="bad", phone="CALL ME")
    assert set(errors) == {"name", "email", "phone"}


def test_an_unknown_field_is_a_programming_error():
    with pytest.raises(ValueError, match="colour"):
        contact_create(name="Acme Ltd", colour="red")


# --- update -------------------------------------------------------------------------------------


def test_the_type_of_a_company_with_opportunities_cannot_change(company, open_opportunity):
    open_opportunity(company)
    before = snapshot(company)
    with pytest.raises(ContactError) as caught:
        contact_update(contact=company, type="person", first_name="Anna", surname="Berg")
    assert caught.value.code == "contact_type_locked"
    assert snapshot(company) == before


def test_the_type_of_a_person_with_only_closed_opportunities_cannot_change(person, closed_opportunity):
    closed_opportunity(person)
    before = snapshot(person)
    with pytest.raises(ContactError) as caught:
        contact_update(contact=person, type="company", company=None, first_name="", surname="", name="Berg AS")
    assert caught.value.code == "contact_type_locked"
    assert snapshot(person) == before


def test_a_company_with_persons_cannot_become_a_person(company, person):
    before = snapshot(company)
    with pytest.raises(ContactError) as caught:
        contact_update(contact=company, type="person", first_name="Max", surname="Müller")
    assert caught.value.code == "contact_has_persons"
    assert snapshot(company) == before
    assert Contact.objects.get(pk=person.pk).company_id == company.pk


def test_an_unused_company_can_become_a_person(company):
    updated = contact_update(contact=company, type="person", first_name="Max", surname="Müller")
    stored = Contact.objects.get(pk=company.pk)
    assert (updated.type, stored.type, stored.name) == ("person", "person", "Max Müller")


def test_a_company_turned_person_cannot_belong_to_itself(company):
    before = snapshot(company)
    errors = field_errors(contact_update, contact=company, type="person", first_name="Max", company=company)
    assert set(errors) == {"company"}
    assert snapshot(company) == before


def test_an_unused_person_can_become_a_company(person):
    contact_update(contact=person, type="company", company=None, first_name="", surname="", name="Berg Consulting")
    stored = Contact.objects.get(pk=person.pk)
    assert (stored.type, stored.name, stored.company_id) == ("company", "Berg Consulting", None)


def test_a_person_turned_company_must_leave_its_company(person, company):
    before = snapshot(person)
    errors = field_errors(contact_update, contact=person, type="company", first_name="", surname="", name="Berg AS")
    assert set(errors) == {"company"}
    assert snapshot(person) == before


def test_moving_a_person_to_another_company_moves_its_opportunities_too(person, company, open_opportunity):
    first, second = open_opportunity(person), open_opportunity(person)
    other_company = contact_create(type="company", name="Berg & Co")
    contact_update(contact=person, company=other_company)
    assert set(Opportunity.objects.filter(pk__in=[first.pk, second.pk]).values_list("contact_company", flat=True)) == {
        other_company.pk
    }


def test_a_person_leaving_their_company_becomes_the_company_of_their_opportunities(person, open_opportunity):
    opportunity = open_opportunity(person)
    contact_update(contact=person, company=None)
    opportunity.refresh_from_db()
    assert opportunity.contact_company_id == person.pk


def test_an_update_renews_the_search_strings(company):
    contact_update(contact=company, city="Hamburg")
    assert set(ContactSearchString.objects.filter(contact=company, field="city").values_list("part", "value")) == {
        ("first", "HAMBU"),
        ("last", "MBURG"),
    }


def test_an_invalid_update_changes_nothing(company):
    before = snapshot(company)
    strings = list(ContactSearchString.objects.filter(contact=company).values_list("field", "part", "value"))
    assert set(field_errors(contact_update, contact=company, email="bad", city="Hamburg")) == {"email"}
    assert snapshot(company) == before
    assert list(ContactSearchString.objects.filter(contact=company).values_list("field", "part", "value")) == strings


def test_an_update_does_not_touch_the_callers_instance_on_refusal(company, open_opportunity):
    open_opportunity(company)
    with pytest.raises(ContactError):
        contact_update(contact=company, type="person", first_name="Anna")
    assert company.type == "company"


# --- delete -------------------------------------------------------------------------------------


def _assert_refused(contact: Contact, code: str) -> None:
    counts = (Contact.objects.count(), Opportunity.objects.count(), OpportunityEntry.objects.count())
    tasks = list(Task.objects.values_list("pk", "contact_id", "closed"))
    strings = ContactSearchString.objects.filter(contact=contact).count()
    with pytest.raises(ContactError) as caught:
        contact_delete(contact=contact)
    assert caught.value.code == code
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert (Contact.objects.count(), Opportunity.objects.count(), OpportunityEntry.objects.count()) == counts
    assert list(Task.objects.values_list("pk", "contact_id", "closed")) == tasks
    assert ContactSearchString.objects.filter(contact=contact).count() == strings


def test_a_contact_with_an_open_opportunity_cannot_be_deleted(person, open_opportunity):
    open_opportunity(person)
    _assert_refused(person, "contact_in_use")


def test_a_contact_with_a_not_started_opportunity_cannot_be_deleted(person, cycle, rep):
    opportunity_create(user=rep.user, description="Not started", contact=person, sales_cycle=cycle)
    _assert_refused(person, "contact_in_use")


def test_a_company_whose_person_has_an_open_opportunity_cannot_be_deleted(company, person, open_opportunity):
    open_opportunity(person)
    _assert_refused(company, "contact_in_use")


def test_a_contact_with_an_open_task_cannot_be_deleted(person, rep):
    task_create(user=rep.user, description="Call Anna", date=datetime.date(2026, 3, 2), contact=person)
    _assert_refused(person, "contact_in_use")


def test_a_company_with_persons_cannot_be_deleted(company, person):
    _assert_refused(company, "contact_has_persons")


def test_a_contact_with_only_closed_opportunities_cannot_be_deleted(person, closed_opportunity):
    closed_opportunity(person)
    assert not Task.objects.filter(contact=person, closed=False).exists()
    _assert_refused(person, "contact_has_history")


def test_a_contact_an_opportunity_moved_away_from_cannot_be_deleted(company, person, open_opportunity, rep, won_code):
    opportunity = open_opportunity(person)
    colleague = contact_create(type="person", first_name="Carl", surname="Dahl", company=company)
    opportunity_change(opportunity=opportunity, user=rep.user, contact=colleague)
    opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
    # The person is no longer the opportunity's contact, but its first entry still names them.
    assert not Opportunity.objects.filter(contact=person).exists()
    assert OpportunityEntry.objects.filter(contact=person).exists()
    _assert_refused(person, "contact_has_history")


def test_an_unused_contact_is_deleted_with_its_search_strings(company):
    contact_delete(contact=company)
    assert not Contact.objects.filter(pk=company.pk).exists()
    assert not ContactSearchString.objects.filter(contact_id=company.pk).exists()


def test_a_person_is_deleted_and_its_company_stays(company, person):
    contact_delete(contact=person)
    assert not Contact.objects.filter(pk=person.pk).exists()
    assert Contact.objects.filter(pk=company.pk).exists()


def test_a_contact_with_only_closed_tasks_is_deleted_and_the_tasks_stay(person, rep):
    task = task_create(user=rep.user, description="Call Anna", date=datetime.date(2026, 3, 2), contact=person)
    task_cancel(task=task, user=rep.user)
    contact_delete(contact=person)
    assert not Contact.objects.filter(pk=person.pk).exists()
    task.refresh_from_db()
    assert (task.closed, task.contact_id) == (True, None)
