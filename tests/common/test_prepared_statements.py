"""``common.prepared.execute``: the statements every request runs, prepared once per PostgreSQL session."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import prepared
from common.auth import CrmModelBackend
from tests.factories import ManagerFactory

pytestmark = pytest.mark.django_db
SQL = "SELECT %s + 1, %s || 'x'"


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _run(name: str, sql: str, params) -> list:
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, name, sql, params)
        return cursor.fetchall()


@pytest.mark.postgresql
@override_settings(DB_PREPARED_STATEMENTS=True)
def test_a_statement_is_prepared_once_per_session_and_then_only_executed():
    with CaptureQueriesContext(connection) as first:
        assert _run("test_sum", SQL, [1, "a"]) == [(2, "ax")]
    with CaptureQueriesContext(connection) as second:
        assert _run("test_sum", SQL, [41, "b"]) == [(42, "bx")]

    assert [query["sql"].split(" ")[0] for query in first.captured_queries] == ["PREPARE", "EXECUTE"]
    assert "$1 + 1, $2 || 'x'" in first.captured_queries[0]["sql"]
    assert [query["sql"].split(" ")[0] for query in second.captured_queries] == ["EXECUTE"]
    assert "crm_test_sum" in _prepared_names()


@pytest.mark.postgresql
@override_settings(DB_PREPARED_STATEMENTS=True)
def test_each_database_session_prepares_for_itself():
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # a second session, outside the test's transaction
    try:
        for session in (connection, other, other):
            with session.cursor() as cursor:
                prepared.execute(session, cursor, "test_again", SQL, [1, "a"])
                assert cursor.fetchall() == [(2, "ax")]
                cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'crm_test_again'")
                assert cursor.fetchone() == (1,)
        other.close()  # a new connection (a restart, CONN_MAX_AGE) starts with nothing prepared
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone() == (0,)
            prepared.execute(other, cursor, "test_again", SQL, [2, "c"])
            assert cursor.fetchall() == [(3, "cx")]
    finally:
        other.close()


@pytest.mark.postgresql
@override_settings(DB_PREPARED_STATEMENTS=True)
def test_a_prepared_statement_outlives_a_rolled_back_transaction():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _run("test_rollback", SQL, [1, "a"])
        raise RuntimeError("the request failed")
    with CaptureQueriesContext(connection) as after:
        assert _run("test_rollback", SQL, [5, "d"]) == [(6, "dx")]
    assert [query["sql"].split(" ")[0] for query in after.captured_queries] == ["EXECUTE"]


@override_settings(DB_PREPARED_STATEMENTS=False)
def test_with_the_setting_off_the_sql_runs_as_it_is():
    sql = "SELECT %s + 1"
    with CaptureQueriesContext(connection) as ctx:
        assert _run("test_off", sql, [1]) == [(2,)]
    assert [query["sql"] for query in ctx.captured_queries] == ["SELECT 1 + 1"]
    if connection.vendor == "postgresql":
        assert "crm_test_off" not in _prepared_names()


@override_settings(DB_PREPARED_STATEMENTS=True)
def test_a_literal_percent_sign_is_refused_on_postgresql_and_runs_elsewhere():
    sql = "SELECT 7 %% 4 + %s"
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="literal %"):
            _run("test_percent", sql, [1])
        assert "crm_test_percent" not in _prepared_names()
    else:
        assert _run("test_percent", sql, [1]) == [(4,)]


@pytest.mark.postgresql
@override_settings(DB_PREPARED_STATEMENTS=True)
def test_a_request_reads_its_session_user_and_permissions_through_prepared_statements(client):
    user = ManagerFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_task"))
    client.force_login(user)
    for _ in range(2):  # the second request only executes
        response = client.get(reverse("opportunities:list"))
        assert response.status_code == 200
        assert response.context["user"] == user
    assert {"crm_session", "crm_user", "crm_permissions"} <= _prepared_names()
    # The permissions read that way (own and the group's) are the ones Django's own backend finds.
    found = CrmModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    assert "opportunities.view_task" in found and len(found) > 1
    assert found == ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))


@pytest.mark.postgresql
@override_settings(DB_PREPARED_STATEMENTS=True)
def test_only_reads_are_prepared():
    with pytest.raises(ValueError, match="only reads"):
        _run("test_write", "UPDATE auth_user SET last_name = %s WHERE id = -1", ["x"])
    assert "crm_test_write" not in _prepared_names()
