"""403, 404 and 500 pages in the app's style (DEBUG is off in the tests, so Django uses them)."""

import pytest
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_page_answers_the_404_page_inside_the_app_layout(client, rep):
    client.force_login(rep.user)
    response = client.get("/contacts/CT404404/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert 'class="topbar"' in content
    assert 'aria-label="Main navigation"' in content
    assert reverse("home") in content


def test_a_forbidden_change_answers_the_403_page_inside_the_app_layout(client, plain_user):
    client.force_login(plain_user)
    response = client.get(reverse("contacts:edit", args=[CompanyFactory().no]))
    assert response.status_code == 403
    content = response.content.decode()
    assert "Not allowed" in content
    assert 'class="topbar"' in content


def test_the_500_page_renders_without_a_request_context():
    # Django renders it with an empty context: no request, no user, no context processors.
    content = loader.get_template("500.html").render()
    assert "Server error" in content
    assert "css/crm.css" in content
    assert 'lang="en"' in content


def test_the_500_page_follows_the_active_language():
    request = RequestFactory().get("/")
    with translation.override("de"):
        response = server_error(request)
    assert response.status_code == 500
    assert 'lang="de"' in response.content.decode()


def test_an_exception_in_a_view_answers_the_500_page(client, rep, monkeypatch):
    from contacts import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.Paginator, "get_page", broken)
    client.raise_request_exception = False
    client.force_login(rep.user)
    response = client.get(reverse("contacts:list"))
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
