"""``common.prepared.PreparedGet``: compiled once, the same objects as the queryset's own."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.auth import CrmModelBackend
from common.models import UserProfile
from common.prepared import PreparedGet
from tests.factories import SalespersonFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _with_both(user_id):
    return User.objects.select_related("profile", "salesperson").filter(pk=user_id)


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _related(user, name):
    try:
        return _values(getattr(user, name))
    except ObjectDoesNotExist as exc:  # an absent one-to-one relation
        return type(exc).__name__


@pytest.fixture
def users():
    full = SalespersonFactory(code="FULL", commission_pct=Decimal("2.50"), user=UserFactory(username="full")).user
    UserProfile.objects.update_or_create(user=full, defaults={"language": "de"})
    full.last_login = timezone.make_aware(datetime.datetime(2026, 3, 4, 5, 6, 7, 890123), datetime.UTC)
    full.save()
    plain = UserFactory(username="plain", is_active=False)
    UserProfile.objects.filter(user=plain).delete()
    return {"full": full, "plain": plain}


@pytest.mark.parametrize("who", ["full", "plain"])
def test_the_object_and_its_related_rows_are_the_querysets(users, who):
    prepared = PreparedGet(_with_both)
    expected = _with_both(users[who].pk).get()

    with CaptureQueriesContext(connection) as queries:
        user = prepared.get(users[who].pk)
        for name in ("profile", "salesperson"):
            assert _related(user, name) == _related(expected, name)

    assert _values(user) == _values(expected)
    assert len(queries) == 1
    assert isinstance(user.last_login, datetime.datetime | None)
    assert user._state.db == "default" and not user._state.adding


def test_a_missing_row_is_none(users):
    assert PreparedGet(_with_both).get(10**9) is None


def test_it_runs_again_with_other_values(users):
    prepared = PreparedGet(_with_both)
    assert [prepared.get(user.pk).username for user in (users["plain"], users["full"])] == ["plain", "full"]


def test_the_backend_loads_the_user_with_it_and_refuses_inactive_users_and_bad_ids(users):
    backend = CrmModelBackend()
    assert backend.get_user(users["full"].pk).salesperson.code == "FULL"
    assert backend.get_user(str(users["full"].pk)).username == "full"
    assert backend.get_user(users["plain"].pk) is None  # inactive
    assert backend.get_user("not-a-number") is None


def test_a_query_with_other_parameters_or_annotations_is_refused(users):
    with pytest.raises(ValueError, match="not one of the values"):
        PreparedGet(lambda pk: User.objects.filter(pk=pk, username="x")).get(1)
    with pytest.raises(ValueError, match="annotations"):
        PreparedGet(lambda pk: User.objects.filter(pk=pk).annotate(same=F("id"))).get(1)
