"""BC's duplicate search (SPEC §2.2): search strings of the normalised fields, a match share."""

import pytest

from contacts.models import Contact
from contacts.services import contact_create as create
from contacts.services import likely_duplicates, search_strings

pytestmark = pytest.mark.django_db


@pytest.fixture
def original():
    return create(
        name="Müller & Söhne GmbH",
        address="Hauptstraße 5",
        post_code="10115",
        city="Berlin",
        phone="+49 30 1234567",
        email="info@mueller-soehne.de",
    )


@pytest.fixture
def near_copy(original):
    """The same company typed again: other punctuation and case, the phone formatted otherwise."""
    return create(
        name="MÜLLER + SÖHNE GMBH.",
        address="Hauptstr. 5",
        post_code="10115",
        city="BERLIN",
        phone="+49 (30) 123 45 67",
    )


@pytest.fixture
def unrelated(db):
    return create(
        name="Acme Trading Ltd",
        address="Gran Vía 1",
        post_code="28013",
        city="Madrid",
        phone="+34 91 555 0000",
        email="hola@acme.es",
    )


def found(matches) -> dict[str, int]:
    return {match.contact.no: match.score for match in matches}


def test_the_search_strings_are_the_first_and_last_five_characters_of_the_normalised_fields():
    contact = Contact(name="Müller & Söhne GmbH", phone="+49 (30) 123-4567", city="Oslo")
    assert search_strings(contact) == [
        ("name", "first", "MULLE"),
        ("name", "last", "EGMBH"),
        ("city", "first", "OSLO"),
        ("city", "last", "OSLO"),
        ("phone", "first", "49301"),
        ("phone", "last", "34567"),
    ]


def test_two_near_identical_companies_are_found_as_likely_duplicates(original, near_copy, unrelated):
    assert found(likely_duplicates(near_copy)) == {original.no: 90}  # 9 of its 10 strings
    assert found(likely_duplicates(original)) == {near_copy.no: 75}  # 9 of its 12 strings


def test_an_unrelated_company_is_not_a_likely_duplicate(original, near_copy, unrelated):
    assert found(likely_duplicates(unrelated)) == {}
    assert unrelated.no not in found(likely_duplicates(original))


def test_a_contact_is_not_its_own_duplicate(original):
    assert likely_duplicates(original) == []


def test_the_threshold_setting_is_respected(settings, original, near_copy):
    settings.CRM_DUPLICATE_MATCH_PCT = 80
    assert found(likely_duplicates(original)) == {}
    assert found(likely_duplicates(near_copy)) == {original.no: 90}

    settings.CRM_DUPLICATE_MATCH_PCT = 75  # a score equal to the threshold counts
    assert found(likely_duplicates(original)) == {near_copy.no: 75}


def test_an_explicit_threshold_overrides_the_setting(settings, original, near_copy):
    settings.CRM_DUPLICATE_MATCH_PCT = 100
    assert found(likely_duplicates(original, threshold=60)) == {near_copy.no: 75}


def test_an_unsaved_contact_finds_its_likely_duplicates(original, near_copy, unrelated):
    typed = Contact(type="company", name="müller & söhne gmbh", city="Berlin", phone="030 1234567")
    # name 2 + city 2 + the phone's last five = 5 of 6 strings
    assert found(likely_duplicates(typed)) == {original.no: 83, near_copy.no: 83}


def test_a_contact_without_search_values_has_no_duplicates(original):
    assert likely_duplicates(Contact(type="company", name="   ")) == []


def test_duplicates_come_best_first_and_are_limited(original, near_copy):
    third = create(name="Müller & Söhne GmbH", city="Berlin")
    matches = likely_duplicates(Contact(name="Müller & Söhne GmbH", city="Berlin", phone="+49 30 1234567"))
    assert [match.contact for match in matches] == [original, near_copy, third]
    assert [match.score for match in matches] == [100, 100, 66]
    assert len(likely_duplicates(original, threshold=1, limit=1)) == 1


def test_the_duplicate_search_costs_two_queries_whatever_the_number_of_contacts(
    original, near_copy, django_assert_num_queries
):
    with django_assert_num_queries(2):
        matches = likely_duplicates(near_copy)
        assert [match.contact.company_contact for match in matches] == [original]

    company = create(name="Müller & Söhne GmbH", city="Berlin")
    for n in range(30):
        create(name=f"Other Company {n}", city="Berlin", phone=f"+49 30 {n:07d}")
    for n in range(5):
        create(type="person", first_name="Max", surname=f"Müller{n}", company=company, city="Berlin")

    with django_assert_num_queries(2):
        matches = likely_duplicates(near_copy, threshold=30)
        assert [match.contact.company_contact for match in matches][:2] == [original, company]
        assert len(matches) == 2
