"""The public enquiry form: no login, honeypot, rate limit, field errors, CSRF."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from leads.views.public import parse_rate

pytestmark = pytest.mark.django_db

ENQUIRY = {
    "company_name": "Acme GmbH",
    "first_name": "Anna",
    "surname": "Schmidt",
    "email": "anna@acme.example",
    "phone": "+49 30 1234",
    "country": "de",
    "message": "Please call me about 40 pumps.",
    "website": "",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit(settings):
    # The rate limit counts in the cache, which outlives a test.
    settings.CRM_LEAD_FORM_RATE = "5/h"
    cache.clear()
    yield
    cache.clear()


def test_anonymous_visitors_see_the_form_without_logging_in(client):
    response = client.get(reverse("leads:enquiry"))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("leads:enquiry") == "/enquiry/"
    for label in ("Company", "First name", "Surname", "Email", "Phone no.", "Country/region code", "Message"):
        assert f">{label}</label>" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert '<div class="hp-field" aria-hidden="true">' in content
    assert client.get(reverse("leads:enquiry_thanks")).status_code == 200


def test_a_submission_creates_a_web_form_lead_with_the_payload(client):
    response = client.post(
        reverse("leads:enquiry"), ENQUIRY, HTTP_USER_AGENT="Firefox/140", HTTP_REFERER="https://example.com/pumps"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:enquiry_thanks")
    lead = Lead.objects.get()
    assert (lead.source, lead.status, lead.salesperson, lead.created_by) == ("web_form", "new", None, None)
    assert (lead.company_name, lead.first_name, lead.surname, lead.email, lead.country) == (
        "Acme GmbH",
        "Anna",
        "Schmidt",
        "anna@acme.example",
        "DE",
    )
    assert lead.payload["message"] == "Please call me about 40 pumps."
    assert lead.payload["user_agent"] == "Firefox/140"
    assert lead.payload["referrer"] == "https://example.com/pumps"
    assert "website" not in lead.payload and "csrfmiddlewaretoken" not in lead.payload


def test_a_filled_honeypot_is_thanked_but_stores_nothing(client):
    response = client.post(reverse("leads:enquiry"), {**ENQUIRY, "website": "http://spam.example"})
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:enquiry_thanks")
    assert not Lead.objects.exists()


def test_over_the_rate_limit_answers_429_and_stores_nothing(client, settings):
    settings.CRM_LEAD_FORM_RATE = "2/h"
    for n in range(2):
        assert client.post(reverse("leads:enquiry"), {**ENQUIRY, "email": f"a{n}@acme.example"}).status_code == 302
    response = client.post(reverse("leads:enquiry"), {**ENQUIRY, "email": "third@acme.example"})
    assert response.status_code == 429
    assert "Too many messages" in response.content.decode()
    assert Lead.objects.count() == 2
    assert not Lead.objects.filter(email="third@acme.example").exists()
    # Another address has its own allowance.
    other = client.post(reverse("leads:enquiry"), {**ENQUIRY, "email": "x@acme.example"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_the_rate_limit_message_is_translated(client, settings):
    settings.CRM_LEAD_FORM_RATE = "0/h"
    response = client.post(reverse("leads:enquiry"), ENQUIRY, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 429
    assert 'lang="de"' in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"email": "", "phone": ""}, {"email", "phone"}),
        ({"email": "not-an-address"}, {"email"}),
        ({"country": "Germany"}, {"country"}),
        ({"phone": "call me maybe"}, {"phone"}),
        ({"company_name": "x" * 101}, {"company_name"}),
        ({"message": "x" * 4001}, {"message"}),
    ],
)
def test_bad_input_shows_field_errors_and_stores_nothing(client, changes, fields):
    response = client.post(reverse("leads:enquiry"), {**ENQUIRY, **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == fields
    assert "Please correct the errors below." in response.content.decode()
    assert not Lead.objects.exists()


def test_field_errors_are_translated(client):
    response = client.post(reverse("leads:enquiry"), {**ENQUIRY, "email": "", "phone": ""}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert response.context["form"].errors["email"] != ["Enter an e-mail address or a phone number."]
    assert not Lead.objects.exists()


def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("leads:enquiry"), ENQUIRY).status_code == 403
    assert not Lead.objects.exists()
    page = client.get(reverse("leads:enquiry"))
    token = page.context["csrf_token"]
    response = client.post(reverse("leads:enquiry"), {**ENQUIRY, "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert Lead.objects.get().source == "web_form"


def test_signed_in_staff_submitting_the_form_still_make_a_web_form_lead(client, rep):
    client.force_login(rep.user)
    assert client.post(reverse("leads:enquiry"), ENQUIRY).status_code == 302
    lead = Lead.objects.get()
    assert (lead.source, lead.created_by) == ("web_form", None)


@pytest.mark.parametrize(
    ("rate", "parsed"), [("5/h", (5, 3600)), ("20/d", (20, 86400)), ("10/15m", (10, 900)), ("3/second", (3, 1))]
)
def test_rates_are_read_from_the_setting(rate, parsed):
    assert parse_rate(rate) == parsed


def test_a_malformed_rate_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_rate("five per hour")
