"""``common.auth.CrmModelBackend``: Django's permissions and users, in fewer queries per request."""

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.http import HttpRequest

from common.auth import CrmModelBackend
from common.middleware import profile_language
from common.models import UserProfile
from opportunities.permissions import VIEW_ALL, is_manager, salesperson_of
from tests.factories import ManagerFactory, SalespersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def users():
    direct = UserFactory(username="direct")
    direct.user_permissions.add(_permission("leads.add_lead"), _permission(VIEW_ALL))
    both = ManagerFactory(username="both")
    both.user_permissions.add(_permission("leads.add_lead"))
    return {
        "manager": ManagerFactory(username="boss"),
        "rep": SalespersonFactory(code="REP", user=UserFactory(username="rep")).user,
        "direct": direct,
        "both": both,
        "superuser": UserFactory(username="root", is_superuser=True),
        "inactive": ManagerFactory(username="gone", is_active=False),
    }


@pytest.mark.parametrize("who", ["manager", "rep", "direct", "both", "superuser", "inactive"])
def test_the_permissions_are_those_of_djangos_model_backend(users, who):
    ours = CrmModelBackend().get_all_permissions(CrmModelBackend().get_user(users[who].pk) or users[who])
    djangos = ModelBackend().get_all_permissions(type(users[who]).objects.get(pk=users[who].pk))

    assert ours == djangos
    assert (VIEW_ALL in ours) == (who in ("manager", "direct", "both", "superuser"))


def test_the_permissions_cost_one_query_per_request(users, django_assert_num_queries):
    user = CrmModelBackend().get_user(users["both"].pk)

    with django_assert_num_queries(1):
        assert user.has_perm(VIEW_ALL)
        assert user.has_perm("leads.add_lead")
        assert not user.has_perm("auth.delete_user")


def test_the_session_user_comes_with_its_profile_and_salesperson_in_one_query(users, django_assert_num_queries):
    UserProfile.objects.create(user=users["rep"], language="fi")

    with django_assert_num_queries(1):
        user = CrmModelBackend().get_user(users["rep"].pk)
        assert profile_language(user) == "fi"
        assert salesperson_of(user).code == "REP"


def test_a_user_without_profile_or_salesperson_costs_no_further_query(users, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = CrmModelBackend().get_user(users["manager"].pk)
        assert profile_language(user) == ""
        assert salesperson_of(user) is None


def test_an_inactive_or_unknown_user_is_not_loaded(users):
    assert CrmModelBackend().get_user(users["inactive"].pk) is None
    assert CrmModelBackend().get_user(999_999) is None


def test_a_permission_taken_away_applies_to_the_next_request(client, users):
    manager = users["manager"]
    client.force_login(manager, backend="common.auth.CrmModelBackend")
    request = HttpRequest()
    request.session = client.session

    assert is_manager(get_user(request))

    manager.groups.clear()

    assert not is_manager(get_user(request))
