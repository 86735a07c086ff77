"""The authentication backend: Django's ``ModelBackend`` with fewer queries on every request.

Every signed-in request loads its user and asks for a permission (``is_manager``, the
visibility of opportunities and leads). With ``ModelBackend`` that costs four queries before the
view starts: the user, the user's permissions, the group permissions, and the profile (for the
language) or the salesperson. Here:

* ``get_user`` loads the user with its profile and salesperson in one query (``select_related``
  of the two reverse one-to-one relations; a missing one is cached as absent, so reading it
  costs nothing either), compiled once per database (``common.prepared.PreparedGet``);
* ``get_all_permissions`` reads the user's own and the group permissions in one query (the ids
  of both in one subquery) and keeps them on the user object for the request, as ``ModelBackend``
  does. The
  query is plain SQL, written once per database from the models' tables: compiling the same
  ORM union on every request was 5 % of the application's CPU under load (bench/RESULTS.md,
  round d).

Both statements are prepared on PostgreSQL (``common.prepared.execute``): planning them took
longer than running them (round e).

Nothing is cached across requests: a permission taken away applies to the next request.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, router

from common import prepared
from common.prepared import PreparedGet

_PERMISSIONS_SQL: dict[str, str] = {}


def _permissions_sql(alias: str) -> str:
    """``(app_label, codename)`` of the user's own permissions and their groups' (the user's id twice)."""
    if alias not in _PERMISSIONS_SQL:
        q = connections[alias].ops.quote_name
        user_model = get_user_model()
        own = user_model._meta.get_field("user_permissions")
        groups = user_model._meta.get_field("groups")
        granted = Group._meta.get_field("permissions")
        # The permission ids in a subquery: PostgreSQL plans this in half the time of a UNION of
        # two joins with the permission and content type tables each (0.15 against 0.27 ms).
        _PERMISSIONS_SQL[alias] = (
            f"SELECT ct.{q('app_label')}, p.{q('codename')} FROM {q(Permission._meta.db_table)} p "
            f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{q('content_type_id')} "
            f"WHERE p.{q('id')} IN ("
            f"SELECT {q(own.m2m_reverse_name())} FROM {q(own.m2m_db_table())} "
            f"WHERE {q(own.m2m_column_name())} = %s "
            f"UNION ALL SELECT gp.{q(granted.m2m_reverse_name())} FROM {q(granted.m2m_db_table())} gp "
            f"JOIN {q(groups.m2m_db_table())} ug "
            f"ON ug.{q(groups.m2m_reverse_name())} = gp.{q(granted.m2m_column_name())} "
            f"WHERE ug.{q(groups.m2m_column_name())} = %s)"
        )
    return _PERMISSIONS_SQL[alias]


def _user_with_profile_and_salesperson(user_id):
    return get_user_model()._default_manager.select_related("profile", "salesperson").filter(pk=user_id)


_USER = PreparedGet(_user_with_profile_and_salesperson, name="user")


class CrmModelBackend(ModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user_id = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = _USER.get(user_id, using=router.db_for_read(user_model))
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                names = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                alias = router.db_for_read(Permission)
                connection = connections[alias]
                with connection.cursor() as cursor:
                    prepared.execute(connection, cursor, "permissions", _permissions_sql(alias), [user_obj.pk] * 2)
                    names = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in names}
        return user_obj._perm_cache
