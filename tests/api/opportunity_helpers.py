"""Helpers of the opportunity, task and statistics API tests: URLs, personas, refusal assertions."""

import datetime

from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportunities.permissions import VIEW_ALL
from tests.api.conftest import token_client
from tests.factories import SalespersonFactory, UserFactory
from tests.opportunities.helpers import D, bring_to, snapshot

__all__ = [
    "D",
    "assert_field_errors",
    "assert_refused",
    "bring_to",
    "count_queries",
    "opportunities_url",
    "opportunity_url",
    "snapshot",
    "statistics_url",
    "task_url",
    "tasks_url",
    "viewer_client",
]

API = "/api/v1"
ACTIVATED_ON = datetime.date(2026, 1, 10)


def opportunities_url() -> str:
    return f"{API}/opportunities/"


def opportunity_url(no: str, command: str = "") -> str:
    return f"{API}/opportunities/{no}/" + (f"{command}/" if command else "")


def tasks_url() -> str:
    return f"{API}/tasks/"


def task_url(no: str) -> str:
    return f"{API}/tasks/{no}/"


def statistics_url(code: str) -> str:
    return f"{API}/sales-cycles/{code}/statistics/"


def viewer_client(code: str = "VIEW"):
    """A rep who may *see* every opportunity (``view_all_opportunities``) but change only their own.

    The one persona that reaches the services' ``permission_denied``: others' opportunities are
    visible to them (so not a 404) but not theirs to change (so a 403).
    """
    user = UserFactory(username=f"viewer-{code.lower()}")
    app_label, codename = VIEW_ALL.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    SalespersonFactory(code=code, name="Vera Viewer", user=user)
    return token_client(user)


def assert_refused(call, *, status: int, code: str, opportunity=None):
    """``call()`` answers ``status`` with ``{"detail", "code"}`` and changes nothing in the database."""
    pk = opportunity.pk if opportunity is not None else 0
    before = snapshot(pk)
    response = call()
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert snapshot(pk) == before
    return body


def assert_field_errors(call, *fields: str, opportunity=None):
    """``call()`` answers 400 with an error list for each of ``fields`` and changes nothing."""
    pk = opportunity.pk if opportunity is not None else 0
    before = snapshot(pk)
    response = call()
    assert response.status_code == 400, response.content
    body = response.json()
    for field in fields:
        assert field in body, body
        messages = body[field]
        assert isinstance(messages, list | dict), body
        assert messages
    assert snapshot(pk) == before
    return body


def count_queries(client, url: str) -> int:
    """The number of queries one GET of ``url`` costs, asserting that it answered 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)
