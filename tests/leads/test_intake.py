"""Lead intake: validation of bad input, the raw payload, numbers, and duplicate flagging."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.errors import PermissionRefused
from contacts.services import contact_create
from leads import services
from leads.models import Lead
from tests.factories import LeadFactory


def _create(**fields):
    fields.setdefault("source", "web_form")
    return services.lead_create(**fields)


def test_a_web_form_lead_is_stored_with_its_number_and_raw_payload(db):
    payload = {"company": "Acme GmbH", "email": "Anna@Acme.example", "utm_source": "fair"}

    lead = _create(
        company_name=" Acme GmbH ",
        first_name="Anna",
        surname="Schmidt",
        email="Anna@Acme.example",
        country="de",
        message="Please call me",
        payload=payload,
    )

    lead.refresh_from_db()
    assert lead.no.startswith("LD") and len(lead.no) == 8
    assert (lead.status, lead.source) == ("new", "web_form")
    assert lead.company_name == "Acme GmbH"
    assert lead.country == "DE"
    assert lead.payload == payload
    assert lead.salesperson is None
    assert lead.is_possible_duplicate is False
    assert lead.created_by is None


def test_numbers_follow_each_other(db):
    first = _create(email="a@example.com")
    second = _create(phone="+49 30 1234")
    assert int(second.no[2:]) == int(first.no[2:]) + 1


def test_a_lead_without_email_and_phone_is_refused_with_field_errors_and_nothing_stored(db):
    with pytest.raises(ValidationError) as caught:
        _create(company_name="Acme", first_name="Anna")
    assert set(caught.value.message_dict) == {"email", "phone"}
    assert "e-mail address or a phone number" in caught.value.message_dict["email"][0]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("company_name", "x" * 101),
        ("first_name", "x" * 31),
        ("surname", "x" * 31),
        ("campaign", "x" * 101),
        ("message", "x" * 4001),
        ("email", "not-an-address"),
        ("email", "a" * 95 + "@example.com"),
        ("phone", "call me maybe"),
        ("phone", "1" * 31),
        ("country", "DEU"),
        ("country", "1A"),
    ],
)
def test_oversized_or_malformed_fields_are_refused_never_truncated(db, field, value):
    fields = {"email": "ok@example.com", field: value}
    with pytest.raises(ValidationError) as caught:
        _create(**fields)
    assert field in caught.value.message_dict
    assert not Lead.objects.exists()


def test_an_oversized_payload_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        _create(email="a@example.com", payload={"blob": "x" * 30_000})
    assert "payload" in caught.value.message_dict
    assert not Lead.objects.exists()


def test_an_unknown_source_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        _create(email="a@example.com", source="carrier_pigeon")
    assert "source" in caught.value.message_dict


def test_a_plain_user_may_not_add_leads_but_an_integration_with_the_permission_may(plain_user):
    from django.contrib.auth.models import Permission

    with pytest.raises(PermissionRefused):
        _create(email="a@example.com", user=plain_user, source="api")
    plain_user.user_permissions.add(Permission.objects.get(codename="add_lead"))
    plain_user = type(plain_user).objects.get(pk=plain_user.pk)  # fresh permission cache

    lead = _create(email="a@example.com", user=plain_user, source="api")

    assert lead.created_by == plain_user


def test_a_rep_may_assign_a_new_lead_to_themselves_only(rep, other_rep):
    with pytest.raises(PermissionRefused) as caught:
        _create(email="a@example.com", user=rep.user, source="manual", salesperson=other_rep)
    assert caught.value.code == "cannot_assign_other_salesperson"
    assert not Lead.objects.exists()

    lead = _create(email="a@example.com", user=rep.user, source="manual", salesperson=rep)
    assert lead.salesperson == rep


# --- duplicates ------------------------------------------------------------------------------


def test_same_email_as_a_contact_in_another_letter_case_flags_the_lead(db):
    contact = contact_create(type="company", name="Acme GmbH", email="info@acme.example")

    lead = _create(email="INFO@Acme.example")

    assert lead.is_possible_duplicate
    assert services.lead_duplicates(lead).contacts == [contact]


def test_same_email_as_a_recent_lead_flags_the_lead_and_names_it(db):
    earlier = _create(email="anna@acme.example")

    lead = _create(email="Anna@ACME.example")

    assert not Lead.objects.get(pk=earlier.pk).is_possible_duplicate
    assert lead.is_possible_duplicate
    assert services.lead_duplicates(lead).leads == [earlier]
    assert services.lead_duplicates(earlier).leads == [lead]  # a lead never matches itself


def test_a_lead_older_than_the_setting_does_not_flag(db, settings):
    settings.CRM_LEAD_DUPLICATE_DAYS = 30
    earlier = _create(email="anna@acme.example")
    Lead.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))

    lead = _create(email="anna@acme.example")

    assert not lead.is_possible_duplicate
    assert services.lead_duplicates(lead).leads == []


def test_company_and_person_name_matching_a_person_contact_flag_the_lead(db):
    company = contact_create(type="company", name="Müller-Lüdenscheid GmbH")
    person = contact_create(type="person", company=company, first_name="Anna", surname="Schmidt")

    lead = _create(company_name="MULLER LUDENSCHEID gmbh", first_name="anna", surname="schmidt", phone="1")

    assert lead.is_possible_duplicate
    assert services.lead_duplicates(lead).contacts == [person]


def test_the_same_person_at_another_company_does_not_flag(db):
    company = contact_create(type="company", name="Acme GmbH")
    contact_create(type="person", company=company, first_name="Anna", surname="Schmidt")

    lead = _create(company_name="Other AG", first_name="Anna", surname="Schmidt", phone="1")

    assert not lead.is_possible_duplicate


def test_a_company_only_lead_matches_a_company_contact_of_that_name(db):
    company = contact_create(type="company", name="Nordwind Logistik GmbH")

    lead = _create(company_name="Nordwind Logistik GmbH.", phone="1")

    assert services.lead_duplicates(lead).contacts == [company]


def test_same_company_and_person_name_as_a_recent_lead_flags(db):
    earlier = LeadFactory(company_name="Acme GmbH", first_name="Anna", surname="Schmidt", email="one@example.com")

    lead = _create(company_name="ACME gmbh", first_name="Anna", surname="Schmidt", email="two@example.com")

    assert lead.is_possible_duplicate
    assert services.lead_duplicates(lead).leads == [earlier]


def test_the_duplicate_search_costs_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    for index in range(5):
        company = contact_create(type="company", name="Acme GmbH", email=f"x{index}@acme.example")
        contact_create(type="person", company=company, first_name="Anna", surname="Schmidt")
        LeadFactory(company_name="Acme GmbH", first_name="Anna", surname="Schmidt")
    lead = LeadFactory(company_name="Acme GmbH", first_name="Anna", surname="Schmidt", email="x1@acme.example")

    with django_assert_max_num_queries(4):
        duplicates = services.lead_duplicates(lead)

    assert len(duplicates.contacts) == 6  # five persons by name, one company by e-mail
    assert len(duplicates.leads) == 5
