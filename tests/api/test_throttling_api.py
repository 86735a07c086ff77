"""Token clients (integrations) are throttled per token; browser sessions are not (SPEC §7)."""

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from opportunities.models import Opportunity
from tests.api.opportunity_helpers import opportunities_url, tasks_url


@pytest.fixture
def three_per_minute(monkeypatch):
    """The token rate lowered to 3 requests a minute.

    DRF copies ``DEFAULT_THROTTLE_RATES`` into the throttle class when the class is defined, so
    overriding the setting afterwards changes nothing: the class attribute is patched instead. The
    counters live in Django's cache, which is emptied before and after.
    """
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        monkeypatch.setattr(throttle_class, "THROTTLE_RATES", {**throttle_class.THROTTLE_RATES, "token": "3/minute"})
    cache.clear()
    yield
    cache.clear()


def test_the_fourth_token_request_within_a_minute_is_answered_429(three_per_minute, rep_api):
    statuses = [rep_api.get(opportunities_url()).status_code for _ in range(3)]

    response = rep_api.get(opportunities_url())

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_every_endpoint_counts_towards_the_same_token_limit(three_per_minute, rep_api, opportunity):
    rep_api.get(opportunities_url())
    rep_api.get(tasks_url())
    rep_api.get(f"{opportunities_url()}{opportunity.no}/")
    count = Opportunity.objects.count()

    response = rep_api.post(
        opportunities_url(), {"description": "Deal", "contact": opportunity.contact.no, "sales_cycle": "NEW"}
    )

    assert response.status_code == 429
    assert Opportunity.objects.count() == count


def test_each_token_has_its_own_limit(three_per_minute, rep_api, other_rep_api):
    for _ in range(4):
        rep_api.get(opportunities_url())

    assert rep_api.get(opportunities_url()).status_code == 429
    assert other_rep_api.get(opportunities_url()).status_code == 200


def test_a_browser_session_is_not_throttled(three_per_minute, rep):
    browser = APIClient()
    # django-axes checks every password login against its lockouts and needs the request for that.
    assert browser.login(request=HttpRequest(), username="rita", password="pw-for-tests-1")

    statuses = {browser.get(opportunities_url()).status_code for _ in range(10)}

    assert statuses == {200}


def test_a_session_of_the_django_test_client_is_not_throttled_either(three_per_minute, rep, client):
    client.force_login(rep.user)

    statuses = {client.get(opportunities_url()).status_code for _ in range(10)}

    assert statuses == {200}


def test_the_default_rate_lets_a_busy_integration_through(rep_api, cycle):
    cache.clear()

    statuses = {rep_api.get(opportunities_url()).status_code for _ in range(20)}

    assert statuses == {200}
    cache.clear()
